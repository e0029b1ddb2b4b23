// A long conversation in the widget: what a turn costs the page's main thread when the open
// session holds 20, 200 or 600 messages of markdown (about 60 KB, 600 KB and 1.8 MB stored),
// beside the same turn in a new, empty session, in the same browser run. Every message a
// session holds is stored, listed, estimated for the next request and sent (no context window
// is set), so the cost of a turn grows with it; this prints how much. The demo model answers
// (confab serve, its default upstream), so nothing but the widget's own work is measured.
//
//   node bench/long-session.mjs [--sizes 20,200,600]
//
// For each session, two turns after importing it. Then the page is loaded again, the widget
// opened on the stored session, its log scrolled up with the mouse wheel, and one more turn
// (turn 3: the first request and save after a reload). For each turn: the long tasks (over
// 50 ms, from Chromium's longtask entries) between sending a message and 1.5 s after its turn
// ended, their sum, the time from send to the end of the turn, and the longest task in a trace
// of that time; for importing the session, opening it, scrolling, a setting changed then (`set`,
// which opens the session again), renaming the session (open, and not open), deleting it and
// undoing that, their long tasks and longest task; and two tabs on it, tab B streaming a reply
// (its downloads slowed to 2 KB/s) while tab A sends a message, the long tasks of each tab (B
// merges A's copy at its flushes, A reads B's). Needs the Release `confab`
// (CONFAB_BIN) and the web build (CONFAB_WEB_DIST), as the browser tests do.
import { parseArgs } from 'node:util';
import { launch, startSite, stopAll, openWidget, sendMessage, requireRealRelay } from '../tests/browser/helpers.mjs';
import { answer } from './render-answer.mjs';

requireRealRelay('bench/long-session.mjs');

const { values: opts } = parseArgs({ options: { sizes: { type: 'string', default: '20,200,600' } } });
const sizes = [0, ...opts.sizes.split(',').map(Number)];
const sections = answer(1500).text;

/** A stored session of `count` messages: questions, and long markdown answers. */
function session(count) {
  const messages = Array.from({ length: count }, (_, k) => ({ id: 'm' + k, role: k % 2 ? 'assistant' : 'user',
    created_ms: 1700000000000 + k * 1000, content: k % 2 ? sections : 'question number ' + k }));
  return JSON.stringify({ format: 'confab.session', version: 1, id: 'long' + count, title: 'long ' + count,
    created_ms: 1700000000000, updated_ms: 1700000000000 + count * 1000, settings: {}, messages });
}

const site = await startSite(['--demo-pace', '5']);
const browser = await launch();

/**
 * Runs `run` while Chromium traces `page`: its value, and the longest task of the page's main
 * thread meanwhile in ms (the longtask entries say only which tasks passed 50 ms).
 */
async function traced(page, run) {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  const value = await run();
  const events = JSON.parse((await browser.stopTracing()).toString('utf8')).traceEvents;
  const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = events.filter((e) => e.ph === 'X' && e.name === 'RunTask' && mains.has(`${e.pid}:${e.tid}`));
  return { value, longest: Math.max(0, ...tasks.map((e) => e.dur / 1000)) };
}
/** Long tasks from here on, in window.longTasks (Chromium's longtask entries). */
const watchLongTasks = (page) => page.evaluate(() => {
  window.longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); })
    .observe({ type: 'longtask' });
});

/** Sends `question` and waits 1.5 s past its turn's end: the turn, its long tasks and the longest task traced. */
async function turn(page, question, { trace = true } = {}) {
  await page.evaluate(() => { window.longTasks = []; });
  const ended = page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    const off = window.Confab.widget.on('turn_end', (done) => {
      off();
      const ms = performance.now() - t0;
      setTimeout(() => resolve({ ms, status: done.status }), 1500);
    });
  }));
  const send = async () => {
    await sendMessage(page, question);
    return ended;
  };
  // Chromium traces one page at a time.
  const { value, longest } = trace ? await traced(page, send) : { value: await send(), longest: NaN };
  return { turn: value, long: await page.evaluate(() => window.longTasks), longest };
}

