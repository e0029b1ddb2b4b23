// A hidden tab on a long session while another tab streams into it: what the hidden tab's main
// thread spends (CDP Performance.getMetrics, TaskDuration) and how much it reads from IndexedDB
// (IDBObjectStore.get calls and the bytes they return) during tab A's turn and 1.5 s after, beside
// the same turn with tab B shown, in the same run. Tab A's downloads are slowed to 2 KB/s, so
// its reply streams for several seconds and A flushes about once a second. A shown tab pulls each
// flush and draws the session again; a hidden one lists what A tells and pulls once shown
// (web/store.js, #told). Headless Chromium shows every page: B's document is made to say hidden.
//
//   node bench/hidden-tab.mjs [--messages 2000]
//
// Needs the Release `confab` (CONFAB_BIN) and the web build (CONFAB_WEB_DIST), as the browser tests do.
import { parseArgs } from 'node:util';
import { launch, startSite, stopAll, openWidget, sendMessage, requireRealRelay } from '../tests/browser/helpers.mjs';
import { answer } from './render-answer.mjs';

requireRealRelay('bench/hidden-tab.mjs');

const { values: opts } = parseArgs({ options: { messages: { type: 'string', default: '2000' } } });
const count = Number(opts.messages);
const sections = answer(1500).text;
const messages = Array.from({ length: count }, (_, k) => ({ id: 'm' + k, role: k % 2 ? 'assistant' : 'user',
  created_ms: 1700000000000 + k * 1000, content: k % 2 ? sections : 'question number ' + k }));
const bytes = JSON.stringify({ format: 'confab.session', version: 1, id: 'long', title: 'long', created_ms: 1700000000000,
  updated_ms: 1700000000000 + count * 1000, settings: {}, messages });

const site = await startSite(['--demo-pace', '5']);
const browser = await launch();
try {
  const context = await browser.newContext();
  const a = await context.newPage();
  await a.goto(site.pages.url + '/host.html');
  await openWidget(a);
  await a.evaluate((json) => { window.imported = json; }, bytes);
  await a.evaluate(() => window.Confab.widget.importSession(window.imported));
  await a.waitForTimeout(3000);
  const b = await context.newPage();
  await b.addInitScript(() => {
    window.reads = { gets: 0, bytes: 0 };
    const get = IDBObjectStore.prototype.get;
    IDBObjectStore.prototype.get = function (...args) {
      window.reads.gets += 1;
      const request = get.apply(this, args);
      request.addEventListener('success', () => { window.reads.bytes += request.result?.contents?.byteLength ?? 0; });
      return request;
    };
  });
  await b.goto(site.pages.url + '/host.html');
  await openWidget(b);
  await b.evaluate(() => window.Confab.widget.openSession('long'));
  await b.waitForTimeout(2000);
  const metrics = await context.newCDPSession(b);
  await metrics.send('Performance.enable');
  const busy = async () => (await metrics.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value * 1000;
  const network = await context.newCDPSession(a);
  await network.send('Network.enable');
  await network.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 2048, uploadThroughput: -1 });

  console.log(`tab B on a session of ${count} messages (${(bytes.length / 1e6).toFixed(1)} MB) while tab A streams a reply into it (downloads at 2 KB/s)\n`);
  console.log('tab B     A\'s turn   B\'s main thread   IndexedDB reads');
  for (const [label, hidden] of [['shown', false], ['hidden', true]]) {
    await b.evaluate((hidden) => {
      if (hidden) Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      else delete document.visibilityState;
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    await b.waitForTimeout(1000);
    await b.evaluate(() => { window.reads = { gets: 0, bytes: 0 }; });
    const before = await busy();
    const ended = a.evaluate(() => new Promise((resolve) => {
      const t0 = performance.now();
      const off = window.Confab.widget.on('turn_end', () => { off(); resolve(performance.now() - t0); });
    }));
    await sendMessage(a, `Tell me about boots (B ${label})`);
    const ms = await ended;
    await a.waitForTimeout(1500);
    const spent = (await busy()) - before;
    const reads = await b.evaluate(() => window.reads);
    console.log(`${label.padEnd(8)} ${(ms / 1000).toFixed(1).padStart(7)} s ${spent.toFixed(0).padStart(14)} ms   ${String(reads.gets).padStart(3)}, ${(reads.bytes / 1e6).toFixed(1)} MB`);
  }
} finally {
  await browser.close();
  await stopAll();
}
