// `confab chat` against a real HTTP server on 127.0.0.1 that streams recorded provider
// bytes: the terminal client, the libcurl transport and the engine together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { confab } from './confab-bin.mjs';
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

// A server that answers each POST with the next of `replies`: {status, type, body, pieces, delayMs, stall}.
async function startServer(replies) {
  const seen = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      seen.push({ url: req.url, headers: req.headers, body: JSON.parse(body) });
      const reply = replies[Math.min(seen.length - 1, replies.length - 1)];
      res.writeHead(reply.status ?? 200, { 'Content-Type': reply.type ?? 'text/event-stream', ...(reply.headers ?? {}) });
      const bytes = Buffer.from(reply.body);
      const size = reply.pieces ?? 64;
      for (let at = 0; at < bytes.length; at += size) {
        if (res.destroyed) return;
        res.write(bytes.subarray(at, at + size));
        await new Promise((r) => setTimeout(r, reply.delayMs ?? 1));
      }
      if (reply.stall) return; // never ends: the client has to stop it
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, url: `http://127.0.0.1:${server.address().port}/v1` };
}

function runChat(args, { input = '', env = {}, onStdout } = {}) {
  return new Promise((resolve) => {
    const child = spawn(confab, ['chat', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.on('error', (error) => resolve({ code: null, stdout, stderr: `${stderr}could not run ${confab}: ${error.message}` }));
    child.stdin.end(input);
  });
}

test('chat: streams a recorded reply, sends the key from the environment, saves the session', async () => {
  const stream = readFileSync(join(fixtures, 'openai-text-plain.sse'));
  const expected = JSON.parse(readFileSync(join(fixtures, 'openai-text-plain.expected.json'), 'utf8'));
  const { server, seen, url } = await startServer([{ body: stream, pieces: 13 }]);
  const dir = mkdtempSync(join(tmpdir(), 'confab-chat-'));
  const session = join(dir, 'session.json');
  try {
    const run = await runChat(['--endpoint', url, '--model', 'gpt-test', '--session', session, '--system', 'Be brief.'],
      { input: 'Hello there\n/cost\n/quit\n', env: { OPENAI_API_KEY: 'sk-test-key' } });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(expected.content), run.stdout);
    assert.match(run.stdout, /session: \$/);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].url, '/v1/chat/completions');
    assert.equal(seen[0].headers.authorization, 'Bearer sk-test-key');
    assert.equal(seen[0].body.model, 'gpt-test');
    assert.equal(seen[0].body.stream, true);
    assert.deepEqual(seen[0].body.messages[0], { role: 'system', content: 'Be brief.' });
    assert.ok(!run.stdout.includes('sk-test-key'));
    const saved = JSON.parse(readFileSync(session, 'utf8'));
    assert.equal(saved.format, 'confab.session');
    assert.equal(saved.messages.length, 2);
    assert.equal(saved.messages[1].content, expected.content);
    assert.deepEqual(saved.messages[1].usage, expected.usage);
    assert.ok(!readFileSync(session, 'utf8').includes('sk-test-key'));
  } finally {
    server.close();
  }
});

test('chat: a tool call runs the tool command and the answer uses its result', async () => {
  const toolCall = readFileSync(join(fixtures, 'openai-tool-call-single.sse'));
  const expectedCall = JSON.parse(readFileSync(join(fixtures, 'openai-tool-call-single.expected.json'), 'utf8')).tool_calls[0];
  const answer = 'data: {"choices":[{"index":0,"delta":{"content":"It is sunny."},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
  const { server, seen, url } = await startServer([{ body: toolCall }, { body: answer }]);
  const dir = mkdtempSync(join(tmpdir(), 'confab-chat-'));
  const tools = join(dir, 'tools.json');
  writeFileSync(tools, JSON.stringify([{
    name: expectedCall.function.name,
    description: 'Weather',
    parameters: { type: 'object' },
    // The arguments arrive on stdin; the tool answers with them wrapped.
    command: 'printf "{\\"got\\":"; cat; printf "}"',
  }]));
  try {
    const run = await runChat(['--endpoint', url, '--model', 'm', '--tools', tools], { input: 'weather?\n' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(seen.length, 2);
    const sent = seen[1].body.messages;
    const result = sent[sent.length - 1];
    assert.equal(result.role, 'tool');
    assert.equal(result.tool_call_id, expectedCall.id);
    assert.deepEqual(JSON.parse(result.content), { got: JSON.parse(expectedCall.function.arguments) });
    assert.match(run.stdout, /It is sunny\./);
  } finally {
    server.close();
  }
});

test('chat: Ctrl-C stops a reply, keeps the partial, and the chat goes on', async () => {
  const partial = 'data: {"choices":[{"index":0,"delta":{"content":"Once upon a time"}}]}\n\n';
  const { server, url } = await startServer([{ body: partial, stall: true }]);
  const dir = mkdtempSync(join(tmpdir(), 'confab-chat-'));
  const session = join(dir, 's.json');
  try {
    let sent = false;
    const run = await runChat(['--endpoint', url, '--model', 'm', '--session', session], {
      input: 'story\n',
      onStdout: (text, child) => {
        if (!sent && text.includes('Once upon a time')) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\[stopped\]/);
    const saved = JSON.parse(readFileSync(session, 'utf8'));
    assert.equal(saved.messages[1].content, 'Once upon a time');
    assert.equal(saved.messages[1].incomplete, true);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('chat: a server error is shown with the provider message, and bad usage exits 2', async () => {
  const { server, url } = await startServer([{ status: 401, type: 'application/json', body: '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}' }]);
  try {
    const run = await runChat(['--endpoint', url, '--model', 'm'], { input: 'hi\n' });
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Incorrect API key provided/);
  } finally {
    server.close();
  }
  const bad = await runChat(['--model', 'm']);
  assert.equal(bad.code, 2);
  const corrupt = join(mkdtempSync(join(tmpdir(), 'confab-chat-')), 'bad.json');
  writeFileSync(corrupt, '{"format":"confab.session","version":1,"messages":[{"role":"robot"}]}');
  const refused = await runChat(['--endpoint', 'http://127.0.0.1:9/v1', '--model', 'm', '--session', corrupt]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /messages\[0\]\.role: unknown role "robot"/);
  assert.ok(existsSync(corrupt));
});
