// Embedding: one script tag on a page of another origin, the launcher at once and nothing
// else until the visitor comes near it, only `Confab` added to the page's globals, a reply
// visible while it streams, calls queued before the widget loaded, and <confab-chat> inline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startSite, stopAll, openWidget, sendMessage, recordEvents, waitForTurns, shownMessages } from './helpers.mjs';

let browser, site;
before(async () => {
  site = await startSite(['--demo-pace', '25']);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => { window.__globalsBefore = Object.getOwnPropertyNames(window); });
  return page;
}

const addedGlobals = (page) => page.evaluate(() =>
  Object.getOwnPropertyNames(window).filter((n) => !window.__globalsBefore.includes(n) && n !== '__globalsBefore' && n !== '__events'));

test('embed: one tag draws the launcher and loads nothing else until the visitor comes near it', async () => {
  const page = await newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(site.pages.url + '/host.html');
  const launcher = page.locator('confab-chat .launcher');
  await launcher.waitFor();
  assert.equal(await launcher.getAttribute('aria-label'), 'Open chat: Test chat');
  await page.waitForLoadState('networkidle');
  const fromRelay = requests.filter((u) => u.startsWith(site.relay.url));
  assert.deepEqual(fromRelay, [site.relay.url + '/confab.js']);
  assert.deepEqual(await addedGlobals(page), ['Confab']);

  await openWidget(page);
  assert.ok(requests.some((u) => u.endsWith('/engine.wasm')), 'the core loads once the visitor opens the chat');
  assert.equal(await page.locator('confab-chat [role=dialog]').getAttribute('aria-label'), 'Test chat');
  assert.deepEqual(await addedGlobals(page), ['Confab']);
  await page.context().close();
});

test('embed: a streamed reply appears while it streams, not only at the end', async () => {
  const page = await newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await recordEvents(page);
  // Watch the reply's text from inside the page: what it shows while the log is still busy.
  const whileStreaming = page.evaluate(() => new Promise((resolve) => {
    const root = document.querySelector('confab-chat').shadowRoot;
    const seen = [];
    const look = () => {
      const body = root.querySelector('.msg.assistant .body');
      const busy = root.querySelector('.log').getAttribute('aria-busy') === 'true';
      if (body && busy && body.textContent && !seen.includes(body.textContent)) seen.push(body.textContent);
      if (!busy && seen.length) return resolve(seen);
      requestAnimationFrame(look);
    };
    look();
  }));
  await sendMessage(page, 'Tell me about boots');
  const seen = await whileStreaming;
  await waitForTurns(page, 1);
  const final = (await shownMessages(page)).at(-1);
  assert.equal(final.role, 'assistant');
  assert.ok(final.text.length > 50, 'the whole reply is shown');
  assert.ok(seen.length >= 3, `the reply grew in several steps while streaming (${seen.length})`);
  assert.ok(seen[0].length < final.text.length, 'the first text shown was a part of the reply');
  const events = await page.evaluate(() => window.__events.map((e) => e.name));
  assert.ok(events.filter((e) => e === 'delta').length > 5);
  const messages = await page.evaluate(() => window.__events.filter((e) => e.name === 'message').map((e) => e.detail));
  assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant']);
  assert.equal(messages[1].finish_reason, 'stop');
  assert.deepEqual(await addedGlobals(page), ['Confab']);
  await page.context().close();
});

test('embed: a setting changed while a reply streams applies to the next request', async () => {
  const page = await newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const turnEnd = () => page.evaluate(() => new Promise((r) => { const off = window.Confab.widget.on('turn_end', (d) => { off(); r(d); }); }));
  const reasoning = () => page.locator('confab-chat .msg.assistant .thinking').evaluateAll((all) => all.map((d) => !d.hidden));
  let ended = turnEnd();
  await sendMessage(page, 'Tell me about boots');
  await page.locator('confab-chat .log[aria-busy="true"] .msg.assistant .body p').first().waitFor();
  // confab-demo-reasoner thinks first: its replies show their reasoning.
  await page.evaluate(() => window.Confab.widget.set({ model: 'confab-demo-reasoner' }));
  assert.equal((await ended).status, 'done');
  ended = turnEnd();
  await sendMessage(page, 'And about tents?');
  assert.equal((await ended).status, 'done');
  assert.deepEqual(await reasoning(), [false, true]);
  await page.context().close();
});

test('embed: calls made before the widget loaded are queued, not lost', async () => {
  const page = await newPage();
  await page.goto(site.pages.url + '/host.html');
  const ended = page.evaluate(() => new Promise((resolve) => {
    const c = window.Confab.widget;
    c.on('turn_end', resolve);
    c.send('queued before loading');  // the widget is not loaded yet: this waits for it
  }));
  const turn = await ended;
  assert.equal(turn.status, 'done');
  await openWidget(page);
  const shown = await shownMessages(page);
  assert.equal(shown[0].text, 'queued before loading');
  assert.equal(shown[1].role, 'assistant');
  assert.ok(shown[1].text.length > 20);
  await page.context().close();
});

test('embed: <confab-chat> is an inline chat placed by the page', async () => {
  const page = await newPage();
  await page.goto(site.pages.url + '/inline.html');
  const region = page.locator('confab-chat [role=region]');
  await region.waitFor();
  assert.equal(await region.getAttribute('aria-label'), 'Inline help');
  assert.equal(await page.locator('confab-chat .launcher').count(), 0);
  await sendMessage(page, 'inline hello');
  await page.locator('confab-chat .msg.assistant footer .usage').waitFor();
  const last = (await shownMessages(page)).at(-1);
  assert.equal(last.role, 'assistant');
  assert.ok(last.text.length > 20);
  await page.context().close();
});
