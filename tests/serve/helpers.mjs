// Shared by the relay's HTTP tests: start `confab serve --port 0` and read where it listens,
// fake providers on 127.0.0.1, raw HTTP where fetch would hide what the relay did.
// Every process and server started here is stopped by stopAll() (each test file calls it
// in after()), and by process exit as a last resort.
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { createInterface } from 'node:readline';
import { once } from 'node:events';

import { confab } from '../cli/confab-bin.mjs';
export { confab };

const children = new Set();
const servers = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function stopAll() {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const server of servers) {
    server.closeAllConnections?.();
    server.close();
  }
  servers.clear();
}

// Starts the relay; resolves once it printed its listening line.
// Returns {url, child, logs (parsed JSON lines after the first), stderr(), exited}.
export function startRelay(args = [], { env = {}, timeoutMs = 15000 } = {}) {
  const child = spawn(confab, ['serve', '--port', '0', '--demo-pace', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const logs = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    let first = true;
    lines.on('line', (line) => {
      const value = JSON.parse(line);
      if (first) {
        first = false;
        clearTimeout(timer);
        if (value.event !== 'listening') return reject(new Error(`first line was ${line}`));
        resolve({ url: value.url, child, logs, stderr: () => stderr, exited, rawLines: [line] });
        return;
      }
      logs.push(value);
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      if (first) reject(new Error(`confab serve exited with ${code}: ${stderr}`));
    });
  });
}

// Waits until `predicate()` holds, polling; fails after `timeoutMs`.
export async function until(predicate, timeoutMs = 5000, what = 'condition') {
  const start = Date.now();
  while (!(await predicate())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A fake provider: `handle(req, res, body, index)` answers each request; every request is
// recorded in `seen` as {url, headers, body (parsed when JSON), raw}.
export async function startUpstream(handle) {
  const seen = [];
  const server = createServer((req, res) => {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body = raw;
      try { body = JSON.parse(raw); } catch { /* left as text */ }
      const entry = { url: req.url, headers: req.headers, body, raw, closed: false };
      seen.push(entry);
      res.on('close', () => (entry.closed = true));
      handle(req, res, body, seen.length - 1);
    });
  });
  servers.add(server);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, base: `http://127.0.0.1:${server.address().port}/v1` };
}

// Writes `bytes` in pieces of `size`, `delayMs` apart; stops if the client left.
export async function writeSlowly(res, bytes, size = 64, delayMs = 1) {
  const buffer = Buffer.from(bytes);
  for (let at = 0; at < buffer.length; at += size) {
    if (res.destroyed) return false;
    res.write(buffer.subarray(at, at + size));
    await new Promise((r) => setTimeout(r, delayMs));
  }
  return true;
}

export async function freePort() {
  const server = createNetServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

// A raw HTTP request (no fetch normalisation): resolves {status, headers, body: Buffer}.
export function raw(url, { method = 'GET', path, headers = {}, body } = {}) {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: target.hostname, port: target.port, method, path: path ?? target.pathname, headers, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), complete: res.complete }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(20000, () => req.destroy(new Error('request timed out')));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function chatBody(extra = {}) {
  return JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Hello' }], ...extra });
}

export async function postChat(url, body, headers = {}) {
  return raw(url, { method: 'POST', path: '/v1/chat/completions', headers: { 'Content-Type': 'application/json', ...headers }, body });
}

// Feeds SSE bytes to `confab replay -`: the core's own parser and assembler.
export async function assemble(bytes) {
  const child = spawn(confab, ['replay', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stdin.end(bytes);
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`confab replay exited ${code}`);
  return JSON.parse(out);
}
