// `confab serve --upstream`: the relay in front of a fake provider on 127.0.0.1. The key,
// the model table, the request limits, retries before the first byte, streamed bytes passed
// through exactly, failures after the first byte, and clients that leave.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request as httpRequest } from 'node:http';
import {
  startRelay, startUpstream, writeSlowly, postChat, chatBody, raw, until, assemble, freePort, stopAll,
} from './helpers.mjs';

after(stopAll);

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const plain = readFileSync(join(fixtures, 'openai-text-plain.sse'));
const KEY = 'sk-relay-secret-0123456789';

function relayTo(base, extra = []) {
  return startRelay(['--upstream', base, '--api-key-env', 'CONFAB_TEST_KEY', '--models', 'chat=up-model,summary=small-model',
    '--retry-base-ms', '10', ...extra], { env: { CONFAB_TEST_KEY: KEY } });
}

function sse(res, status = 200, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/event-stream; charset=utf-8', ...headers });
}

test('relay: the key reaches the provider and never the client; streamed bytes pass through exactly', async () => {
  const upstream = await startUpstream(async (req, res) => {
    sse(res);
    await writeSlowly(res, plain, 13, 0);
    res.end();
  });
  const relay = await relayTo(upstream.base);
  const reply = await postChat(relay.url, chatBody({ messages: [{ role: 'user', content: 'Tell me a SECRET-CONTENT story' }] }),
    { Authorization: 'Bearer sk-page-key', 'X-Confab-Session': 's1' });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['content-type'], 'text/event-stream');
  assert.ok(reply.body.equals(plain), 'the streamed bytes are the provider\'s, unchanged');
  assert.equal(upstream.seen.length, 1);
  assert.equal(upstream.seen[0].url, '/v1/chat/completions');
  assert.equal(upstream.seen[0].headers.authorization, `Bearer ${KEY}`);
  assert.equal(upstream.seen[0].body.model, 'up-model');
  assert.ok(!JSON.stringify(reply.headers).includes(KEY));
  assert.ok(!reply.body.includes(KEY));
  await until(() => relay.logs.length >= 1, 3000, 'a log line');
  const line = relay.logs[0];
  assert.equal(line.status, 200);
  assert.equal(line.model, 'chat=up-model');
  assert.equal(line.source, 'upstream');
  assert.equal(line.attempts, 1);
  assert.equal(line.bytes_out, plain.length);
  assert.ok(line.first_byte_ms >= 0 && line.total_ms >= line.first_byte_ms);
  const everything = relay.rawLines.join('\n') + JSON.stringify(relay.logs) + relay.stderr();
  assert.ok(!everything.includes(KEY), 'no key in the logs');
  assert.ok(!everything.includes('SECRET-CONTENT'), 'no message content in the logs');
  assert.ok(!everything.includes('sk-page-key'));
});

test('relay: a reply that arrived whole goes out with its length; one still arriving goes out in chunks', async () => {
  const upstream = await startUpstream(async (req, res, body) => {
    if (body.messages[0].content === 'whole') {
      // Head and body in one write: the relay has all of it when it reads the status.
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Content-Length': plain.length });
      res.end(plain);
      return;
    }
    sse(res);
    await writeSlowly(res, plain, 200, 5);
    res.end();
  });
  const relay = await relayTo(upstream.base);
  const whole = await postChat(relay.url, chatBody({ messages: [{ role: 'user', content: 'whole' }] }));
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['content-type'], 'text/event-stream');
  assert.equal(whole.headers['content-length'], String(plain.length));
  assert.ok(whole.body.equals(plain));
  const streamed = await postChat(relay.url, chatBody({ messages: [{ role: 'user', content: 'streamed' }] }));
  assert.equal(streamed.headers['transfer-encoding'], 'chunked');
  assert.ok(streamed.body.equals(plain));
  await until(() => relay.logs.length >= 2, 3000, 'two log lines');
  for (const line of relay.logs) {
    assert.equal(line.bytes_out, plain.length);
    assert.ok(line.first_byte_ms >= 0 && line.total_ms >= line.first_byte_ms);
  }
});

