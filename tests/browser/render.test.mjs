// Rendering that stays put: markdown drawn block by block while it streams equals the whole
// text drawn at once, at every length, and a group of finished blocks is never touched again
// while it streams; blocks are spaced the same inside a group and across two; a reader who
// scrolled up is never pulled down and gets a "Jump to latest" button; a session of 2,000
// messages opens with only its newest messages drawn, and draws older ones as the reader
// scrolls up, keeping their place; a reply that arrives all at once reaches the core in
// slices, so the page is not frozen while it is read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, startSite, stopAll, openWidget, sendMessage, nextTurnEnd, waitStored } from './helpers.mjs';
import { answer } from '../../bench/render-answer.mjs';

let browser, site;
before(async () => {
  site = await startSite(['--demo-pace', '25']);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

test('render: markdown drawn as it streams equals the whole text drawn at once, at every length', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(site.pages.url + '/host.html');
  const text = answer(700).text + '\n\nA [reference link][ref] at the end.\n\n[ref]: https://example.com/ref\n';
  const differences = await page.evaluate(async ({ base, text }) => {
    const md = await import(base + '/markdown.js');
    await md.load(new URL(base + '/'));
    const streamed = document.createElement('div');
    const whole = document.createElement('div');
    let state = null;
    const out = [];
    // A group of blocks all finished is never touched again while the text streams.
    const touched = [];
    const watched = new Set();
    const watch = new MutationObserver((records) => touched.push(...records));
    for (let n = 1; n <= text.length; n += 1 + (n % 5)) {
      state = md.render(streamed, text.slice(0, n), state);
      md.render(whole, text.slice(0, n), null, true);
      // A reference defined later may change earlier links until the end; everything else must match.
      if (streamed.innerHTML !== whole.innerHTML && !text.slice(0, n).includes('[ref]:')) out.push(n);
      const frozen = new Set(state.nodes.slice(0, state.frozen));
      for (const group of [...streamed.children].slice(0, -1)) {
        if (watched.has(group) || ![...group.childNodes].every((b) => frozen.has(b))) continue;
        watched.add(group);
        watch.observe(group, { subtree: true, childList: true, characterData: true, attributes: true });
      }
    }
    watch.takeRecords().forEach((r) => touched.push(r));
    watch.disconnect();
    state = md.render(streamed, text, state, true);
    md.render(whole, text, null, true);
    if (streamed.innerHTML !== whole.innerHTML) out.push('final');
    return { out, frozen: state.frozen, blocks: state.nodes.length, groups: streamed.children.length, watched: watched.size, touched: touched.length };
  }, { base: site.relay.url, text });
  assert.deepEqual(differences.out, []);
  assert.ok(differences.blocks > 20);
  assert.ok(differences.groups >= 2, `the blocks in ${differences.groups} group(s)`);
  assert.ok(differences.watched >= 1);
  assert.equal(differences.touched, 0);
});

test('render: the blocks of a reply are spaced the same inside a group of blocks and across two', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const spacing = await page.evaluate(async ({ base, text }) => {
    const md = await import(base + '/markdown.js');
    await md.load(new URL(base + '/'));
    // A reply drawn with the widget's own styles: in its log, as the log draws one.
    const msg = document.createElement('div');
    msg.className = 'msg assistant';
    const body = msg.appendChild(document.createElement('div'));
    body.className = 'body';
    document.querySelector('confab-chat').shadowRoot.querySelector('.log').append(msg);
    md.render(body, text, null, true);
    const blocks = [...body.children].flatMap((group) => [...group.children]);
    const name = (e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '');
    const gaps = {};
    for (let i = 1; i < blocks.length; i++) {
      const gap = Math.round(blocks[i].getBoundingClientRect().top - blocks[i - 1].getBoundingClientRect().bottom);
      (gaps[`${name(blocks[i - 1])} -> ${name(blocks[i])}`] ??= []).push(gap);
    }
    const box = body.getBoundingClientRect();
    return { groups: body.children.length, gaps, head: blocks[0].getBoundingClientRect().top - box.top,
      tail: box.bottom - blocks.at(-1).getBoundingClientRect().bottom };
  }, { base: site.relay.url, text: answer(2000).text });
  assert.ok(spacing.groups >= 3, `${spacing.groups} groups`);
  for (const [pair, gaps] of Object.entries(spacing.gaps)) {
    assert.ok(gaps.every((g) => g === gaps[0]), `${pair}: ${gaps.join(', ')} px`);
    assert.ok(gaps[0] >= 8, `${pair}: ${gaps[0]} px`);
  }
  assert.ok(Math.abs(spacing.head) < 1, `${spacing.head} px above the first block`);
  assert.ok(Math.abs(spacing.tail) < 1, `${spacing.tail} px below the last block`);
});

