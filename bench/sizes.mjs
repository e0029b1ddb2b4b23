// What the demo page costs a visitor: every file it loads, raw, gzip and brotli, split into
// what loads before the chat is opened and what loads in total (after opening it and one
// reply), measured by recording the real browser's requests (Debian's Chromium through
// playwright-core) against `confab serve` (CONFAB_BIN) serving the web build (CONFAB_WEB_DIST,
// default build/wasm/web/dist). Printed beside deep-chat 2.4.2's 91.9 KB brotli for its whole
// bundle (DESIGN.md), and the budget of issue 6 (8 KB before opening, 90 KB in total).
//
//   node bench/sizes.mjs
//   node bench/sizes.mjs --profile build/wasm/web/engine-profile/engine.wasm
//
// --profile prints where engine.wasm's bytes go instead: the sections, then the code by what
// it implements (from the name section of the build `cmake --build <build> --target
// confab_engine_profile` makes: the shipped engine with --profiling-funcs) and the largest functions.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { launch, startRelay, stopAll, dist, realRelay } from '../tests/browser/helpers.mjs';

if (process.argv[2] === '--profile') {
  profile(process.argv[3]);
  process.exit(0);
}

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

/** engine.wasm's bytes: sections, then code per function (name section), grouped. */
function profile(file) {
  const buf = readFileSync(file);
  let p = 8;
  const leb = () => { let r = 0, shift = 0, b; do { b = buf[p++]; r |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return r >>> 0; };
  const skipLimits = () => { const flags = leb(); leb(); if (flags & 1) leb(); };
  const SECTIONS = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'data count'];
  const sections = [];
  let imports = 0;
  const bodies = [];
  const names = new Map();
  while (p < buf.length) {
    const id = buf[p++];
    const size = leb();
    const start = p;
    let label = SECTIONS[id] ?? String(id);
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        for (let field = 0; field < 2; field++) { const length = leb(); p += length; }  // module and field names
        const kind = buf[p++];
        if (kind === 0) { leb(); imports++; } else if (kind === 1) { p++; skipLimits(); } else if (kind === 2) skipLimits(); else p += 2;
      }
    } else if (id === 10) {
      for (let n = leb(); n > 0; n--) { const s = leb(); bodies.push(s); p += s; }
    } else if (id === 0) {
      const length = leb();
      label = 'custom "' + buf.subarray(p, p + length).toString() + '"';
      p += length;
      if (label === 'custom "name"') {
        while (p < start + size) {
          const sub = buf[p++];
          const end = leb() + p;
          if (sub === 1) for (let n = leb(); n > 0; n--) { const index = leb(); const l = leb(); names.set(index, buf.subarray(p, p + l).toString()); p += l; }
          p = end;
        }
      }
    }
    sections.push([label, size]);
    p = start + size;
  }
  console.log(`${file}: ${buf.length} bytes\n\nsections (bytes):`);
  for (const [label, size] of sections) console.log(`${String(size).padStart(9)}  ${label}`);
  if (!names.size) return console.log('\n(no name section: profile the build of the confab_engine_profile target)');

  const rows = bodies.map((size, i) => ({ size, name: names.get(i + imports) ?? `function ${i + imports}` }));
  let plain = rows.map((r) => r.name);
  try { plain = execFileSync('c++filt', { input: plain.join('\n') }).toString().split('\n'); } catch { /* names as stored */ }
  rows.forEach((r, i) => { r.name = plain[i] || r.name; });
  /** What a function implements: its namespace and class, without template arguments. */
  const owner = (name) => {
    let d = name.replace(/\(anonymous namespace\)/g, 'anon');
    for (let i = 0; i < 20 && /<[^<>]*>/.test(d); i++) d = d.replace(/<[^<>]*>/g, '');
    d = d.replace(/^(decltype\(auto\)|void|bool|int|unsigned long|auto) /, '').split('(')[0];
    let m;
    if ((m = /^nlohmann::json_abi_\w+::detail::(\w+)/.exec(d))) return 'nlohmann::json ' + m[1];
    if (/^nlohmann/.test(d)) return 'nlohmann::json basic_json';
    if (/^confab::anon::/.test(d)) return 'core: file-local helpers (parsers of sessions, chunks, errors)';
    if ((m = /^confab::(\w+)/.exec(d))) return 'core: confab::' + m[1];
    if (/^anon::|^confab_/.test(d)) return 'web/bridge.cpp';
    if (/__variant_detail/.test(d)) return 'std::variant (visitation)';
    if ((m = /^std::__2::(\w+)/.exec(d))) return 'std::' + m[1].replace(/^__vector_base$/, 'vector').replace(/^__split_buffer$/, 'vector');
    if (/^(fmt_fp|printf_core|pop_arg|vfprintf|v?snprintf|fmt_[a-z]|out|pad|__(div|mul|add|sub|extend|trunc|fix|float|lt|gt|eq|ne|ge|le|unord)[a-z]*[0-9]|frexpl?|scalbnl?|wcrtomb|strtod|__floatscan|__shgetc|__shlim|__intscan|copysignl|fmodl)/.test(d))
      return 'libc: printf, strtod and their long double (soft-float) arithmetic';
    if (/malloc|^free$|sbrk|emmalloc|claim_more|attempt_allocate|_chunk|compute_free/.test(d)) return 'libc: emmalloc';
    return 'libc and runtime (' + d.slice(0, 24) + ')';
  };
  const total = rows.reduce((n, r) => n + r.size, 0);
  const groups = new Map();
  for (const r of rows) {
    const g = owner(r.name);
    const entry = groups.get(g) ?? { size: 0, count: 0 };
    entry.size += r.size;
    entry.count++;
    groups.set(g, entry);
  }
  console.log(`\ncode: ${total} bytes in ${rows.length} functions, by what they implement (largest 30):`);
  for (const [g, v] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, 30))
    console.log(`${String(v.size).padStart(9)} ${(100 * v.size / total).toFixed(1).padStart(5)}%  ${String(v.count).padStart(4)} fn  ${g}`);
  console.log('\nlargest functions:');
  for (const r of rows.sort((a, b) => b.size - a.size).slice(0, 15)) console.log(`${String(r.size).padStart(9)}  ${r.name.slice(0, 120)}`);
}
