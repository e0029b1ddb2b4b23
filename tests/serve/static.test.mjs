// The widget's files and the demo page: types, caching, precompressed variants, and paths
// that try to leave the folder.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay, raw, stopAll } from './helpers.mjs';

const base = mkdtempSync(join(tmpdir(), 'confab-serve-static-'));
const root = join(base, 'dist');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(join(root, 'shell.html'), '<!doctype html><title>demo</title>');
writeFileSync(join(root, 'confab.js'), 'export const widget = 1;\n'.repeat(50));
writeFileSync(join(root, 'confab.js.br'), 'BROTLI-BYTES');
writeFileSync(join(root, 'confab.js.gz'), 'GZIP-BYTES');
writeFileSync(join(root, 'confab.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
writeFileSync(join(root, 'assets', 'style.css'), 'body{}');
writeFileSync(join(base, 'secret.txt'), 'TOP-SECRET');
symlinkSync(join(base, 'secret.txt'), join(root, 'leak.txt'));
symlinkSync(base, join(root, 'outside'));

after(async () => {
  await stopAll();
  rmSync(base, { recursive: true, force: true });
});

let relay;
test('static: the demo page at /, with types and caching headers', async () => {
  relay = await startRelay(['--static', root]);
  const page = await raw(`${relay.url}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.equal(page.body.toString(), '<!doctype html><title>demo</title>');
  const etag = page.headers.etag;
  assert.ok(etag);
  const revalidated = await raw(`${relay.url}/`, { headers: { 'If-None-Match': etag } });
  assert.equal(revalidated.status, 304);
  assert.equal(revalidated.body.length, 0);

  const wasm = await raw(`${relay.url}/confab.wasm`);
  assert.equal(wasm.headers['content-type'], 'application/wasm');
  assert.match(wasm.headers['cache-control'], /max-age=\d+/);
  assert.equal(wasm.body.length, 8);
  assert.equal((await raw(`${relay.url}/assets/style.css`)).headers['content-type'], 'text/css; charset=utf-8');
  assert.equal((await raw(`${relay.url}/missing.js`)).status, 404);
});

test('static: precompressed files are served when the client accepts them', async () => {
  const br = await raw(`${relay.url}/confab.js`, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(br.body.toString(), 'BROTLI-BYTES');
  assert.match(br.headers.vary, /Accept-Encoding/);
  const gz = await raw(`${relay.url}/confab.js`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.body.toString(), 'GZIP-BYTES');
  const plain = await raw(`${relay.url}/confab.js`);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), 'export const widget = 1;\n'.repeat(50));
  const refused = await raw(`${relay.url}/confab.js`, { headers: { 'Accept-Encoding': 'br;q=0' } });
  assert.equal(refused.headers['content-encoding'], undefined);
});

test('static: traversal and symlinks out of the folder are refused', async () => {
  for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/../../secret.txt',
    '/leak.txt', '/outside/secret.txt', '/..%5csecret.txt', '//etc/passwd', '/%00']) {
    const reply = await raw(relay.url, { path });
    assert.ok(reply.status >= 400 && reply.status < 500, `${path}: ${reply.status}`);
    assert.ok(!reply.body.includes('TOP-SECRET'), path);
    assert.ok(!reply.body.includes('root:'), path);
  }
  assert.equal((await raw(`${relay.url}/healthz`)).status, 200);
});
