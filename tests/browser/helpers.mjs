// Shared by the browser tests: Debian's Chromium through playwright-core, `confab serve` on
// 127.0.0.1 (CONFAB_BIN) serving the widget (CONFAB_WEB_DIST), and a second server on
// another 127.0.0.1 port for the test pages (tests/browser/pages), so every test embeds the
// widget cross-origin, as a site using `confab serve --allow-origin` would.
//
// Without a CONFAB_BIN that has `serve`, fake.mjs stands in for the relay (same contract).
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const fixtures = join(repo, 'tests', 'fixtures');
export const dist = resolve(process.env.CONFAB_WEB_DIST ?? join(repo, 'build', 'wasm', 'web', 'dist'));
if (!existsSync(join(dist, 'confab.js'))) throw new Error(`CONFAB_WEB_DIST (${dist}) has no confab.js: build the wasm preset first`);

const bin = process.env.CONFAB_BIN;
/** Whether the real relay is there: a confab binary whose `serve --help` works. */
export const realRelay = !!bin && existsSync(bin) && spawnSync(bin, ['serve', '--help'], { timeout: 5000 }).status === 0;

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
}

/**
 * For benchmarks that time the real relay's work (a replay's pace, the demo model): without
 * CONFAB_BIN the stand-in answers (tests/browser/fake.mjs), which sends a replay at once, and
 * the figures would be of another stream. Exits with a message then.
 */
export function requireRealRelay(/** @type {string} */ script) {
  if (realRelay) return;
  console.error(`${script} needs the real relay: set CONFAB_BIN to a Release confab (build/release/native/confab); ` +
    'tests/browser/fake.mjs does not pace what it sends');
  process.exit(2);
}

/** Every child and server started here, stopped by stopAll() (each test file's `after`). */
const running = [];

/**
 * Starts the relay with `args` (e.g. ['--faults'], ['--replay', file]) on a free port.
 * @returns {Promise<{url: string, stop: () => Promise<void>}>}
 */
export async function startRelay(args = [], { allowOrigin } = {}) {
  const command = realRelay ? bin : process.execPath;
  // --drain-seconds 0: a test's relay stops at once, even with the browser's keep-alive connections open.
  const all = [...(realRelay ? ['serve', '--drain-seconds', '0'] : [join(here, 'fake.mjs')]), '--port', '0', '--static', dist, ...args];
  if (allowOrigin) all.push('--allow-origin', allowOrigin);
  const child = spawn(command, all, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('the relay did not start: ' + stderr)), 10000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try { resolveUrl(JSON.parse(line).url); } catch { reject(new Error('unexpected first line: ' + line)); }
    });
    child.once('exit', (code) => reject(new Error(`the relay exited (${code}): ${stderr}`)));
  });
  lines.on('line', () => {});
  const stop = () => new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 300).unref();  // the tests need no graceful drain
  });
  running.push(stop);
  return { url, stop };
}

/** A relay that allows the pages' origin, and the pages server: what most tests need. */
export async function startSite(relayArgs = []) {
  // The pages' origin must be known before the relay starts (--allow-origin): take a free port.
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  const relay = await startRelay(relayArgs, { allowOrigin: `http://127.0.0.1:${port}` });
  const pages = await startPages(relay.url, port);
  return { relay, pages };
}

/**
 * Serves tests/browser/pages on `port` (0: any); `__RELAY__` in a page becomes the relay's URL.
 * @returns {Promise<{url: string, stop: () => Promise<void>}>}
 */
