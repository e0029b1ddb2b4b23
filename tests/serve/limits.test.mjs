// Who may call the relay and how often: CORS origins, token buckets per client and per
// session with 429 and Retry-After, and buckets shared through Redis by two relays.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startRelay, postChat, chatBody, raw, freePort, until, stopAll } from './helpers.mjs';
import { createConnection } from 'node:net';

after(stopAll);

const demoBody = (extra = {}) => chatBody({ model: 'confab-demo', stream: false, ...extra });

test('cors: preflight answered for listed origins, refused for others; foreign POSTs never reach a model', async () => {
  const relay = await startRelay(['--allow-origin', 'https://shop.example']);
  const preflight = await raw(relay.url, {
    method: 'OPTIONS', path: '/v1/chat/completions',
    headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type, x-confab-session, x-confab-fault' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://shop.example');
  assert.match(preflight.headers['access-control-allow-methods'], /POST/);
  for (const header of ['Content-Type', 'X-Confab-Session', 'X-Confab-Fault'])
    assert.ok(preflight.headers['access-control-allow-headers'].includes(header), header);

  const foreign = await raw(relay.url, { method: 'OPTIONS', path: '/v1/chat/completions', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers['access-control-allow-origin'], undefined);

  const foreignPost = await postChat(relay.url, demoBody(), { Origin: 'https://evil.example' });
  assert.equal(foreignPost.status, 403);
  assert.equal(JSON.parse(foreignPost.body).error.code, 'origin_not_allowed');

  const allowed = await postChat(relay.url, demoBody(), { Origin: 'https://shop.example' });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://shop.example');
  assert.match(allowed.headers['access-control-expose-headers'], /Retry-After/);
  assert.match(allowed.headers.vary, /Origin/);

  const sameOrigin = await postChat(relay.url, demoBody(), { Origin: relay.url });
  assert.equal(sameOrigin.status, 200);
  assert.equal(sameOrigin.headers['access-control-allow-origin'], undefined);

  const noOrigin = await postChat(relay.url, demoBody());
  assert.equal(noOrigin.status, 200);
  await until(() => relay.logs.length >= 6);
  assert.equal(relay.logs.filter((l) => l.source === 'demo').length, 3, 'only the three allowed POSTs were answered');
});

test('rate limit: 429 with Retry-After past the burst, then recovery', async () => {
  const relay = await startRelay(['--rate-limit', '2/s', '--session-rate-limit', 'off']);
  assert.equal((await postChat(relay.url, demoBody())).status, 200);
  assert.equal((await postChat(relay.url, demoBody())).status, 200);
  const limited = await postChat(relay.url, demoBody());
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '1');
  const error = JSON.parse(limited.body).error;
  assert.equal(error.type, 'rate_limit_error');
  assert.equal(error.code, 'rate_limited');
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await postChat(relay.url, demoBody())).status, 200);
  // Static files and the model list are not counted.
  assert.equal((await raw(`${relay.url}/v1/models`)).status, 200);
});

test('rate limit: per session id, independent of the address', async () => {
  const relay = await startRelay(['--rate-limit', 'off', '--session-rate-limit', '1/min']);
  assert.equal((await postChat(relay.url, demoBody(), { 'X-Confab-Session': 'alpha' })).status, 200);
  const again = await postChat(relay.url, demoBody(), { 'X-Confab-Session': 'alpha' });
  assert.equal(again.status, 429);
  assert.ok(Number(again.headers['retry-after']) >= 59);
  assert.equal((await postChat(relay.url, demoBody(), { 'X-Confab-Session': 'beta' })).status, 200);
  assert.equal((await postChat(relay.url, demoBody(), { 'X-Confab-Session': 'x'.repeat(200) })).status, 400);
});

async function redisPing(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
  });
}

test('rate limit: two relays share their buckets through Redis', async (t) => {
  if (!existsSync('/usr/bin/redis-server')) {
    t.skip('/usr/bin/redis-server is not installed (Debian package redis-server)');
    return;
  }
  const port = await freePort();
  const redis = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  t.after(() => redis.kill('SIGKILL'));
  await until(() => redisPing(port), 5000, 'redis to answer');
  const args = ['--redis', `redis://127.0.0.1:${port}`, '--rate-limit', '3/min', '--session-rate-limit', 'off'];
  const [first, second] = await Promise.all([startRelay(args), startRelay(args)]);
  const statuses = [];
  for (const relay of [first, second, first, second, first]) statuses.push((await postChat(relay.url, demoBody())).status);
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);

  // Redis gone: the relays let requests through (and say so in the log) rather than fail.
  redis.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  const during = await postChat(second.url, demoBody());
  assert.equal(during.status, 200);
  await until(() => second.logs.some((l) => /rate limiter: redis/.test(l.error ?? '')), 3000, 'the outage in the log');
});
