// The relay's client connections (native/serve/client_connection.h): a response head held for
// its body still reaches the client before the relay waits on a provider; kept-alive and
// pipelined requests on one socket are answered in order; "Expect: 100-continue" gets its
// interim response before the relay reads the body; a request cut short fails only itself.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { startRelay, startUpstream, chatBody, until, stopAll } from './helpers.mjs';

after(stopAll);

// Sends `bytes` on one socket and collects everything until the relay closes it.
function exchange(url, bytes) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    const parts = [];
    socket.on('data', (d) => parts.push(d));
    socket.on('end', () => resolve(Buffer.concat(parts).toString('latin1')));
    socket.on('error', reject);
    socket.setTimeout(10000, () => socket.destroy(new Error('the relay did not close the connection')));
  });
}

// Splits a byte string holding several HTTP/1.1 responses with Content-Length bodies.
function responses(text) {
  const out = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    assert.ok(headEnd > 0, `a response head at byte ${at}`);
    const head = text.slice(at, headEnd);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
    assert.ok(Number.isFinite(length), `a Content-Length in ${head}`);
    out.push({ status: Number(head.slice(9, 12)), head, body: text.slice(headEnd + 4, headEnd + 4 + length) });
    at = headEnd + 4 + length;
  }
  return out;
}

test('connection: the head of a streamed reply reaches the client before the provider\'s first byte', async () => {
  let release;
  const released = new Promise((r) => (release = r));
  const upstream = await startUpstream(async (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.flushHeaders();
    await released;  // the first byte only once the client has seen the head
    res.end('data: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\ndata: [DONE]\n\n');
  });
  const relay = await startRelay(['--upstream', upstream.base, '--models', 'chat=up']);
  const { hostname, port } = new URL(relay.url);
  let headAt = 0;
  const body = await new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method: 'POST', path: '/v1/chat/completions', agent: false,
      headers: { 'Content-Type': 'application/json' } }, (res) => {
      headAt = Date.now();
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      release();
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts).toString()));
    });
    req.on('error', reject);
    req.end(chatBody());
    // Without the head, the provider is never released and this fails instead of hanging.
    until(() => headAt > 0, 5000, 'the response head while the provider holds its body').catch(reject);
  });
  assert.match(body, /"late"/);
});

test('connection: kept-alive and pipelined requests on one socket are answered in order', async () => {
  const relay = await startRelay();
  const get = (path, last = false) => `GET ${path} HTTP/1.1\r\nHost: x\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
  const post = chatBody({ stream: false });
  const chat = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(post)}\r\n\r\n${post}`;
  // Three requests in one write, then one more after the answers began.
  const text = await exchange(relay.url, get('/healthz') + get('/v1/models') + chat + get('/healthz', true));
  const answers = responses(text);
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
  assert.equal(JSON.parse(answers[0].body).status, 'ok');
  assert.ok(JSON.parse(answers[1].body).data.some((m) => m.id === 'confab-demo'));
  assert.equal(JSON.parse(answers[2].body).object, 'chat.completion');
  assert.equal(JSON.parse(answers[3].body).status, 'ok');
  assert.match(answers[3].head, /\r\nConnection: close/i);
  await until(() => relay.logs.length >= 4, 3000, 'four log lines');
  assert.deepEqual(relay.logs.slice(0, 4).map((l) => l.path), ['/healthz', '/v1/models', '/v1/chat/completions', '/healthz']);
});

test('connection: "Expect: 100-continue" is answered before the relay waits for the body', async () => {
  const relay = await startRelay();
  const { hostname, port } = new URL(relay.url);
  const body = chatBody({ stream: false });
  let continued = false;
  const status = await new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method: 'POST', path: '/v1/chat/completions', agent: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Expect: '100-continue' } },
    (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    // The body goes only after the interim response: if the relay held it, nothing moves.
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('error', reject);
    req.setTimeout(4000, () => req.destroy(new Error('no 100 Continue: the relay held its interim response')));
    req.flushHeaders();
  });
  assert.ok(continued);
  assert.equal(status, 200);
});

test('connection: a request cut off mid-body fails alone; the relay answers the next connection', async () => {
  const relay = await startRelay();
  const partial = 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"model":';
  const { hostname, port } = new URL(relay.url);
  await new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(partial);
      setTimeout(() => socket.destroy(), 50);
    });
    socket.on('close', resolve);
    socket.on('error', () => {});
  });
  const text = await exchange(relay.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(responses(text)[0].status, 200);
});
