// Every recorded provider stream (tests/fixtures/*.sse), replayed by the relay into the widget,
// renders the message `confab replay` assembles (tests/fixtures/<name>.expected.json): the
// `message` event carries the same content, reasoning, refusal and tool calls, and the text
// shown is that content rendered as markdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, renderToString } from 'md4w';
import { launch, startSite, startRelay, stopAll, fixtures } from './helpers.mjs';

const names = readdirSync(fixtures).filter((f) => f.endsWith('.sse')).map((f) => f.slice(0, -4)).sort();
let browser, pages, page;

// markdown.js's entity decoding (md4c reports text HTML-escaped), repeated here: importing the
// widget's module into Node would need a package.json "type".
const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
const decode = (text) => text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});/gi, (whole, body) => {
  if (body[0] !== '#') return NAMED[body] ?? whole;
  const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
});

before(async () => {
  await init('small');
  ({ pages } = await startSite());
  browser = await launch();
  page = await (await browser.newContext()).newPage();
  await page.goto(pages.url + '/inline.html');
  await page.locator('confab-chat [role=region]').waitFor();
  await page.evaluate(() => new Promise((resolve) => {
    const c = document.querySelector('confab-chat').confab;
    c.ready().then(() => c.set({ maxToolRounds: 0 })).then(resolve);
  }));
});
after(async () => {
  await browser?.close();
  await stopAll();
});

/** The text markdown.js shows for `content`, computed here from md4c's tree as the widget builds it. */
function renderedText(content) {
  if (!content) return '';  // md4w 0.2.7 throws on empty input
  const FLAGS = 0x0100 | 0x0200 | 0x0800 | 0x0004 | 0x0008 | 0x0400 | 0x0020 | 0x0040;
  const json = renderToString(content, { parseFlags: FLAGS }, 2).replace(/"title":(?!")/g, '"title":"')
    .replace(/[\u0000-\u001f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  const text = (node, raw) => {
    if (typeof node === 'string') return raw ? node : decode(node);
    if (node.type === 7) return node.children.join('');
    if (node.type === 8) return /^<br\s*\/?>\n?$/i.test(node.children.join('')) ? '' : node.children.join('');
    if (node.type === 33) return '[' + (decode(node.props?.alt ?? '') || 'image') + ']';
    return (node.children ?? []).map((c) => text(c)).join('');
  };
  return JSON.parse(json).map((n) => text(n)).join('');
}
const squeeze = (s) => s.replace(/\s+/g, '');

test('fixtures: every recorded stream renders what confab replay assembles', async () => {
  const failures = [];
  for (const name of names) {
    const expected = JSON.parse(readFileSync(join(fixtures, name + '.expected.json'), 'utf8'));
    if (process.env.CONFAB_TEST_VERBOSE) console.error(new Date().toISOString(), name);
    const relay = await startRelay(['--replay', join(fixtures, name + '.sse')], { allowOrigin: pages.url });
    const got = await page.evaluate(async (endpoint) => {
      const c = document.querySelector('confab-chat').confab;
      await c.set({ endpoint });
      await c.newSession();
      const events = [];
      const offs = ['message', 'error'].map((n) => c.on(n, (d) => events.push({ name: n, detail: d })));
      const ended = new Promise((resolve) => { const off = c.on('turn_end', (d) => { off(); resolve(d); }); });
      await c.send('replay');
      const turn = await ended;
      offs.forEach((off) => off());
      const root = document.querySelector('confab-chat').shadowRoot;
      const shown = root.querySelector('.msg.assistant');
      let body = '', thinking = '', refusal = '';
      if (shown) {
        const clone = shown.querySelector('.body').cloneNode(true);
        refusal = clone.querySelector('.refusal')?.textContent ?? '';
        clone.querySelectorAll('.copy, .refusal').forEach((n) => n.remove());
        body = clone.textContent;
        thinking = shown.querySelector('.reasoning').textContent;
      }
      return { turn, events, body, thinking, refusal };
    }, relay.url + '/v1');
    await relay.stop();

    const message = got.events.find((e) => e.name === 'message' && e.detail.role === 'assistant')?.detail;
    const visible = expected.content || expected.reasoning || expected.refusal || expected.tool_calls.length;
    const check = (what, actual, wanted) => {
      try { assert.deepEqual(actual, wanted); } catch { failures.push(`${name}: ${what}: ${JSON.stringify(actual).slice(0, 200)} != ${JSON.stringify(wanted).slice(0, 200)}`); }
    };
    if (!visible) {
      check('no reply shown', message, undefined);
      check('an error shown', got.events.some((e) => e.name === 'error'), true);
      continue;
    }
    if (!message) { failures.push(`${name}: no assistant message (turn ${JSON.stringify(got.turn)})`); continue; }
    check('content', message.content ?? '', expected.content);
    check('reasoning', message.reasoning ?? '', expected.reasoning);
    check('refusal', message.refusal ?? null, expected.refusal);
    if (!message.incomplete)
      check('tool_calls', (message.tool_calls ?? []).map((t) => [t.id, t.function.name, t.function.arguments]),
        expected.tool_calls.map((t) => [t.id, t.function.name, t.function.arguments]));
    check('text shown', squeeze(got.body), squeeze(renderedText(expected.content)));
    check('thinking shown', got.thinking, expected.reasoning);
    check('refusal shown', got.refusal, expected.refusal ?? '');
  }
  assert.deepEqual(failures, [], failures.join('\n'));
  assert.equal(names.length, 56);
});