const rows = [];
const opens = [];
try {
  for (const count of sizes) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(site.pages.url + '/host.html');
    await openWidget(page);
    const bytes = count ? session(count) : '';
    // Imported from a task of the page's (as a file chosen), its text already in the page:
    // handing 6 MB to page.evaluate is itself a long task.
    await page.evaluate((json) => { window.imported = json; }, bytes);
    await page.waitForTimeout(500);
    await watchLongTasks(page);
    const importing = await traced(page, async () => {
      if (count) await page.evaluate(() => new Promise((r) => setTimeout(() => window.Confab.widget.importSession(window.imported).then(r))));
      await page.waitForTimeout(1500);  // the import's flush, and the idle work after opening
    });
    const imported = { long: await page.evaluate(() => window.longTasks), longest: importing.longest };
    for (const [n, question] of ['How does the relay work?', 'And the widget?'].entries()) {
      rows.push({ count, turnNumber: n + 1, kb: bytes.length / 1024, ...await turn(page, question) });
    }
    // Opening it: the page loaded again, the session stored, the launcher clicked.
    await page.waitForTimeout(1000);  // the last flush
    await page.reload();
    await page.locator('confab-chat .launcher').waitFor();
    await page.waitForTimeout(1000);
    await watchLongTasks(page);
    const opening = await traced(page, async () => {
      await page.locator('confab-chat .launcher').click();
      await page.locator('confab-chat textarea').waitFor({ state: 'visible' });
      await page.waitForTimeout(1500);
    });
    const opened = await page.evaluate(() => window.longTasks);
    // Scrolling up through it: the mouse wheel over the log, 1,500 px at a time.
    await page.evaluate(() => { window.longTasks = []; });
    const box = await page.locator('confab-chat .log').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const scrolling = await traced(page, async () => {
      for (let i = 0; i < 60; i++) {
        await page.mouse.wheel(0, -1500);
        await page.waitForTimeout(60);
      }
      await page.waitForTimeout(500);
    });
    const drawn = await page.evaluate(() => document.querySelector('confab-chat').shadowRoot.querySelectorAll('.msg').length);
    const scrolled = await page.evaluate(() => window.longTasks);
    // The first turn after the page loaded again (its first request and save of the session).
    await page.waitForTimeout(2000);
    rows.push({ count, turnNumber: 3, kb: bytes.length / 1024, ...await turn(page, 'And after a reload?') });
    // A setting changed: the session opens again with it (from a task of the page's, as below).
    await page.evaluate(() => { window.longTasks = []; });
    const setting = await traced(page, async () => {
      await page.evaluate(() => setTimeout(() => window.Confab.widget.set({ temperature: 0.5 })));
      await page.waitForTimeout(1500);
    });
    const set = await page.evaluate(() => window.longTasks);
    // Renaming it, open; then, another session open, renaming it and deleting it. Each call is
    // made from a task of the page's, as a click would: Chromium reports no long task for the
    // work of a page.evaluate itself.
    const id = count ? 'long' + count : (await page.evaluate(() => window.Confab.widget.sessions()))[0].id;
    const act = async (/** @type {(id: string) => void} */ action) => {
      await page.evaluate(() => { window.longTasks = []; });
      const { longest } = await traced(page, async () => {
        await page.evaluate(action, id);
        await page.waitForTimeout(1500);
      });
      return { long: await page.evaluate(() => window.longTasks), longest };
    };
    const renamed = await act((id) => setTimeout(() => window.Confab.widget.renameSession(id, 'renamed while open')));
    await page.evaluate(() => window.Confab.widget.newSession());
    await page.waitForTimeout(1000);
    const other = await act((id) => setTimeout(() => window.Confab.widget.renameSession(id, 'renamed from another')));
    const deleted = await act((id) => setTimeout(() => window.Confab.widget.deleteSession(id)));
    await page.evaluate(() => { window.longTasks = []; });
    const undone = await traced(page, async () => {
      await page.locator('confab-chat').getByRole('button', { name: 'Undo' }).click();
      await page.waitForTimeout(1500);
    });
    undone.long = await page.evaluate(() => window.longTasks);
    // Two tabs on it: tab B streams a reply (its downloads slowed to 2 KB/s) while tab A sends a
    // message and gets its answer. B's flushes then merge A's copy into its own until its turn
    // ends: B's long tasks from its send to 1.5 s past its turn's end.
    await page.evaluate((id) => window.Confab.widget.openSession(id), id);
    const tabB = await page.context().newPage();
    await tabB.goto(site.pages.url + '/host.html');
    await openWidget(tabB);
    await tabB.evaluate((id) => window.Confab.widget.openSession(id), id);
    await tabB.waitForTimeout(1500);
    await watchLongTasks(tabB);
    const cdp = await tabB.context().newCDPSession(tabB);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 2048, uploadThroughput: -1 });
    const streamed = turn(tabB, 'Tell me about boots');
    await tabB.locator('confab-chat .log[aria-busy="true"] .msg.assistant .body p').first().waitFor();
    const inA = await turn(page, 'Meanwhile, in another tab?', { trace: false });
    const inB = await streamed;
    const twoTabs = { a: inA, b: inB };
    await tabB.close();
    opens.push({ count, long: opened, scrolled, drawn, set, imported, renamed, other, deleted, undone, twoTabs,
      longest: [opening.longest, scrolling.longest, setting.longest] });
    await page.context().close();
  }
} finally {
  await browser.close();
  await stopAll();
}

