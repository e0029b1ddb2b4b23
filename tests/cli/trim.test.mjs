// `confab trim` on session files made here: the plan it prints, its budget, its summaries, and its
// exit codes. The rules themselves are proven in-process (tests/context_trimmer_test.cpp); this
// proves the real binary, its arguments and its output. Token counts are never written down:
// they come from the binary itself, so these tests hold whatever the estimator's rates are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { confab } from './confab-bin.mjs';

const dir = mkdtempSync(join(tmpdir(), 'confab-trim-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function sessionFile(session) {
  const file = join(dir, `session-${++files}.json`);
  writeFileSync(file, typeof session === 'string' ? session : JSON.stringify(session));
  return file;
}

function session(messages, extra = {}) {
  return { format: 'confab.session', version: 1, settings: { system_prompt: 'Be brief.' }, messages, ...extra };
}

// Turn t is messages 2t (the question) and 2t+1 (the answer).
function turns(count, from = 0) {
  const messages = [];
  for (let t = from; t < count; ++t) {
    messages.push({ role: 'user', id: `u${t}`, content: `Question ${t} about the weather in Lyon and Paris?` });
    messages.push({ role: 'assistant', id: `a${t}`, content: `Answer ${t}: sunny in Lyon, rain in Paris, ${'and so on '.repeat(10)}` });
  }
  return messages;
}

function run(args, input) {
  const result = spawnSync(confab, ['trim', ...args], { input });
  return { status: result.status, stdout: result.stdout.toString('utf8'), stderr: result.stderr.toString('utf8') };
}

function plan(args, input) {
  const result = run(args, input);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('trim: a session that fits is kept whole, and the four keys are there', () => {
  const got = plan(['--budget', '100000', sessionFile(session(turns(3)))]);
  assert.deepEqual(got.kept, range(0, 5));
  assert.deepEqual(got.dropped, []);
  assert.equal(got.summary, null);
  assert.ok(Number.isInteger(got.estimated_tokens) && got.estimated_tokens > 0);
  assert.equal(got.budget, 100000);
  assert.deepEqual(got.reasons, []);
  assert.equal(got.summary_needed, null);
  assert.equal('error' in got, false);
});

test('trim: the oldest turns go first, whole, and only as many as the budget needs', () => {
  const file = sessionFile(session(turns(6)));
  const whole = plan(['--budget', '100000', file]).estimated_tokens;
  // The same conversation without its first two turns costs what the plan keeps when it drops them.
  const lastFour = plan(['--budget', '100000', sessionFile(session(turns(6, 2)))]).estimated_tokens;

  let got = plan(['--budget', String(lastFour), file]);
  assert.deepEqual(got.dropped, range(0, 3));
  assert.deepEqual(got.kept, range(4, 11));
  assert.equal(got.estimated_tokens, lastFour);
  assert.equal(got.reasons.length, 4);
  assert.match(got.reasons[0], /^an older turn \(messages 0 to 1\), left out to fit the budget of [\d,]+ tokens$/);

  got = plan(['--budget', String(lastFour - 1), file]);
  assert.deepEqual(got.dropped, range(0, 5));

  got = plan(['--budget', String(whole - 1), file]);
  assert.deepEqual(got.dropped, [0, 1]);
  assert.ok(got.estimated_tokens <= whole - 1);
});

test('trim: without --budget the session settings give it', () => {
  const file = sessionFile(session(turns(2), {
    settings: { system_prompt: 'Be brief.', context_window: 8192, reserved_output: 1024, safety_margin: 168 },
  }));
  assert.equal(plan([file]).budget, 7000);
  // Nothing set: 8,192 − 1,024 − 5% of the rest, rounded up.
  assert.equal(plan([sessionFile(session(turns(2)))]).budget, 8192 - 1024 - 359);
});

test('trim: a tool result whose call is gone is never sent, and says why', () => {
  const messages = [
    { role: 'tool', id: 't0', tool_call_id: 'call_gone', content: '{"ok":true}' },
    { role: 'user', id: 'u1', content: 'Time in Paris?' },
    { role: 'assistant', id: 'a1', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{}' } }] },
    { role: 'tool', id: 't1', tool_call_id: 'call_1', content: '14:05' },
  ];
  const got = plan(['--budget', '100000', sessionFile(session(messages))]);
  assert.deepEqual(got.kept, [1, 2, 3]);
  assert.deepEqual(got.dropped, [0]);
  assert.deepEqual(got.reasons, ['a tool result for "call_gone", which no earlier message calls: a provider would refuse it']);
});

test('trim: with --summaries a stored summary of exactly the dropped turns is used', () => {
  const summaries = [{ text: 'Questions 0 and 1 were about the weather.', first_message_id: 'u0', last_message_id: 'a1' }];
  const file = sessionFile(session(turns(6), { summaries }));
  const whole = plan(['--budget', '100000', file]).estimated_tokens;
  const lastFour = plan(['--budget', '100000', sessionFile(session(turns(6, 2)))]).estimated_tokens;
  // Room for a summary just short of what the first two turns cost: they must go to make it.
  const room = whole - lastFour - 1;

  const got = plan(['--summaries', '--summary-tokens', String(room), '--budget', String(lastFour + room), file]);
  assert.deepEqual(got.dropped, range(0, 3));
  assert.deepEqual(got.summary, { index: 0, first_message_id: 'u0', last_message_id: 'a1', text: summaries[0].text });
  assert.equal(got.summary_needed, null);
  assert.ok(got.estimated_tokens > lastFour && got.estimated_tokens <= lastFour + room);
  assert.match(got.reasons[3], /; summaries\[0\] stands in for it$/);

  // Without --summaries the stored summary is not sent.
  assert.equal(plan(['--budget', String(lastFour + room), file]).summary, null);
});

test('trim: with --summaries and no summary of the dropped turns, it names the range to summarise', () => {
  const file = sessionFile(session(turns(6)));
  const whole = plan(['--budget', '100000', file]).estimated_tokens;
  const lastFour = plan(['--budget', '100000', sessionFile(session(turns(6, 2)))]).estimated_tokens;
  const room = whole - lastFour - 1;
  const got = plan(['--summaries', '--summary-tokens', String(room), '--budget', String(lastFour + room), file]);
  assert.deepEqual(got.dropped, range(0, 3));
  assert.equal(got.summary, null);
  assert.equal(got.summary_needed.first, 0);
  assert.equal(got.summary_needed.last, 3);
  assert.equal(got.summary_needed.first_message_id, 'u0');
  assert.equal(got.summary_needed.last_message_id, 'a1');
  assert.equal(got.summary_needed.extends, null);
  assert.ok(got.summary_needed.text_tokens > 0 && got.summary_needed.text_tokens < room);
});

test('trim: a message too large for the budget prints the plan with the error, and exits 1', () => {
  const messages = [...turns(1), { role: 'user', id: 'big', content: 'data '.repeat(5000) }];
  const result = run(['--budget', '1000', sessionFile(session(messages))]);
  assert.equal(result.status, 1);
  const got = JSON.parse(result.stdout);
  assert.match(got.error, /^the message is about [\d,]+ tokens, and with the system prompt the request needs at least [\d,]+; the budget given is 1,000$/);
  assert.deepEqual(got.kept, [2]);
  assert.deepEqual(got.dropped, [0, 1]);
  assert.ok(got.estimated_tokens > 1000);
  assert.equal(result.stderr, `confab trim: ${got.error}\n`);
});

test('trim: standard input works as "-"', () => {
  const got = plan(['--budget', '100000', '-'], JSON.stringify(session(turns(2))));
  assert.deepEqual(got.kept, range(0, 3));
});

test('trim: an unreadable file exits 1 with the reason', () => {
  const result = run([join(dir, 'no-such-session.json')]);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /no-such-session\.json: No such file or directory/);
  assert.equal(result.stdout, '');
});

test('trim: a session that does not load exits 1 with the precise load error', () => {
  const cases = [
    [session([{ role: 'user', content: 'hi' }, { role: 'robot' }]), 'messages[1].role: unknown role "robot"'],
    [session([], { summaries: [{ text: 'x', last_message_id: 'a' }] }), 'summaries[0].first_message_id: missing'],
    [{ format: 'confab.session', version: 2 }, 'version: 2 is newer than this reader (1)'],
    ['{"format": confab}', '(root): not JSON: line 1, column 12: syntax error while parsing value - invalid literal; last read: \'"format": c\''],
  ];
  for (const [content, error] of cases) {
    const file = sessionFile(content);
    const result = run([file]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `confab trim: ${file}: ${error}\n`);
    assert.equal(result.stdout, '');
  }
});

test('trim: bad usage exits 2', () => {
  const file = sessionFile(session(turns(1)));
  assert.equal(run([]).status, 2);
  assert.equal(run(['--budget', file]).status, 2);
  assert.equal(run(['--budget', '-5', file]).status, 2);
  assert.equal(run(['--budget', '12x', file]).status, 2);
  assert.equal(run(['--summary-tokens', '', file]).status, 2);
  assert.equal(run(['--frobnicate', file]).status, 2);
  assert.equal(run([file, file]).status, 2);
  assert.equal(run(['--help']).status, 0);
});