export async function startPages(relay, port = 0) {
  for (let attempt = 0; ; attempt++) {
    try {
      const root = join(here, 'pages');
      const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
      const server = createServer((req, res) => {
        const path = join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
        if (!path.startsWith(root) || !existsSync(path) || !statSync(path).isFile()) return res.writeHead(404).end();
        let body = readFileSync(path);
        if (extname(path) === '.html') body = Buffer.from(body.toString('utf8').replaceAll('__RELAY__', relay));
        // page.html.headers.json: more response headers for that page (a Content-Security-Policy).
        const extra = existsSync(path + '.headers.json')
          ? JSON.parse(readFileSync(path + '.headers.json', 'utf8').replaceAll('__RELAY__', relay)) : {};
        res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream', 'Cache-Control': 'no-store', ...extra });
        res.end(body);
      });
      await new Promise((r, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', r); });
      const origin = `http://127.0.0.1:${server.address().port}`;
      const stop = () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); });
      running.push(stop);
      return { url: origin, origin, stop };
    } catch (error) {
      if (attempt > 20) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function stopAll() {
  await Promise.all(running.splice(0).map((stop) => stop()));
}

// ---- in the page ---------------------------------------------------------------------------

/** Opens the floating widget by clicking its launcher; resolves when the input is ready. */
export async function openWidget(page) {
  await page.locator('confab-chat .launcher').click();
  await page.locator('confab-chat textarea').waitFor({ state: 'visible' });
}

/** Types a message and sends it with Enter. */
export async function sendMessage(page, text) {
  const input = page.locator('confab-chat textarea');
  await input.fill(text);
  await input.press('Enter');
}

/** Resolves with the next `turn_end` event's detail (call before the action that causes it). */
export function nextTurnEnd(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const off = window.Confab.widget.on('turn_end', (detail) => { off(); resolve(detail); });
  }));
}

/** Records every event of the tag's widget in window.__events (for assertions after the fact). */
export async function recordEvents(page) {
  await page.evaluate(() => {
    window.__events = [];
    for (const name of ['message', 'delta', 'tool_call', 'error', 'turn_end'])
      window.Confab.widget.on(name, (detail) => window.__events.push({ name, detail }));
  });
}

/** Waits until `count` turn_end events were recorded. */
export async function waitForTurns(page, count, timeout = 20000) {
  await page.waitForFunction((n) => window.__events.filter((e) => e.name === 'turn_end').length >= n, count, { timeout });
}

/** The text of every message in the log, as shown. */
export function shownMessages(page) {
  return page.locator('confab-chat .msg').evaluateAll((nodes) => nodes.map((n) => ({
    role: n.classList.contains('user') ? 'user' : 'assistant',
    text: n.querySelector('.body')?.textContent ?? '',
  })));
}

/** Every session file IndexedDB holds for the widget: {path: text}. */
export function storedFiles(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('/confab');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const out = {};
      if (!db.objectStoreNames.contains('FILE_DATA')) return resolve(out);
      const store = db.transaction('FILE_DATA').objectStore('FILE_DATA');
      const cursor = store.openCursor();
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) { db.close(); return resolve(out); }
        if (c.value.contents) out[c.key] = new TextDecoder().decode(c.value.contents);
        c.continue();
      };
    };
  }));
}

/** Waits until IndexedDB holds `text` (a flush is debounced). */
export async function waitStored(page, text) {
  for (let i = 0; i < 100; i++) {
    if (Object.values(await storedFiles(page)).some((t) => t.includes(text))) return;
    await page.waitForTimeout(50);
  }
  throw new Error('never stored: ' + text);
}

/** Waits until IndexedDB no longer holds session `id`. */
export async function waitGone(page, id) {
  for (let i = 0; i < 100; i++) {
    if (!Object.keys(await storedFiles(page)).some((path) => path.endsWith('/' + id + '.json'))) return;
    await page.waitForTimeout(50);
  }
  throw new Error('never deleted: ' + id);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `predicate(arg)`, run in `page`, holds; it may return a promise (the widget's API
 * does). page.waitForFunction takes a returned promise for a true value at once, whatever it
 * resolves to: waits written that way waited for nothing.
 */
export async function waitUntil(page, predicate, arg, { timeout = 20000 } = {}) {
  const end = Date.now() + timeout;
  while (!(await page.evaluate(predicate, arg))) {
    if (Date.now() > end) throw new Error(`waited ${timeout} ms for ${predicate}`);
    await sleep(100);
  }
}
