// Strict Content-Security-Policy: a page that allows scripts only from itself and the widget's
// origin, styles only from itself, and WebAssembly only with 'wasm-unsafe-eval' gets the whole
// widget (the core, markdown, stored sessions) and no violation; a page whose policy forbids
// WebAssembly gets the same core and parser compiled to plain JavaScript, and works the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startSite, stopAll, openWidget, sendMessage, nextTurnEnd } from './helpers.mjs';

let browser, site;
before(async () => {
  site = await startSite(['--demo-pace', '0']);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

/** Opens `page` of tests/browser/pages, chats once, reloads; returns what it saw. */
async function chatUnder(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__violations = [];
    addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI));
  });
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(site.pages.url + '/' + name);
  await openWidget(page);
  const turn = nextTurnEnd(page);
  await sendMessage(page, 'show me some markdown');
  const ended = await turn;
  const reply = page.locator('confab-chat .msg.assistant .body');
  const seen = {
    status: ended.status,
    markdown: await reply.evaluate((b) => ['h3', 'table', 'pre code', 'strong'].filter((s) => b.querySelector(s))),
    violations: await page.evaluate(() => window.__violations),
    requests,
  };
  // Stored in IndexedDB under the policy too: a reload shows the conversation again.
  await page.waitForTimeout(300);
  await page.reload();
  await openWidget(page);
  await page.locator('confab-chat .msg.assistant').first().waitFor();
  seen.afterReload = await page.locator('confab-chat .msg.user .body').first().textContent();
  await context.close();
  return seen;
}

test('csp: script-src \'self\' \'wasm-unsafe-eval\'; style-src \'self\': everything works, nothing is refused', async () => {
  const seen = await chatUnder('csp.html');
  assert.equal(seen.status, 'done');
  assert.deepEqual(seen.markdown, ['h3', 'table', 'pre code', 'strong']);
  assert.deepEqual(seen.violations, []);
  assert.ok(seen.requests.includes('/engine.wasm') && seen.requests.includes('/md4w.wasm'));
  assert.ok(!seen.requests.includes('/engine-js.js'));
  assert.equal(seen.afterReload, 'show me some markdown');
});

test('csp: a policy without \'wasm-unsafe-eval\' gets the JavaScript build of the core and works the same', async () => {
  const seen = await chatUnder('csp-nowasm.html');
  assert.equal(seen.status, 'done');
  assert.deepEqual(seen.markdown, ['h3', 'table', 'pre code', 'strong']);
  // The only refusal is the one probe that finds WebAssembly forbidden.
  assert.deepEqual(seen.violations.filter((v) => !/wasm-eval/.test(v)), []);
  assert.ok(seen.requests.includes('/engine-js.js') && seen.requests.includes('/md4w-js.js'));
  assert.ok(!seen.requests.includes('/engine.wasm') && !seen.requests.includes('/md4w.wasm'));
  assert.equal(seen.afterReload, 'show me some markdown');
});