test('render: a reader who scrolled up stays put while a reply streams, and can jump to the latest', async () => {
  const page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const filled = nextTurnEnd(page);
  await sendMessage(page, 'fill the log');
  await filled;
  const log = page.locator('confab-chat .log');
  const jump = page.getByRole('button', { name: 'Jump to latest' });
  assert.equal(await jump.isHidden(), true);
  const ended = nextTurnEnd(page);
  await sendMessage(page, 'stream while I read');
  await page.locator('confab-chat .log[aria-busy=true] .msg.assistant:last-child .body > *').first().waitFor();
  await log.evaluate((l) => { l.scrollTop = 0; });
  await page.waitForTimeout(500);  // the reply goes on streaming
  assert.equal(await log.evaluate((l) => l.scrollTop), 0, 'not pulled down');
  await jump.waitFor();
  await ended;
  assert.equal(await log.evaluate((l) => l.scrollTop), 0);
  await jump.click();
  await page.waitForFunction(() => {
    const l = document.querySelector('confab-chat').shadowRoot.querySelector('.log');
    return l.scrollHeight - l.scrollTop - l.clientHeight < 2;
  });
  assert.equal(await jump.isHidden(), true);

  // At the bottom, the next reply is followed to its end.
  const next = nextTurnEnd(page);
  await sendMessage(page, 'follow me');
  await next;
  await page.waitForTimeout(100);
  assert.ok(await log.evaluate((l) => l.scrollHeight - l.scrollTop - l.clientHeight < 48));
  await page.context().close();
});

test('render: a 2,000-message session opens with its newest messages drawn, and older ones as the reader scrolls up', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const sections = answer(400).text.split('\n\n');
  const messages = Array.from({ length: 2000 }, (_, i) => ({
    id: 'm' + i, role: i % 2 ? 'assistant' : 'user', created_ms: 1700000000000 + i * 1000,
    content: i % 2 ? sections.slice(i % 7, (i % 7) + 4).join('\n\n') : 'question number ' + i,
  }));
  const session = { format: 'confab.session', version: 1, id: 'slong', title: 'long', created_ms: 1700000000000,
    updated_ms: 1700002000000, settings: {}, messages };
  await page.evaluate((json) => window.Confab.widget.importSession(json), JSON.stringify(session));
  const drawn = () => page.locator('confab-chat .msg').count();
  const first = await drawn();
  assert.ok(first <= 120, `${first} messages drawn at first`);
  assert.equal(await page.locator('confab-chat .msg.user .body').last().textContent(), 'question number 1998');

  // Scrolling up draws older messages above, and what the reader sees stays where it was.
  const log = page.locator('confab-chat .log');
  const anchor = page.locator('confab-chat .msg.user').first();  // questions are unique; answers repeat
  const text = await anchor.locator('.body').textContent();
  await log.evaluate((l) => { l.scrollTop = 0; });
  await page.waitForFunction((n) => document.querySelector('confab-chat').shadowRoot.querySelectorAll('.msg').length > n, first);
  assert.ok(await drawn() <= first + 120);
  const still = await page.evaluate((t) => {
    const root = document.querySelector('confab-chat').shadowRoot;
    const l = root.querySelector('.log');
    const m = [...root.querySelectorAll('.msg .body')].find((b) => b.textContent === t);
    return m.getBoundingClientRect().top - l.getBoundingClientRect().top;
  }, text);
  assert.ok(still >= -5, 'the message that was at the top did not jump above the view: ' + still);

  // Opened again in a new page (drawn while the panel is hidden, then shown): at its newest
  // message, with only the first page drawn, and a page's text bounded (long answers, fewer of them).
  // The file is read a step at a time, and the page runs its own tasks between the steps: a
  // timer set as the open begins fires before it ends. (Same module URL as the widget's core.js.)
  await waitStored(page, 'question number 1998');  // a save is flushed to IndexedDB 250 ms later
  await page.reload();
  await page.evaluate((base) => import(base + '/core.js').then(({ Core }) => {
    const { openInSteps } = Core.prototype;
    Core.prototype.openInSteps = async function (request, pause) {
      let ticked = false;
      setTimeout(() => { ticked = true; }, 0);
      let steps = 1;
      const result = await openInSteps.call(this, request, () => { steps += 1; return pause(); });
      window.opening = { steps, ticked, ok: result.ok, bytes: request.bytes.length };
      return result;
    };
  }), site.relay.url);
  await page.locator('confab-chat .launcher').click();
  await page.locator('confab-chat textarea').waitFor({ state: 'visible' });
  // No fixed wait: the open ends when it ends (slower on a busy machine); the log is drawn after it.
  const opening = await (await page.waitForFunction(() => window.opening, null, { timeout: 60_000 })).jsonValue();
  await page.waitForFunction(() => document.querySelector('confab-chat').shadowRoot.querySelectorAll('.msg').length > 0);
  assert.ok(opening.ok && opening.ticked, JSON.stringify(opening));
  assert.ok(opening.steps >= Math.floor(opening.bytes / (256 * 1024)), JSON.stringify(opening));
  const opened = await page.evaluate(() => {
    const root = document.querySelector('confab-chat').shadowRoot;
    const l = root.querySelector('.log');
    return { gap: l.scrollHeight - l.scrollTop - l.clientHeight, count: root.querySelectorAll('.msg').length,
      chars: [...root.querySelectorAll('.msg .body')].map((b) => b.textContent.length) };
  });
  assert.ok(opened.gap < 5, `opened ${opened.gap} px above its newest message`);
  assert.equal(opened.count, first);
  assert.ok(opened.chars.slice(1).reduce((a, b) => a + b, 0) < 6000, `first page: ${opened.chars.join(' + ')} characters`);
  await page.context().close();
});

