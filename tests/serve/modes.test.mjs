// Test modes: --replay (recorded streams, byte for byte) and --faults (a header picks a
// fault), and SIGTERM's drain.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request as httpRequest } from 'node:http';
import { startRelay, postChat, chatBody, raw, assemble, until, stopAll } from './helpers.mjs';

after(stopAll);

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const fileA = join(fixtures, 'openai-text-plain.sse');
const fileB = join(fixtures, 'deepseek-tool-call.sse');
const bytesA = readFileSync(fileA);
const bytesB = readFileSync(fileB);

// Streams a POST, calling onData(buffer so far, req); resolves {status, body, complete, error}.
function stream(url, headers, onData = () => {}) {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const parts = [];
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent: false, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      res.on('data', (d) => {
        parts.push(d);
        onData(Buffer.concat(parts), req);
      });
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts), complete: res.complete }));
      res.on('error', (error) => resolve({ status: res.statusCode, body: Buffer.concat(parts), complete: false, error }));
      res.on('close', () => resolve({ status: res.statusCode, body: Buffer.concat(parts), complete: res.complete }));
    });
    req.on('error', (error) => resolve({ status: 0, body: Buffer.concat(parts), complete: false, error }));
    req.end(chatBody());
  });
}

test('replay: each request gets the next recording, byte for byte, in chunks of the given size', async () => {
  const relay = await startRelay(['--replay', fileA, fileB, '--replay-chunk', '7']);
  const first = await postChat(relay.url, chatBody());
  assert.equal(first.status, 200);
  assert.equal(first.headers['content-type'], 'text/event-stream');
  assert.ok(first.body.equals(bytesA));
  assert.ok((await postChat(relay.url, chatBody())).body.equals(bytesB));
  assert.ok((await postChat(relay.url, chatBody())).body.equals(bytesA), 'the recordings go round');
});

let faulty;
test('faults: drop-after=N closes the connection after exactly N bytes', async () => {
  faulty = await startRelay(['--faults', '--replay', fileA, '--replay-chunk', '50']);
  const reply = await stream(faulty.url, { 'X-Confab-Fault': 'drop-after=333' });
  assert.equal(reply.status, 200);
  assert.equal(reply.complete, false, 'the body did not end properly');
  assert.ok(reply.body.equals(bytesA.subarray(0, 333)));
});

test('faults: stall-after=N sends N bytes, then nothing until the client gives up', async () => {
  let stalledAt = 0;
  const reply = await stream(faulty.url, { 'X-Confab-Fault': 'stall-after=120' }, (body, req) => {
    if (body.length === 120 && !stalledAt) {
      stalledAt = Date.now();
      setTimeout(() => req.destroy(), 400);
    }
  });
  assert.ok(reply.body.equals(bytesA.subarray(0, 120)));
  assert.ok(stalledAt > 0);
  await until(() => faulty.logs.some((l) => l.error === 'fault: stalled'), 3000, 'the stall to end when the client left');
});

test('faults: status=S;retry-after=N answers that status before anything is streamed', async () => {
  const reply = await postChat(faulty.url, chatBody(), { 'X-Confab-Fault': 'status=503;retry-after=7' });
  assert.equal(reply.status, 503);
  assert.equal(reply.headers['retry-after'], '7');
  const error = JSON.parse(reply.body).error;
  assert.equal(error.type, 'relay_fault');
  assert.match(error.message, /503/);
});

test('faults: corrupt-event=N breaks the JSON of exactly that event', async () => {
  const reply = await postChat(faulty.url, chatBody(), { 'X-Confab-Fault': 'corrupt-event=2' });
  assert.equal(reply.body.length, bytesA.length);
  let differences = 0;
  for (let i = 0; i < bytesA.length; i++) if (reply.body[i] !== bytesA[i]) differences++;
  assert.equal(differences, 1);
  const message = await assemble(reply.body);
  assert.equal(message.problems.length, 1);
});

test('faults: slow=MS keeps the bytes intact; a bad header is a 400; without --faults the header is ignored', async () => {
  const slow = await postChat(faulty.url, chatBody(), { 'X-Confab-Fault': 'slow=2' });
  assert.ok(slow.body.equals(bytesA));
  const bad = await postChat(faulty.url, chatBody(), { 'X-Confab-Fault': 'explode=1' });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).error.code, 'invalid_fault');
  const plain = await startRelay(['--replay', fileA]);
  const ignored = await postChat(plain.url, chatBody(), { 'X-Confab-Fault': 'status=500' });
  assert.equal(ignored.status, 200);
  assert.ok(ignored.body.equals(bytesA));
});

test('sigterm: new connections are refused, the stream in flight finishes, exit 0', async () => {
  const relay = await startRelay(['--replay', fileA, '--replay-chunk', '500', '--replay-pace', '60']);
  let signalled = false;
  const inFlight = stream(relay.url, {}, () => {
    if (!signalled) {
      signalled = true;
      relay.child.kill('SIGTERM');
    }
  });
  await until(() => signalled, 5000, 'the first bytes');
  await until(() => relay.logs.some((l) => l.event === 'draining'), 3000, 'the draining line');
  const refused = await raw(`${relay.url}/healthz`).then(() => 'served', (error) => error.code);
  assert.equal(refused, 'ECONNREFUSED');
  const reply = await inFlight;
  assert.equal(reply.complete, true);
  assert.ok(reply.body.equals(bytesA), 'the stream in flight was finished');
  const { code } = await relay.exited;
  assert.equal(code, 0);
});

test('sigterm: a stream longer than --drain-seconds is ended with an error event, then exit 0', async () => {
  const relay = await startRelay(['--replay', fileA, '--replay-chunk', '100', '--replay-pace', '100', '--drain-seconds', '1']);
  let signalled = false;
  const inFlight = stream(relay.url, {}, () => {
    if (!signalled) {
      signalled = true;
      relay.child.kill('SIGTERM');
    }
  });
  const reply = await inFlight;
  assert.ok(reply.body.length < bytesA.length);
  assert.match(reply.body.toString(), /data: \{"error":\{"message":"the relay is shutting down","type":"relay_error"\}\}\n\n$/);
  const { code } = await relay.exited;
  assert.equal(code, 0);
});
