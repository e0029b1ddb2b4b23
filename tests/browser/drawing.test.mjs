// Drawing a streaming reply in place: text that grows is appended to the text node already
// shown (a code block's code, the thinking above an answer), never put in a new node, and what
// is drawn at each step is what drawing the whole text at once gives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, startSite, stopAll, openWidget, sendMessage, nextTurnEnd } from './helpers.mjs';

let browser, site, dir;
before(async () => {
  // A reply that thinks for 60 tokens, then answers in 60, one token a chunk, 5 ms apart.
  dir = mkdtempSync(join(tmpdir(), 'confab-drawing-'));
  const sse = join(dir, 'thinking.sse');
  const chunk = (delta, finish = null) => 'data: ' + JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0,
    model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] }) + '\n\n';
  const words = (word, n) => Array.from({ length: n }, (_, i) => ` ${word}${i}`);
  writeFileSync(sse, chunk({ role: 'assistant', content: '' }) +
    words('think', 60).map((w) => chunk({ reasoning_content: w })).join('') +
    words('answer', 60).map((w) => chunk({ content: w })).join('') + chunk({}, 'stop') + 'data: [DONE]\n\n');
  site = await startSite(['--replay', sse, '--replay-chunk', '200', '--replay-pace', '5']);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

test('drawing: a code block that streams keeps its text node, and each step equals the whole text drawn at once', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(site.pages.url + '/host.html');
  const text = 'Before.\n\n```js\n' + Array.from({ length: 40 }, (_, i) => `const line${i} = ${i} * 2;  // <b>&amp;</b>\n`).join('') +
    '```\n\nAfter the *code*.\n';
  const got = await page.evaluate(async ({ base, text }) => {
    const md = await import(base + '/markdown.js');
    await md.load(new URL(base + '/'));
    const streamed = document.createElement('div');
    const whole = document.createElement('div');
    let state = null;
    const differences = [];
    const codeNodes = new Set();
    for (let n = 1; n <= text.length; n += 7) {
      state = md.render(streamed, text.slice(0, n), state);
      md.render(whole, text.slice(0, n), null, true);
      if (streamed.innerHTML !== whole.innerHTML) differences.push(n);
      const code = streamed.querySelector('code');
      if (code?.firstChild && !text.slice(0, n).endsWith('```\n')) codeNodes.add(code.firstChild);
    }
    md.render(streamed, text, state, true);
    md.render(whole, text, null, true);
    if (streamed.innerHTML !== whole.innerHTML) differences.push('final');
    return { differences, codeNodes: codeNodes.size, code: streamed.querySelector('code')?.textContent ?? '' };
  }, { base: site.relay.url, text });
  assert.deepEqual(got.differences, []);
  assert.equal(got.codeNodes, 1, 'the code grew in one text node');
  assert.match(got.code, /^const line0 = 0 \* 2;  \/\/ <b>&amp;<\/b>\n/);
  await page.context().close();
});

test('drawing: thinking that streams grows in one text node, and stays put while the answer streams below it', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await page.evaluate(() => {
    const root = document.querySelector('confab-chat').shadowRoot;
    window.__changes = { added: 0, removed: 0, texts: [] };
    new MutationObserver((records) => {
      for (const r of records) {
        const reasoning = root.querySelector('.msg.assistant .reasoning');
        if (r.type === 'childList' && r.target === reasoning) {
          window.__changes.added += r.addedNodes.length;
          window.__changes.removed += r.removedNodes.length;
        }
      }
      const reasoning = root.querySelector('.msg.assistant .reasoning');
      if (reasoning) window.__changes.texts.push(reasoning.textContent);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });
  const ended = nextTurnEnd(page);
  await sendMessage(page, 'think first');
  assert.equal((await ended).status, 'done');
  const shown = await page.evaluate(() => {
    const root = document.querySelector('confab-chat').shadowRoot;
    const reply = root.querySelector('.msg.assistant');
    return { thinking: reply.querySelector('.reasoning').textContent, nodes: reply.querySelector('.reasoning').childNodes.length,
      hidden: reply.querySelector('.thinking').hidden, body: reply.querySelector('.body').textContent, changes: window.__changes };
  });
  const thinking = Array.from({ length: 60 }, (_, i) => ` think${i}`).join('');
  assert.equal(shown.thinking, thinking);
  assert.equal(shown.nodes, 1);
  assert.equal(shown.hidden, false);
  assert.equal(shown.body.trim(), Array.from({ length: 60 }, (_, i) => `answer${i}`).join(' '));
  assert.deepEqual([shown.changes.added, shown.changes.removed], [1, 0], 'one text node, added once and never replaced');
  assert.ok(shown.changes.texts.every((t) => thinking.startsWith(t)), 'every drawing shows a beginning of the thinking');
  await page.context().close();
});
