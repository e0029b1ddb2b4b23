// Stop and failures: stop keeps the partial reply; a dropped stream, a 429 with Retry-After
// and a 500 each end with the right message and a retry that works (faults from the relay's
// X-Confab-Fault header, which the widget's `headers` setting adds).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startSite, stopAll, openWidget, sendMessage, shownMessages, storedFiles } from './helpers.mjs';

let browser, site;
before(async () => {
  site = await startSite(['--faults', '--demo-pace', '40']);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

async function page() {
  const context = await browser.newContext();
  const p = await context.newPage();
  await p.goto(site.pages.url + '/host.html');
  await openWidget(p);
  await p.evaluate(() => {
    window.__events = [];
    for (const name of ['message', 'error', 'turn_end']) window.Confab.widget.on(name, (detail) => window.__events.push({ name, detail }));
  });
  return p;
}

const turnEnd = (p) => p.evaluate(() => new Promise((r) => { const off = window.Confab.widget.on('turn_end', (d) => { off(); r(d); }); }));
const fault = (p, value) => p.evaluate((v) => window.Confab.widget.set({ headers: v ? { 'X-Confab-Fault': v } : {} }), value);
const events = (p, name) => p.evaluate((n) => window.__events.filter((e) => e.name === n).map((e) => e.detail), name);

/** Clears the fault, presses the error's Retry button, and checks a whole reply replaces the broken one. */
async function retryWorks(p) {
  await fault(p, null);
  const done = turnEnd(p);
  await p.getByRole('button', { name: 'Retry the reply' }).click();
  assert.equal((await done).status, 'done');
  const shown = await shownMessages(p);
  assert.equal(shown.filter((m) => m.role === 'assistant').length, 1, 'the broken reply was replaced');
  assert.equal(await p.locator('confab-chat .error').count(), 0);
  assert.equal(await p.locator('confab-chat .msg .incomplete').count(), 0);
  const last = (await events(p, 'message')).at(-1);
  assert.equal(last.role, 'assistant');
  assert.equal(last.finish_reason, 'stop');
}

test('faults: stop keeps the partial reply, also after a reload', async () => {
  const p = await page();
  const done = turnEnd(p);
  await sendMessage(p, 'a long answer please');
  const body = p.locator('confab-chat .msg.assistant .body');
  await p.waitForFunction(() => (document.querySelector('confab-chat').shadowRoot.querySelector('.msg.assistant .body')?.textContent.length ?? 0) > 20);
  await p.getByRole('button', { name: 'Stop the reply' }).click();
  const turn = await done;
  assert.equal(turn.status, 'stopped');
  const kept = await body.textContent();
  const message = (await events(p, 'message')).at(-1);
  assert.equal(message.incomplete, true);
  assert.equal(message.incomplete_reason, 'stopped');
  assert.ok(message.content.length > 0);
  assert.equal(await p.locator('confab-chat .msg.assistant .incomplete').textContent(), 'Stopped');
  await p.waitForTimeout(300);  // more bytes would have arrived by now had the stream gone on
  assert.equal(await body.textContent(), kept);
  await p.reload();
  await openWidget(p);
  await p.locator('confab-chat .msg.assistant').waitFor();
  assert.equal((await shownMessages(p)).at(-1).text, kept);
  await p.context().close();
});

test('faults: a dropped stream keeps the partial reply, says so, and retry works', async () => {
  const p = await page();
  await fault(p, 'drop-after=700');
  const done = turnEnd(p);
  await sendMessage(p, 'drop this one');
  const turn = await done;
  assert.equal(turn.status, 'incomplete');
  const error = p.locator('confab-chat .error');
  assert.match(await error.textContent(), /^The connection dropped before the reply finished \(.+\)\. The partial reply is kept\./);
  assert.ok((await shownMessages(p)).at(-1).text.length > 0, 'the partial reply is shown');
  assert.equal(await p.locator('confab-chat .msg.assistant .incomplete').textContent(), 'Incomplete');
  await retryWorks(p);
  await p.context().close();
});

test('faults: a 429 with Retry-After is waited for, then shown with the relay\'s message, and retry works', async () => {
  const p = await page();
  await p.evaluate(() => window.Confab.widget.set({ maxAttempts: 2 }));
  await fault(p, 'status=429;retry-after=1');
  const posts = [];
  p.on('request', (r) => { if (r.method() === 'POST') posts.push(Date.now()); });
  const done = turnEnd(p);
  await sendMessage(p, 'rate limit me');
  const turn = await done;
  assert.equal(turn.status, 'failed');
  assert.equal(posts.length, 2, 'one retry, as maxAttempts says');
  assert.ok(posts[1] - posts[0] >= 950, `the retry waited for Retry-After (${posts[1] - posts[0]} ms)`);
  const [error] = await events(p, 'error');
  assert.match(error.text, /fault injected by X-Confab-Fault: HTTP 429/);
  assert.equal(error.canRetry, true);
  assert.match(await p.locator('confab-chat .error').textContent(), /HTTP 429/);
  await retryWorks(p);
  await p.context().close();
});

test('faults: a 500 is retried, then shown with the relay\'s message, and retry works', async () => {
  const p = await page();
  await p.evaluate(() => window.Confab.widget.set({ maxAttempts: 2 }));
  await fault(p, 'status=500');
  const done = turnEnd(p);
  await sendMessage(p, 'break the server');
  const turn = await done;
  assert.equal(turn.status, 'failed');
  const [error] = await events(p, 'error');
  assert.match(error.text, /fault injected by X-Confab-Fault: HTTP 500/);
  assert.equal(error.canRetry, true);
  assert.equal((await shownMessages(p)).filter((m) => m.role === 'assistant').length, 0);
  await retryWorks(p);
  await p.context().close();
});

test('faults: a stopped reply retried after a reload stays replaced, on screen and on disk', async () => {
  const p = await page();
  const stopped = turnEnd(p);
  await sendMessage(p, 'a long answer please');
  await p.waitForFunction(() => (document.querySelector('confab-chat').shadowRoot.querySelector('.msg.assistant .body')?.textContent.length ?? 0) > 20);
  await p.getByRole('button', { name: 'Stop the reply' }).click();
  assert.equal((await stopped).status, 'stopped');
  const partial = (await shownMessages(p)).at(-1).text;
  await p.waitForTimeout(300);  // the stopped turn's save reaches IndexedDB
  const reopened = async () => {
    await p.reload();
    await openWidget(p);
    await p.locator('confab-chat .msg.assistant').waitFor();
  };
  await reopened();
  // This page never saved the stopped reply; it read it from disk. Retrying replaces it, and the
  // save that follows merges with the stored copy, which still holds it: it must not come back.
  const done = turnEnd(p);
  await p.evaluate(() => window.Confab.widget.retry());
  assert.equal((await done).status, 'done');
  await p.waitForTimeout(500);
  let shown = await shownMessages(p);
  assert.deepEqual(shown.map((m) => m.role), ['user', 'assistant'], 'one reply on screen');
  const whole = shown[1].text;
  assert.ok(whole.length > partial.length && whole.startsWith(partial.slice(0, 20)), 'the whole reply replaced the stopped one');
  await reopened();
  shown = await shownMessages(p);
  assert.deepEqual(shown.map((m) => m.role), ['user', 'assistant'], 'one reply on disk');
  assert.equal(shown[1].text, whole);
  await p.context().close();
});

test('faults: a retry after a tool round whose next request failed asks again with the tool\'s result, without running it again', async () => {
  const p = await page();
  await p.evaluate(() => {
    window.__runs = 0;
    const c = window.Confab.widget;
    c.set({ maxAttempts: 1 });
    c.tool({
      name: 'lookup_order', description: 'The status of an order.',
      parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    }, (args) => {
      window.__runs++;
      return { order_id: args.order_id, status: 'shipped-by-zeppelin' };
    });
  });
  // The browser drops the request that follows the tool round (the second of the turn).
  let requests = 0;
  await p.route('**/v1/chat/completions', (route) => (++requests === 2 ? route.abort('connectionreset') : route.continue()));
  const failed = turnEnd(p);
  await sendMessage(p, 'Where is my order? Please lookup_order NW-1001');
  assert.equal((await failed).status, 'failed');
  const [error] = await events(p, 'error');
  assert.match(error.text, /Could not reach the model/);
  assert.equal(error.canRetry, true);
  assert.equal(requests, 2);

  const done = turnEnd(p);
  await p.getByRole('button', { name: 'Retry the reply' }).click();
  // A retry that found nothing to retry ends no turn: it says so.
  const refused = p.waitForFunction(() => window.__events.filter((e) => e.name === 'error').length > 1).then(() => null);
  const turn = await Promise.race([done, refused]);
  assert.deepEqual((await events(p, 'error')).slice(1), [], 'no second error ("There is nothing to retry.")');
  assert.equal(turn.status, 'done');
  assert.equal(await p.evaluate(() => window.__runs), 1, 'the tool ran once');
  const answer = (await shownMessages(p)).at(-1);
  assert.equal(answer.role, 'assistant');
  assert.match(answer.text, /shipped-by-zeppelin/, 'the answer used the result the tool gave before the failure');
  assert.match(await p.locator('confab-chat details.call .result').textContent(), /shipped-by-zeppelin/);

  // On disk too: the question, the call, its result, the answer (once the debounced flush is done).
  const stored = async () => Object.values(await storedFiles(p)).map((text) => JSON.parse(text))
    .find((s) => s.messages?.some((m) => m.role === 'tool'))?.messages.map((m) => m.role);
  for (let i = 0; i < 100 && (await stored())?.length !== 4; i++) await p.waitForTimeout(50);
  assert.deepEqual(await stored(), ['user', 'assistant', 'tool', 'assistant']);
  await p.context().close();
});
