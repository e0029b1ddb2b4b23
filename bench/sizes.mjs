// What the demo page costs a visitor: every file it loads, raw, gzip and brotli, split into
// what loads before the chat is opened and what loads in total (after opening it and one
// reply), measured by recording the real browser's requests (Debian's Chromium through
// playwright-core) against `confab serve` (CONFAB_BIN) serving the web build (CONFAB_WEB_DIST,
// default build/wasm/web/dist). Printed beside deep-chat 2.4.2's 91.9 KB brotli for its whole
// bundle (DESIGN.md), and the budget of issue 6 (8 KB before opening, 90 KB in total).
//
//   node bench/sizes.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { launch, startRelay, stopAll, dist, realRelay } from '../tests/browser/helpers.mjs';

const relay = await startRelay(['--demo-pace', '0']);
const browser = await launch();
try {
  const page = await (await browser.newContext()).newPage();
  const loaded = [];
  page.on('requestfinished', (r) => {
    const url = new URL(r.url());
    if (r.method() === 'GET' && url.origin === relay.url) loaded.push(url.pathname === '/' ? '/shell.html' : url.pathname);
  });
  await page.goto(relay.url + '/');
  await page.locator('confab-chat .launcher').waitFor();
  await page.waitForLoadState('networkidle');
  const beforeOpening = [...loaded];
  await page.locator('confab-chat .launcher').click();
  const input = page.locator('confab-chat textarea');
  await input.waitFor({ state: 'visible' });
  const done = page.evaluate(() => new Promise((r) => window.Confab.widget.on('turn_end', r)));
  await input.fill('How big is this widget?');
  await input.press('Enter');
  await done;
  await page.waitForLoadState('networkidle');

  const sizes = (path) => {
    const bytes = readFileSync(join(dist, path));
    return {
      raw: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
      brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    };
  };
  const kb = (n) => (n / 1000).toFixed(1).padStart(7);
  const rows = [...new Set(loaded)].map((path) => ({ path, when: beforeOpening.includes(path) ? 'before' : 'on open', ...sizes(path) }));
  console.log(`files the demo page loads (${realRelay ? 'confab serve' : 'tests/browser/fake.mjs'}, ${dist})\n`);
  console.log('file                 loaded        raw KB  gzip KB  brotli KB');
  for (const r of rows) console.log(`${r.path.padEnd(20)} ${r.when.padEnd(10)} ${kb(r.raw)} ${kb(r.gzip)} ${kb(r.brotli)}`);
  const sum = (list, key) => list.reduce((n, r) => n + r[key], 0);
  const before = rows.filter((r) => r.when === 'before' && r.path !== '/shell.html');
  const total = rows.filter((r) => r.path !== '/shell.html');
  console.log('\nthe widget, without the host page itself (shell.html, demo.js are the site\'s own):');
  const widgetBefore = before.filter((r) => r.path !== '/demo.js');
  const widgetTotal = total.filter((r) => r.path !== '/demo.js');
  console.log(`  before opening: ${kb(sum(widgetBefore, 'raw'))} KB raw ${kb(sum(widgetBefore, 'gzip'))} KB gzip ${kb(sum(widgetBefore, 'brotli'))} KB brotli   (budget 8 KB brotli)`);
  console.log(`  in total:       ${kb(sum(widgetTotal, 'raw'))} KB raw ${kb(sum(widgetTotal, 'gzip'))} KB gzip ${kb(sum(widgetTotal, 'brotli'))} KB brotli   (budget 90 KB brotli)`);
  console.log(`  deep-chat 2.4.2, its whole bundle, all before the visitor does anything:  91.9 KB brotli`);
  console.log(`  ratio, in total / deep-chat: ${(sum(widgetTotal, 'brotli') / 91900).toFixed(2)}; before opening / deep-chat: ${(sum(widgetBefore, 'brotli') / 91900).toFixed(3)}`);
} finally {
  await browser.close();
  await stopAll();
}
