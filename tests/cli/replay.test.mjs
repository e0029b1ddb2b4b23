// `confab replay` on every recorded provider stream (tests/fixtures/*.sse): the printed
// message must equal the independent reference's *.expected.json, whatever the chunk size.
// The in-process suite (tests/chunk_assembler_test.cpp) covers every size from 1 to 64;
// this one proves the real binary, its arguments and its exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { confab } from './confab-bin.mjs';
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const streams = readdirSync(fixtures).filter((f) => f.endsWith('.sse')).sort();

function replay(args, input) {
  const out = execFileSync(confab, ['replay', ...args], { input, maxBuffer: 64 << 20 });
  return JSON.parse(out.toString('utf8'));
}

const required = ['content', 'reasoning', 'refusal', 'tool_calls', 'finish_reason', 'usage', 'errors'];

test('replay: the corpus holds the 56 recorded streams', () => {
  assert.equal(streams.length, 56);
});

for (const name of streams) {
  test(`replay: ${name} assembles as the reference does at chunk sizes 1, 3, 64 and whole`, () => {
    const file = join(fixtures, name);
    const expected = JSON.parse(readFileSync(file.replace(/\.sse$/, '.expected.json'), 'utf8'));
    for (const args of [['--chunk', '1'], ['--chunk', '3'], ['--chunk', '64'], []]) {
      const got = replay([...args, file]);
      for (const key of required) assert.deepEqual(got[key], expected[key], `${key} with ${args.join(' ') || 'whole file'}`);
    }
  });
}

test('replay: standard input works as "-"', () => {
  const file = join(fixtures, 'openai-text-plain.sse');
  const expected = JSON.parse(readFileSync(file.replace(/\.sse$/, '.expected.json'), 'utf8'));
  assert.deepEqual(replay(['-'], readFileSync(file)).content, expected.content);
});

test('replay: a missing file exits non-zero with the reason on stderr', () => {
  const run = spawnSync(confab, ['replay', join(fixtures, 'no-such-file.sse')]);
  assert.notEqual(run.status, 0);
  assert.match(run.stderr.toString(), /no-such-file\.sse: No such file or directory/);
  assert.equal(run.stdout.length, 0);
});

test('replay: bad usage exits 2', () => {
  assert.equal(spawnSync(confab, ['replay', '--chunk', '0', 'x']).status, 2);
  assert.equal(spawnSync(confab, ['replay']).status, 2);
  assert.equal(spawnSync(confab, ['frobnicate']).status, 2);
});

test('replay: a damaged stream is still read, and says what was wrong', () => {
  const input = Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n' +
    'data: {not json\n\n' +
    'data: {"choices":[{"index":0,"delta":{"content":"lo"}}]}\n\ndata: {"choices":[');
  const got = replay(['--chunk', '5', '-'], input);
  assert.equal(got.content, 'Hello');
  assert.deepEqual(got.problems, ["an event's data is not JSON", 'the stream ended in the middle of an event']);
});