test('render: a reply that arrives in one burst reaches the core 16 KB at a time, and arrives whole', async () => {
  // 4,000 tokens, one event each, about 500 KB; the relay writes them 256 KB at a time, so the
  // browser reads far more than 16 KB at once.
  const { text, tokens } = answer(4000);
  const event = (delta) => 'data: ' + JSON.stringify({ id: 'chatcmpl-burst', object: 'chat.completion.chunk', created: 0,
    model: 'burst', choices: [{ index: 0, delta, finish_reason: null }] }) + '\n\n';
  const events = tokens.map((t) => event({ content: t }));
  const dir = mkdtempSync(join(tmpdir(), 'confab-burst-'));
  const file = join(dir, 'burst.sse');
  writeFileSync(file, event({ role: 'assistant', content: '' }) + events.join('') + 'data: [DONE]\n\n');
  const burst = await startSite(['--replay', file, '--replay-chunk', '262144', '--replay-pace', '0']);
  const page = await (await browser.newContext()).newPage();
  await page.goto(burst.pages.url + '/host.html');
  await openWidget(page);
  // The text each call into the core delivered: its effects all come before the microtask
  // queued at its first delta runs.
  const seen = await page.evaluate(() => new Promise((resolve) => {
    const c = window.Confab.widget;
    const calls = [];
    let open = false;
    const offDelta = c.on('delta', (delta) => {
      if (delta.kind !== 'content') return;
      if (!open) {
        open = true;
        calls.push('');
        queueMicrotask(() => { open = false; });
      }
      calls[calls.length - 1] += delta.text;
    });
    const offEnd = c.on('turn_end', (turn) => {
      offDelta();
      offEnd();
      resolve({ calls, status: turn.status });
    });
    c.send('all at once');
  }));
  rmSync(dir, { recursive: true, force: true });
  assert.equal(seen.status, 'done');
  assert.equal(seen.calls.join(''), text);
  // Each call's text is whole tokens; the events that carried them came in one slice, less the
  // end of one that began in the slice before.
  const largest = Math.max(...events.map((e) => Buffer.byteLength(e)));
  let token = 0;
  const bytes = seen.calls.map((piece) => {
    let size = 0;
    for (let length = 0; length < piece.length; token += 1) {
      length += tokens[token].length;
      size += Buffer.byteLength(events[token]);
    }
    return size;
  });
  assert.equal(token, tokens.length);
  assert.ok(seen.calls.length > 20, `${seen.calls.length} calls`);
  assert.ok(Math.max(...bytes) <= 16384 + largest, `at most ${16384 + largest} bytes of events a call, got ${Math.max(...bytes)}`);
  await page.context().close();
});