test('relay: aliases map to upstream models, unknown models get 400 with the allowed list', async () => {
  const upstream = await startUpstream((req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
  });
  const relay = await relayTo(upstream.base);
  const models = JSON.parse((await raw(`${relay.url}/v1/models`)).body);
  assert.deepEqual(models.data.map((m) => m.id), ['chat', 'summary']);
  const summary = await postChat(relay.url, chatBody({ model: 'summary', stream: false }));
  assert.equal(summary.status, 200);
  assert.equal(JSON.parse(summary.body).choices[0].message.content, 'ok');
  assert.equal(upstream.seen[0].body.model, 'small-model');
  const refused = await postChat(relay.url, chatBody({ model: 'gpt-5-pro' }));
  assert.equal(refused.status, 400);
  const error = JSON.parse(refused.body).error;
  assert.equal(error.code, 'model_not_allowed');
  assert.deepEqual(error.allowed_models, ['chat', 'summary']);
  const upstreamModel = await postChat(relay.url, chatBody({ model: 'up-model' }));
  assert.equal(upstreamModel.status, 400, 'the page asks by alias only');
  assert.equal(upstream.seen.length, 1);
});

test('relay: limits — huge, non-JSON and deeply nested bodies get 4xx, the relay lives on; caps are applied', async () => {
  const upstream = await startUpstream((req, res) => {
    sse(res);
    res.end('data: [DONE]\n\n');
  });
  const relay = await relayTo(upstream.base, ['--max-tokens', '50', '--max-messages', '3', '--max-content-chars', '1000']);
  const huge = await postChat(relay.url, chatBody({ messages: [{ role: 'user', content: 'x'.repeat(2 * 1024 * 1024) }] }));
  assert.equal(huge.status, 413);
  assert.equal(JSON.parse(huge.body).error.code, 'body_too_large');
  const notJson = await postChat(relay.url, '{"model": "chat", "messages": [');
  assert.equal(notJson.status, 400);
  assert.equal(JSON.parse(notJson.body).error.code, 'invalid_json');
  const deep = await postChat(relay.url, '['.repeat(100000) + ']'.repeat(100000));
  assert.equal(deep.status, 400);
  const deepInside = await postChat(relay.url, `{"model":"chat","messages":[{"role":"user","content":"x"}],"user":${'['.repeat(500)}${']'.repeat(500)}}`);
  assert.equal(deepInside.status, 400);
  const long = await postChat(relay.url, chatBody({ messages: [{ role: 'user', content: 'y'.repeat(1001) }] }));
  assert.equal(long.status, 400);
  const many = await postChat(relay.url, chatBody({ messages: Array(4).fill({ role: 'user', content: 'a' }) }));
  assert.equal(many.status, 400);
  assert.equal(JSON.parse(many.body).error.code, 'too_many_messages');
  assert.equal(upstream.seen.length, 0, 'nothing refused went upstream');

  const capped = await postChat(relay.url, chatBody({ max_tokens: 1000, n: 4, store: true, metadata: { a: 1 } }));
  assert.equal(capped.status, 200);
  assert.equal(capped.headers['x-confab-dropped-fields'], 'metadata, store');
  const sent = upstream.seen[0].body;
  assert.equal(sent.max_tokens, 50);
  assert.equal(sent.n, 1);
  assert.ok(!('store' in sent) && !('metadata' in sent));
  assert.equal((await raw(`${relay.url}/healthz`)).status, 200);
});

test('relay: failures before the first byte are retried with backoff, honouring Retry-After', async () => {
  const upstream = await startUpstream(async (req, res, body, index) => {
    if (index < 2) {
      res.writeHead(index === 0 ? 503 : 429, { 'Content-Type': 'application/json', 'Retry-After': '0' });
      res.end('{"error":{"message":"busy","type":"server_error"}}');
      return;
    }
    sse(res);
    await writeSlowly(res, plain, 500, 0);
    res.end();
  });
  const relay = await relayTo(upstream.base, ['--retries', '3']);
  const reply = await postChat(relay.url, chatBody());
  assert.equal(reply.status, 200);
  assert.ok(reply.body.equals(plain));
  assert.equal(upstream.seen.length, 3);
  await until(() => relay.logs.length >= 1);
  assert.equal(relay.logs[0].attempts, 3);
});

