// Hostile input from both sides: a reply full of markup that tries to run script, load things,
// leave the widget or restyle the page executes nothing and changes nothing outside the
// widget; a page whose CSS attacks every element leaves the widget intact, and the widget
// leaves the page's own look intact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, startSite, startRelay, stopAll, openWidget, sendMessage, shownMessages } from './helpers.mjs';

const HOSTILE = [
  '# Totally normal answer',
  '<script>window.__pwned = "script"</script>',
  '<img src="x" onerror="window.__pwned = \'img\'">',
  '<svg onload="window.__pwned = \'svg\'"><script>window.__pwned = "svg script"</script></svg>',
  '<iframe srcdoc="<script>parent.__pwned = 1</script>"></iframe>',
  '<style>body { display: none !important } h1 { color: red !important }</style>',
  '<a href="javascript:window.__pwned = \'a\'">click me</a>',
  '[markdown link](javascript:window.__pwned="md") and [data](data:text/html,<script>alert(1)</script>) and [vb](vbscript:msgbox(1))',
  '[relative](/steal?c=1) and <javascript:alert(1)> and [spaced](  javascript:alert(1)  )',
  '![tracking pixel](http://127.0.0.1:9/pixel.png) and ![x](javascript:alert(1))',
  '&lt;script&gt;window.__pwned = "entity"&lt;/script&gt; and <b onmouseover="window.__pwned = 1">bold?</b>',
  '<div style="position:fixed;inset:0;background:red">cover</div>',
  '<form action="http://127.0.0.1:9/"><input name="q"><button>go</button></form>',
  '```html\n<script>window.__pwned = "code"</script>\n```',
  '[ok link](https://example.com/docs "a title") and mail <person@example.com>',
].join('\n\n');

let browser, site, dir;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'confab-hostile-'));
  const chunks = [];
  for (let i = 0; i < HOSTILE.length; i += 40)
    chunks.push('data: ' + JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: HOSTILE.slice(i, i + 40) } }] }) + '\n\n');
  chunks.push('data: ' + JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) + '\n\ndata: [DONE]\n\n');
  writeFileSync(join(dir, 'hostile.sse'), chunks.join(''));
  site = await startSite();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** What the host page looks like, outside the widget. */
const hostLook = (page) => page.evaluate(() => {
  const h1 = document.querySelector('h1');
  const p = document.querySelector('p.panel');
  const style = (e) => { const s = getComputedStyle(e); return [s.display, s.color, s.fontSize, s.fontFamily, s.margin, s.background].join('|'); };
  return {
    html: [...document.body.children].filter((e) => e.tagName !== 'CONFAB-CHAT').map((e) => e.outerHTML).join(''),
    head: document.head.innerHTML,
    sheets: document.styleSheets.length,
    body: style(document.body), h1: style(h1), p: style(p),
    title: document.title,
  };
});

test('hostile markup in a reply executes nothing, loads nothing, and changes nothing outside the widget', async () => {
  const relay = await startRelay(['--replay', join(dir, 'hostile.sse')], { allowOrigin: site.pages.url });
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await page.evaluate((endpoint) => window.Confab.widget.set({ endpoint }), relay.url + '/v1');
  const before = await hostLook(page);
  const done = page.evaluate(() => new Promise((r) => window.Confab.widget.on('turn_end', r)));
  await sendMessage(page, 'say something nasty');
  assert.equal((await done).status, 'done');
  // Hover and click everything in the reply, as a curious visitor would.
  const body = page.locator('confab-chat .msg.assistant .body');
  for (const el of await body.locator('b, span, p').all()) await el.hover().catch(() => {});
  await page.waitForTimeout(200);

  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(await hostLook(page), before);
  assert.ok(!requests.some((u) => u.includes('pixel.png') || u.includes('/steal') || u.startsWith('http://127.0.0.1:9')), 'nothing loaded');

  const found = await body.evaluate((b) => ({
    dangerous: [...b.querySelectorAll('script, img, svg, iframe, style, form, input:not([type=checkbox]), object, embed, link, meta, [style]')].map((e) => e.tagName),
    handlers: [...b.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
    links: [...b.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.getAttribute('rel'), target: a.getAttribute('target') })),
    text: b.textContent,
  }));
  assert.deepEqual(found.dangerous, []);
  assert.deepEqual(found.handlers, []);
  for (const link of found.links) {
    assert.match(link.href, /^(https?:|mailto:)/);
    assert.equal(link.rel, 'noopener noreferrer');
    assert.equal(link.target, '_blank');
  }
  // Images are never loaded: an http(s) image becomes a link to it; the rest is text.
  assert.deepEqual(found.links.map((l) => l.href).sort(), ['http://127.0.0.1:9/pixel.png', 'https://example.com/docs', 'mailto:person@example.com']);
  // The markup is shown as text, so the visitor sees what the model wrote.
  assert.ok(found.text.includes('<script>window.__pwned = "script"</script>'));
  assert.ok(found.text.includes('<img src="x" onerror='));
  assert.ok(found.text.includes('markdown link'));
  await context.close();
  await relay.stop();
});

test('hostile host-page CSS leaves the widget intact', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/hostile.html');
  const launcher = page.locator('confab-chat .launcher');
  const box = await launcher.boundingBox();
  assert.ok(box && box.width === 56 && box.height === 56, 'the launcher keeps its size: ' + JSON.stringify(box));
  await openWidget(page);
  const panel = page.locator('confab-chat .panel');
  const panelBox = await panel.boundingBox();
  assert.ok(panelBox && panelBox.width > 300 && panelBox.height > 400, 'the panel keeps its size: ' + JSON.stringify(panelBox));
  const done = page.evaluate(() => new Promise((r) => window.Confab.widget.on('turn_end', r)));
  await sendMessage(page, 'still readable?');
  await done;
  const look = await page.locator('confab-chat .msg.assistant').evaluate((m) => {
    const s = getComputedStyle(m);
    return { display: s.display, color: s.color, fontSize: s.fontSize, background: s.backgroundColor };
  });
  assert.notEqual(look.display, 'none');
  assert.notEqual(look.color, 'rgb(255, 0, 0)');
  assert.notEqual(look.fontSize, '2px');
  assert.ok((await shownMessages(page)).at(-1).text.length > 20);
  assert.ok(await page.locator('confab-chat .msg.assistant .body').isVisible());
  await context.close();
});

test('the widget leaves the host page\'s look intact', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The same page with the widget's script tag taken out, for comparison.
  await page.route('**/confab.js', (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: '' }));
  await page.goto(site.pages.url + '/host.html');
  const without = await hostLook(page);
  await page.unroute('**/confab.js');
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const done = page.evaluate(() => new Promise((r) => window.Confab.widget.on('turn_end', r)));
  await sendMessage(page, 'hello');
  await done;
  assert.deepEqual(await hostLook(page), without);
  await context.close();
});
