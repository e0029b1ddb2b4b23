// Phones, themes and languages: below 480 px the panel fills the screen and every control is a
// 44 px touch target; light and dark follow prefers-color-scheme unless the site sets `theme`;
// colours through custom properties and any part through ::part(); every string in English or
// French, or the site's own; messages in right-to-left scripts read right to left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, startSite, stopAll, openWidget, sendMessage, nextTurnEnd, repo } from './helpers.mjs';

let browser, site;
before(async () => {
  site = await startSite(['--demo-pace', '0']);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

const inRoot = (page, fn, arg) => page.evaluate(({ fn, arg }) =>
  new Function('root', 'arg', 'return (' + fn + ')(root, arg)')(document.querySelector('confab-chat').shadowRoot, arg), { fn: fn.toString(), arg });

test('mobile: at a phone\'s width the panel fills the screen, and every control is a 44 px touch target', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
  const page = await context.newPage();
  await page.goto(site.pages.url + '/phone.html');
  await page.locator('confab-chat .launcher').tap();
  await page.locator('confab-chat textarea').waitFor({ state: 'visible' });
  const ended = nextTurnEnd(page);
  await sendMessage(page, 'hello from a phone');
  await ended;
  await page.getByRole('button', { name: 'Conversations' }).tap();
  const seen = await inRoot(page, (root) => {
    const box = root.querySelector('.panel').getBoundingClientRect();
    const small = [...root.querySelectorAll('button, textarea, summary')].filter((e) => e.offsetParent)
      .map((e) => [e.getAttribute('aria-label') ?? e.textContent, e.getBoundingClientRect()])
      .filter(([, r]) => r.width < 44 || r.height < 44).map(([name, r]) => `${name} ${r.width}x${r.height}`);
    return { box: [box.left, box.top, box.width, box.height], small };
  });
  assert.deepEqual(seen.box, [0, 0, 390, 844]);
  assert.deepEqual(seen.small, []);
  await page.addScriptTag({ content: readFileSync(join(repo, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8') });
  const violations = await page.evaluate(async () => (await window.axe.run({ include: [['confab-chat']] },
    { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'] } })).violations.map((v) => v.id));
  assert.deepEqual(violations, []);
  await context.close();
});

test('themes: dark follows the system unless set, custom properties and ::part() restyle it', async () => {
  const context = await browser.newContext({ colorScheme: 'dark', reducedMotion: 'reduce' });  // no colour transitions
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const look = () => inRoot(page, (root) => ({
    panel: getComputedStyle(root.querySelector('.panel')).backgroundColor,
    send: getComputedStyle(root.querySelector('.send')).backgroundColor,
    log: getComputedStyle(root.querySelector('.log')).borderTopStyle,
  }));
  assert.equal((await look()).panel, 'rgb(22, 24, 29)', 'dark, as the system is');
  await page.evaluate(() => document.querySelector('confab-chat').setAttribute('data-theme', 'light'));
  assert.equal((await look()).panel, 'rgb(255, 255, 255)', 'light, as the site set');
  await page.addStyleTag({ content: 'confab-chat { --confab-accent: rgb(0, 100, 0) } confab-chat::part(log) { border-top: 3px dashed red }' });
  assert.equal((await look()).send, 'rgb(0, 100, 0)');
  assert.equal((await look()).log, 'dashed');
  await context.close();
});

test('languages: French is shipped, any string can be replaced, and messages read in their own direction', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await page.evaluate(() => { window.__fr = window.Confab.init({ endpoint: document.querySelector('script[data-endpoint]').dataset.endpoint,
    model: 'confab-demo', lang: 'fr', strings: { send: 'Go' }, storage: 'french', position: 'left' }); });
  const fr = page.locator('confab-chat[data-position=left]');
  assert.equal(await fr.locator('.launcher').getAttribute('aria-label'), 'Ouvrir la discussion\u00a0: Discussion');
  await fr.locator('.launcher').click();
  await fr.locator('textarea').waitFor({ state: 'visible' });
  assert.equal(await fr.locator('textarea').getAttribute('placeholder'), '\u00c9crivez un message\u2026');
  assert.equal(await fr.locator('.send').textContent(), 'Go');
  assert.equal(await fr.getByRole('button', { name: 'Fermer la discussion' }).count(), 1);
  assert.equal(await fr.locator('.empty').textContent(), 'Posez une question pour commencer.');
  const ended = page.evaluate(() => new Promise((r) => { const off = window.__fr.on('turn_end', (d) => { off(); r(d); }); }));
  await fr.locator('textarea').fill('\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645');
  await fr.locator('textarea').press('Enter');
  await ended;
  const user = fr.locator('.msg.user .body').first();
  assert.equal(await user.getAttribute('dir'), 'auto');
  assert.equal(await user.evaluate((e) => getComputedStyle(e).direction), 'rtl');
  assert.equal(await fr.locator('.msg.assistant .body').first().evaluate((e) => getComputedStyle(e).direction), 'ltr');
  await context.close();
});
