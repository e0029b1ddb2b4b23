// Accessibility (WCAG 2.2 AA): axe-core (npm, pinned) run inside the page on the open widget
// in every state (empty, streaming, an error, a tool call) in the light and the dark theme,
// with zero violations; keyboard-only use (focus into the dialog on open, back to the launcher
// on close, Escape, Tab order); finished replies announced politely, once, not token by token;
// prefers-reduced-motion honoured.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, startSite, stopAll, openWidget, sendMessage, nextTurnEnd, repo } from './helpers.mjs';

const axeSource = readFileSync(join(repo, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
let browser, site;
before(async () => {
  site = await startSite(['--demo-pace', '15', '--faults']);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

/** axe's violations inside the widget: "rule: target" lines. */
async function violations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const result = await window.axe.run({ include: [['confab-chat']] },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        rules: { region: { enabled: false } } });  // the host page's landmarks are the site's business
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${JSON.stringify(n.target)} ${n.failureSummary?.split('\n')[1] ?? ''}`));
  });
}

async function newPage(colorScheme, reducedMotion = 'no-preference') {
  const context = await browser.newContext({ colorScheme, reducedMotion });
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  return page;
}

/** axe's violations in the light and then the dark theme (prefers-color-scheme), as "theme rule: target" lines. */
async function bothThemes(page) {
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    found.push(...(await violations(page)).map((v) => colorScheme + ' ' + v));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}

test('a11y: no axe violations in either theme: empty, streaming, tool call, error', async () => {
  const page = await newPage('light', 'reduce');  // colours are read when no transition is half way
  await page.evaluate(() => window.Confab.widget.tool({ name: 'lookup_order', description: 'The status of an order.',
    parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] } },
  (args) => ({ order_id: args.order_id, status: 'shipped' })));
  await openWidget(page);
  assert.deepEqual(await bothThemes(page), [], 'empty');

  let ended = nextTurnEnd(page);
  await sendMessage(page, 'tell me about this widget');
  await page.locator('confab-chat .log[aria-busy=true] .msg.assistant .body > *').first().waitFor();
  assert.deepEqual(await bothThemes(page), [], 'streaming');
  await ended;

  ended = nextTurnEnd(page);
  await sendMessage(page, 'Where is my order? Please lookup_order NW-1001');
  await ended;
  await page.locator('confab-chat details.call').first().click();
  assert.deepEqual(await bothThemes(page), [], 'tool call');

  await page.evaluate(() => window.Confab.widget.set({ maxAttempts: 1, headers: { 'X-Confab-Fault': 'status=500' } }));
  ended = nextTurnEnd(page);
  await sendMessage(page, 'break it');
  await ended;
  await page.locator('confab-chat .error').waitFor();
  await page.getByRole('button', { name: 'Conversations' }).click();
  assert.deepEqual(await bothThemes(page), [], 'error, with the conversations menu open');
  await page.context().close();
});

test('a11y: keyboard only: open, focus inside, Tab order, Escape back to the launcher', async () => {
  const page = await newPage('light');
  await page.keyboard.press('Tab');  // the page has no other focusable element before the widget
  const focused = () => page.evaluate(() => {
    const root = document.querySelector('confab-chat').shadowRoot;
    const e = root.activeElement;
    return e ? (e.getAttribute('aria-label') ?? e.textContent ?? e.tagName).trim() : String(document.activeElement?.tagName);
  });
  assert.equal(await focused(), 'Open chat: Test chat');
  await page.keyboard.press('Enter');
  await page.locator('confab-chat textarea').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelector('confab-chat').shadowRoot.activeElement?.tagName === 'TEXTAREA');
  assert.equal(await focused(), 'Message');

  // The dialog is not modal (the page stays usable while it is open): Tab goes through the
  // launcher (its toggle), the header, the log and the composer, in reading order, then on to the page.
  const back = [];
  for (let i = 0; i < 5; i++) {
    await page.keyboard.press('Shift+Tab');
    back.push(await focused());
  }
  assert.deepEqual(back, ['Messages', 'Close chat', 'New chat', 'Conversations', 'Open chat: Test chat']);
  const forth = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    forth.push(await focused());
  }
  assert.deepEqual(forth, ['Conversations', 'New chat', 'Close chat', 'Messages', 'Message', 'Send message']);
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'Message');

  await page.keyboard.press('Escape');
  assert.equal(await page.locator('confab-chat [role=dialog]').isHidden(), true);
  assert.equal(await focused(), 'Open chat: Test chat');
  assert.equal(await page.locator('confab-chat .launcher').getAttribute('aria-expanded'), 'false');

  // Typing and sending with the keyboard alone.
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('confab-chat').shadowRoot.activeElement?.tagName === 'TEXTAREA');
  const ended = nextTurnEnd(page);
  await page.keyboard.type('hello from the keyboard');
  await page.keyboard.press('Enter');
  assert.equal((await ended).status, 'done');
  await page.context().close();
});

test('a11y: a finished reply is announced once, politely; nothing while it streams', async () => {
  const page = await newPage('light');
  await openWidget(page);
  const announced = page.locator('confab-chat .announce');
  assert.equal(await announced.getAttribute('aria-live'), 'polite');
  assert.equal(await page.locator('confab-chat .log').getAttribute('aria-live'), 'off');
  const ended = nextTurnEnd(page);
  await sendMessage(page, 'announce this');
  await page.locator('confab-chat .log[aria-busy=true] .msg.assistant .body > *').first().waitFor();
  assert.equal(await announced.textContent(), '', 'nothing is read out while the reply streams');
  await ended;
  const reply = await page.locator('confab-chat .msg.assistant .body').last().textContent();
  await page.waitForFunction(() => document.querySelector('confab-chat').shadowRoot.querySelector('.announce').textContent !== '');
  assert.equal(await announced.textContent(), reply);
  await page.context().close();
});

test('a11y: prefers-reduced-motion: no transitions or animations, no smooth scrolling', async () => {
  const context = await browser.newContext({ reducedMotion: 'reduce' });
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const motion = await page.evaluate(() => {
    const root = document.querySelector('confab-chat').shadowRoot;
    return [...root.querySelectorAll('.panel, .log, .launcher, button')].map((e) => {
      const s = getComputedStyle(e);
      return [s.transitionDuration, s.animationName, s.scrollBehavior].join(' ');
    }).filter((m) => m !== '0s none auto');
  });
  assert.deepEqual(motion, []);
  await context.close();
});