test('relay: retries give up after --retries; a 400 is not retried and passes through; the key is scrubbed', async () => {
  let mode = 'down';
  const upstream = await startUpstream((req, res) => {
    if (mode === 'down') {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end('{"error":{"message":"upstream broke","type":"server_error"}}');
    } else if (mode === 'bad') {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad request for key ${KEY}`, type: 'invalid_request_error', code: 'x' } }));
    } else {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error' } }));
    }
  });
  const relay = await relayTo(upstream.base, ['--retries', '2']);
  const down = await postChat(relay.url, chatBody());
  assert.equal(down.status, 500);
  assert.equal(JSON.parse(down.body).error.message, 'upstream broke');
  assert.equal(upstream.seen.length, 2);

  mode = 'bad';
  const bad = await postChat(relay.url, chatBody());
  assert.equal(bad.status, 400);
  assert.equal(upstream.seen.length, 3);
  assert.ok(!bad.body.includes(KEY));
  assert.match(JSON.parse(bad.body).error.message, /\[redacted\]/);

  mode = 'auth';
  const auth = await postChat(relay.url, chatBody());
  assert.equal(auth.status, 502);
  assert.equal(JSON.parse(auth.body).error.code, 'upstream_auth');
  assert.ok(!auth.body.includes(KEY));
});

test('relay: an unreachable provider is a 502 after the retries', async () => {
  const port = await freePort();
  const relay = await relayTo(`http://127.0.0.1:${port}/v1`, ['--retries', '2']);
  const reply = await postChat(relay.url, chatBody());
  assert.equal(reply.status, 502);
  const error = JSON.parse(reply.body).error;
  assert.equal(error.type, 'relay_error');
  assert.equal(error.code, 'upstream_unreachable');
  await until(() => relay.logs.length >= 1);
  assert.equal(relay.logs[0].attempts, 2);
});

test('relay: a provider that fails after the first byte ends the stream with an error event the core reads', async () => {
  const upstream = await startUpstream(async (req, res) => {
    sse(res);
    await writeSlowly(res, plain.subarray(0, 1000), 250, 5);
    res.socket.destroy();
  });
  const relay = await relayTo(upstream.base);
  const reply = await postChat(relay.url, chatBody());
  assert.equal(reply.status, 200);
  assert.ok(reply.body.subarray(0, 1000).equals(plain.subarray(0, 1000)), 'what arrived is passed on unchanged');
  const tail = reply.body.subarray(1000).toString();
  assert.match(tail, /data: \{"error":\{"message":"the provider's connection failed[^"]*","type":"relay_error"\}\}\n\n$/);
  const message = await assemble(reply.body);
  assert.equal(message.errors.length, 1);
  assert.equal(message.errors[0].type, 'relay_error');
  assert.equal(upstream.seen.length, 1, 'never retried after the first byte');
});

test('relay: a client that leaves cancels the provider request, mid-stream and before the first byte', async () => {
  const upstream = await startUpstream(async (req, res, body) => {
    if (body.messages[0].content === 'slow head') return; // never answers
    sse(res);
    for (let i = 0; i < 500 && !res.destroyed; i++) {
      res.write(`data: {"choices":[{"index":0,"delta":{"content":"${i} "}}]}\n\n`);
      await new Promise((r) => setTimeout(r, 20));
    }
    res.end();
  });
  const relay = await relayTo(upstream.base);
  const { port } = new URL(relay.url);
  await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => {});
    req.end(chatBody());
    setTimeout(() => reject(new Error('no first byte')), 5000);
  });
  await until(() => upstream.seen[0]?.closed, 3000, 'the provider request to be cancelled');

  const slow = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent: false, headers: { 'Content-Type': 'application/json' } });
  slow.on('error', () => {});
  slow.end(chatBody({ messages: [{ role: 'user', content: 'slow head' }] }));
  await until(() => upstream.seen.length === 2, 3000, 'the second request upstream');
  slow.destroy();
  await until(() => upstream.seen[1].closed, 3000, 'the waiting provider request to be cancelled');
  await until(() => relay.logs.length >= 2);
  assert.equal((await raw(`${relay.url}/healthz`)).status, 200);
});