console.log('demo turns in a session of N stored messages, turn 3 after the page loaded again (headless Chromium;');
console.log('long tasks are those over 50 ms; longest: the longest task in a trace of the same time)\n');
console.log('messages   stored KB   turn   turn ms   long tasks (ms)                       sum ms   longest');
for (const r of rows) {
  const sum = r.long.reduce((a, b) => a + b, 0);
  console.log(`${String(r.count).padStart(8)} ${r.kb.toFixed(0).padStart(11)} ${String(r.turnNumber).padStart(6)} ${r.turn.ms.toFixed(0).padStart(9)}   ` +
    `${(r.long.map((d) => d.toFixed(0)).join(', ') || '-').padEnd(36)} ${sum.toFixed(0).padStart(7)} ${r.longest.toFixed(1).padStart(9)}` +
    (r.turn.status === 'done' ? '' : `   (status ${r.turn.status})`));
}
console.log('\nopening it (the page loaded again, the launcher clicked), scrolling up through it (60 wheel turns of 1,500 px),');
console.log('and a setting changed after turn 3 (set): long tasks, and the longest task traced');
const tasks = (list, longest) => `${list.map((d) => d.toFixed(0)).join(', ') || '-'}, longest ${longest.toFixed(1)} ms`.padEnd(28);
for (const o of opens) {
  console.log(`${String(o.count).padStart(8)} messages   opening ${tasks(o.long, o.longest[0])} scrolling ${tasks(o.scrolled, o.longest[1])} ` +
    `set ${tasks(o.set, o.longest[2])} (${o.drawn} messages drawn)`);
}
console.log('\nimporting it (into a new page: its first drawing of markdown), renaming it while open, then with another');
console.log('session open renaming it, deleting it and undoing that (the notice\'s button): long tasks, and the longest task traced');
for (const o of opens) {
  console.log(`${String(o.count).padStart(8)} messages   import ${tasks(o.imported.long, o.imported.longest)} ` +
    `rename open ${tasks(o.renamed.long, o.renamed.longest)} ` +
    `rename other ${tasks(o.other.long, o.other.longest)} delete ${tasks(o.deleted.long, o.deleted.longest)} ` +
    `undo ${tasks(o.undone.long, o.undone.longest)}`);
}
console.log('\ntwo tabs on it: tab B streams a reply (downloads at 2 KB/s) while tab A sends a message and gets its answer;');
console.log('each tab\'s long tasks (and tab B\'s longest task traced) from its send to 1.5 s past its turn\'s end');
for (const o of opens) {
  const t = o.twoTabs;
  console.log(`${String(o.count).padStart(8)} messages   tab A ${(t.a.long.map((d) => d.toFixed(0)).join(', ') || '-').padEnd(20)} (turn ${t.a.turn.ms.toFixed(0)} ms)   ` +
    `tab B, streaming ${tasks(t.b.long, t.b.longest)} (turn ${t.b.turn.ms.toFixed(0)} ms, ${t.b.turn.status})`);
}
console.log('');
const sum = (r) => r.long.reduce((a, b) => a + b, 0);
for (const r of rows.filter((r) => r.count > 0)) {
  const base = rows.find((b) => b.count === 0 && b.turnNumber === r.turnNumber);
  console.log(`${r.count} messages, turn ${r.turnNumber}: ${(sum(r) - sum(base)).toFixed(0)} ms of long tasks more than a new session's`);
}
