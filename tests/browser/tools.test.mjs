// Tools from the host page: the model (the relay's demo model) calls a tool the page
// registered; the handler gets arguments the core validated against the schema, and the next
// answer uses its result. A tool that throws or never answers does not break the chat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startSite, stopAll, openWidget, sendMessage, shownMessages } from './helpers.mjs';

let browser, site;
before(async () => {
  site = await startSite(['--demo-pace', '0']);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

async function chat(page, text) {
  const done = page.evaluate(() => new Promise((r) => { const off = window.Confab.widget.on('turn_end', (d) => { off(); r(d); }); }));
  await sendMessage(page, text);
  return done;
}

async function pageWithTools() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await page.evaluate(() => {
    window.__calls = [];
    const c = window.Confab.widget;
    c.on('tool_call', (call) => window.__calls.push(call));
    c.tool({
      name: 'lookup_order',
      description: 'The status of an order.',
      parameters: { type: 'object', properties: { order_id: { type: 'string', minLength: 4 } }, required: ['order_id'], additionalProperties: false },
    }, (args) => ({ order_id: args.order_id, status: 'shipped-by-zeppelin' }));
    c.tool({ name: 'broken_clock', description: 'Always fails.', parameters: { type: 'object', properties: {} } },
      () => { throw new Error('the clock fell off the wall'); });
    c.tool({ name: 'never_answers', description: 'Hangs.', parameters: { type: 'object', properties: {} } },
      () => new Promise(() => {}));
  });
  await openWidget(page);
  return page;
}

test('tools: the page\'s tool is called with validated arguments, and the next answer uses its result', async () => {
  const page = await pageWithTools();
  const turn = await chat(page, 'Where is my order? Please lookup_order NW-1001');
  assert.equal(turn.status, 'done');
  const calls = await page.evaluate(() => window.__calls);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].name, 'lookup_order');
  assert.deepEqual(Object.keys(calls[0].arguments), ['order_id']);
  assert.equal(calls[0].arguments.order_id, 'NW-1001');
  // The call appears in the chat as a collapsible line with its arguments and result.
  const line = page.locator('confab-chat details.call');
  assert.equal(await line.locator('summary').textContent(), 'Tool call: lookup_order');
  await line.locator('summary').click();
  assert.match(await line.locator('.arguments').textContent(), /"order_id": "NW-1001"/);
  assert.match(await line.locator('.result').textContent(), /shipped-by-zeppelin/);
  // The model's next answer (after the tool result) shows it.
  const last = (await shownMessages(page)).at(-1);
  assert.equal(last.role, 'assistant');
  assert.match(last.text, /shipped-by-zeppelin/);
  await page.context().close();
});

test('tools: a tool that throws goes back to the model as an error, and the chat goes on', async () => {
  const page = await pageWithTools();
  const turn = await chat(page, 'What time is it? use broken_clock');
  assert.equal(turn.status, 'done');
  const line = page.locator('confab-chat details.call');
  assert.match(await line.locator('.result').textContent(), /"error": "tool \\"broken_clock\\" failed: the clock fell off the wall"/);
  assert.match((await shownMessages(page)).at(-1).text, /the clock fell off the wall/);
  const next = await chat(page, 'Thanks anyway');
  assert.equal(next.status, 'done');
  await page.context().close();
});

test('tools: a tool that never answers times out, and the chat goes on', async () => {
  const page = await pageWithTools();
  await page.evaluate(() => window.Confab.widget.set({ toolTimeoutMs: 400 }));
  const started = Date.now();
  const turn = await chat(page, 'Try never_answers please');
  assert.equal(turn.status, 'done');
  assert.ok(Date.now() - started >= 400);
  assert.match(await page.locator('confab-chat details.call .result').textContent(), /did not answer within 400 ms/);
  const next = await chat(page, 'And now something else');
  assert.equal(next.status, 'done');
  assert.ok((await shownMessages(page)).at(-1).text.length > 0);
  await page.context().close();
});
