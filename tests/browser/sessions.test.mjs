// Sessions that survive: a reload, a browser restart, several sessions (new, switch, rename,
// delete with undo), export then import, two tabs writing at once (and deleting), and storage that fails
// (blocked IndexedDB, a full quota, a damaged file) with a plain notice while the chat goes on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { launch, startSite, stopAll, openWidget, sendMessage, recordEvents, waitForTurns, shownMessages,
  storedFiles, waitStored, waitGone, waitUntil } from './helpers.mjs';

let browser, site;
before(async () => {
  site = await startSite();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stopAll();
});

/** Sends `text` and waits for the reply's turn to end. */
async function chat(page, text) {
  const done = page.evaluate(() => new Promise((r) => {
    let last = '';
    const offMessage = window.Confab.widget.on('message', (m) => { if (m.role === 'assistant') last = m.content ?? ''; });
    const off = window.Confab.widget.on('turn_end', (d) => { off(); offMessage(); r({ ...d, last }); });
  }));
  await sendMessage(page, text);
  return done;
}

/** Makes `page`'s downloads slow (2 KB/s): its replies stream for several seconds, through saves and another tab's flushes. */
async function slowDown(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 2048, uploadThroughput: -1 });
}

/** The end of a reply as it appears in the stored JSON (for waitStored). */
const tail = (turn) => JSON.stringify(turn.last.slice(-40)).slice(1, -1);

const texts = async (page) => (await shownMessages(page)).map((m) => m.text);

/** In the page: counts the session files that the widget's own scripts (from `widget`) decode, in window.decodedFiles. */
function countDecodedFiles(/** @type {string} */ widget) {
  window.decodedFiles = 0;
  const { decode } = TextDecoder.prototype;
  TextDecoder.prototype.decode = function (...args) {
    const text = decode.apply(this, args);
    if (text.includes('"format":"confab.session"') && new Error().stack.includes(widget)) window.decodedFiles += 1;
    return text;
  };
}

/** In the page: records the keys IndexedDB is asked for, in window.reads. */
function countReads() {
  window.reads = [];
  const { get } = IDBObjectStore.prototype;
  IDBObjectStore.prototype.get = function (key) {
    window.reads.push(String(key));
    return get.call(this, key);
  };
}

test('sessions: a reload keeps the conversation; opening it decodes no session file, and the next turn merges nothing', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const turn = await chat(page, 'remember the tent');
  const before = await texts(page);
  await waitStored(page, tail(turn));
  // The core opens a stored session from its UTF-8, as IndexedDB holds it; the text is needed
  // only when another tab changes the session. Decoding it anyway cost 6-7 ms for a 5.9 MB
  // session, in the task that shows the panel.
  await page.addInitScript(countDecodedFiles, site.relay.url);
  await page.reload();
  await openWidget(page);
  await page.locator('confab-chat .msg.assistant').first().waitFor();
  assert.deepEqual(await texts(page), before);
  assert.equal(await page.evaluate(() => window.decodedFiles), 0);
  // The core holds the stored copy it opened: the next flush has nothing to merge, so it reads
  // nothing back (a merge pulls the stored file and decodes it: 0.7-0.9 s for 5.9 MB).
  await page.evaluate(countReads);
  const next = await chat(page, 'and the stove');
  await waitStored(page, tail(next));
  assert.deepEqual(await page.evaluate(() => window.reads), []);
  assert.equal(await page.evaluate(() => window.decodedFiles), 0);
  await context.close();
});

test('sessions: a turn reads nothing back from IndexedDB and decodes no session file when no other tab wrote the session', async () => {
  // A flush pulls what other tabs wrote before it pushes. It used to load this tab's own last
  // copy back every time and decode it, to see whether another tab had replaced it: about 40 ms
  // a flush for a 5.9 MB session, once a second while a reply streamed. The file's time says so now.
  // And every save decoded the file the core wrote into text (7-8 ms for 5.9 MB), which only a
  // merge with another tab's copy, or the page hiding, reads.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const first = await chat(page, 'count the reads');
  await waitStored(page, tail(first));
  await page.evaluate(countReads);
  await page.evaluate(countDecodedFiles, site.relay.url);  // not this test's storedFiles
  const second = await chat(page, 'and again');
  await waitStored(page, tail(second));
  assert.deepEqual(await page.evaluate(() => window.reads), []);
  assert.equal(await page.evaluate(() => window.decodedFiles), 0);
  // Another tab's write is still read, and shown here (see "two tabs" below for the merge):
  // opened from its UTF-8, as read, and compared with this tab's last copy as bytes. Decoding
  // it and encoding it again for the core cost 20-30 ms for 5.9 MB, at every flush of the
  // other tab while its reply streamed.
  const other = await context.newPage();
  await other.goto(site.pages.url + '/host.html');
  await openWidget(other);
  await other.locator('confab-chat .msg.assistant').nth(1).waitFor();
  const third = await chat(other, 'from the other tab');
  await waitStored(other, tail(third));
  await page.waitForFunction(() => window.reads.some((key) => key.endsWith('.json')));
  await page.locator('confab-chat .msg.user', { hasText: 'from the other tab' }).waitFor();
  assert.equal(await page.evaluate(() => window.decodedFiles), 0);
  await context.close();
});

test('sessions: a reload at once after sending (before the debounced flush) keeps the message', async () => {
  // A save is flushed to IndexedDB 250 ms later (a burst of saves is one flush), and a page that
  // goes away takes its timers with it: what is not flushed yet is kept in localStorage as the
  // page hides, and merged into the stored copy at the next start.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const first = await chat(page, 'remember the tent');
  await waitStored(page, tail(first));
  const before = await texts(page);
  await sendMessage(page, 'and the stove');
  await page.locator('confab-chat .msg.user').nth(1).waitFor();
  await page.reload();
  await openWidget(page);
  await page.locator('confab-chat .msg.user').nth(1).waitFor({ timeout: 5000 });
  const shown = await texts(page);
  assert.deepEqual(shown.slice(0, 3), [...before, 'and the stove']);
  // Once it is in IndexedDB, nothing of it is left in localStorage (the list's record stays).
  await waitStored(page, 'and the stove');
  await page.waitForFunction(() => Object.keys(localStorage).every((k) => k.startsWith('confab:list:')));
  // What is kept there is read from storage any script of the page can write: a copy that does
  // not load as that session is dropped, and the stored one stands.
  const [{ id }] = await page.evaluate(() => window.Confab.widget.sessions());
  const all = await texts(page);
  await page.evaluate((id) => {
    localStorage.setItem('confab:unflushed:confab:x:' + id, JSON.stringify({ bytes: '{"messages": [', known: [] }));
    localStorage.setItem('confab:unflushed:confab:y:' + id, '7');
  }, id);
  await page.reload();
  await openWidget(page);
  await page.locator('confab-chat .msg.user').nth(1).waitFor();
  assert.deepEqual(await texts(page), all);
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => !k.startsWith('confab:list:'))), []);
  await context.close();
});

test('sessions: a session deleted here stays deleted when a tab that closed before its flush kept a copy', async () => {
  // Another tab kept the session in localStorage as it went away (a write it never flushed); this
  // tab, open all along, deletes the session. The next start must not bring it back.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const turn = await chat(page, 'delete me for good');
  await waitStored(page, tail(turn));
  const [{ id }] = await page.evaluate(() => window.Confab.widget.sessions());
  await page.evaluate(async (id) => {
    const bytes = await window.Confab.widget.exportSession(id);
    localStorage.setItem('confab:unflushed:confab:gone-tab:' + id, JSON.stringify({ bytes, known: [] }));
    await window.Confab.widget.deleteSession(id);
  }, id);
  await waitGone(page, id);
  await page.waitForFunction(() => Object.keys(localStorage).every((k) => k.startsWith('confab:list:')));
  await page.reload();
  await openWidget(page);
  // The start's recovery writes what it keeps at once (the list shows it), and flushes it 250 ms later.
  await page.waitForTimeout(500);
  assert.deepEqual((await page.evaluate(() => window.Confab.widget.sessions())).map((s) => s.id).filter((s) => s === id), []);
  assert.deepEqual(Object.keys(await storedFiles(page)).filter((path) => path.endsWith('/' + id + '.json')), []);
  await context.close();
});

test('sessions: closing and restarting the browser keeps the conversation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'confab-profile-'));
  const options = { executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] };
  try {
    let context = await chromium.launchPersistentContext(dir, options);
    let page = await context.newPage();
    await page.goto(site.pages.url + '/host.html');
    await openWidget(page);
    const turn = await chat(page, 'survive a restart');
    const before = await texts(page);
    await waitStored(page, tail(turn));
    await context.close();

    context = await chromium.launchPersistentContext(dir, options);
    page = await context.newPage();
    await page.goto(site.pages.url + '/host.html');
    await openWidget(page);
    await page.locator('confab-chat .msg.assistant').first().waitFor();
    assert.deepEqual(await texts(page), before);
    await context.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sessions: new chat, switch, rename, delete with undo', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await chat(page, 'first conversation');
  await page.getByRole('button', { name: 'New chat' }).click();
  assert.equal(await page.locator('confab-chat .msg').count(), 0);
  await chat(page, 'second conversation');

  await page.getByRole('button', { name: 'Conversations' }).click();
  const items = page.locator('confab-chat .sessions li');
  await assert.doesNotReject(items.nth(1).waitFor());
  assert.deepEqual(await items.locator('.pick').allTextContents(), ['second conversation', 'first conversation']);

  await page.getByRole('button', { name: 'Open first conversation' }).click();
  await page.waitForFunction(() => document.querySelector('confab-chat').shadowRoot.querySelector('.msg.user .body')?.textContent === 'first conversation');

  await page.getByRole('button', { name: 'Conversations' }).click();
  await page.getByRole('button', { name: 'Rename first conversation' }).click();
  const name = page.getByRole('textbox', { name: 'New name for first conversation' });
  await name.fill('Tents');
  await name.press('Enter');
  await page.getByRole('button', { name: 'Open Tents' }).waitFor();
  const list = await page.evaluate(() => window.Confab.widget.sessions());
  assert.deepEqual(list.map((s) => s.title).sort(), ['Tents', 'second conversation']);

  await page.getByRole('button', { name: 'Delete second conversation' }).click();
  await page.getByRole('button', { name: 'Open second conversation' }).waitFor({ state: 'detached' });
  assert.deepEqual((await page.evaluate(() => window.Confab.widget.sessions())).map((s) => s.title), ['Tents']);
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.getByRole('button', { name: 'Open second conversation' }).waitFor();
  assert.deepEqual((await page.evaluate(() => window.Confab.widget.sessions())).map((s) => s.title).sort(),
    ['Tents', 'second conversation']);
  await context.close();
});

test('sessions: a conversation renamed while its reply streams keeps the name and the whole reply, and a rename moves nothing in the list', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await chat(page, 'an older conversation');
  await page.evaluate(() => window.Confab.widget.newSession());
  const ended = chat(page, 'Tell me about boots');
  await page.locator('confab-chat .log[aria-busy="true"] .msg.assistant .body p').first().waitFor();
  const titles = () => page.evaluate(async () => (await window.Confab.widget.sessions()).map((s) => s.title));
  const rename = (from, to) => page.evaluate(async ({ from, to }) => {
    const c = window.Confab.widget;
    await c.renameSession((await c.sessions()).find((s) => s.title === from).id, to);
    return document.querySelector('confab-chat').shadowRoot.querySelector('.log').getAttribute('aria-busy');
  }, { from, to });
  // The old widget refused this one ("a reply is on its way").
  assert.equal(await rename('Tell me about boots', 'Boots'), 'true');
  assert.deepEqual(await titles(), ['Boots', 'an older conversation']);
  const turn = await ended;
  assert.equal(turn.status, 'done');
  // The older one renamed stays where it was: a rename is not a change to what was said.
  await rename('an older conversation', 'Older');
  assert.deepEqual(await titles(), ['Boots', 'Older']);
  const shown = await texts(page);
  await waitStored(page, tail(turn));
  await waitStored(page, '"title":"Older"');
  await page.reload();
  await openWidget(page);
  await page.locator('confab-chat .msg.assistant').first().waitFor();
  assert.deepEqual(await titles(), ['Boots', 'Older']);
  assert.deepEqual(await texts(page), shown);
  const boots = Object.values(await storedFiles(page)).filter((t) => t.includes('"format":"confab.session"'))
    .map((t) => JSON.parse(t)).find((f) => f.title === 'Boots');
  assert.equal(boots.messages.at(-1).content, turn.last);
  assert.equal(boots.messages.at(-1).incomplete, undefined);
  await context.close();
});

test('sessions: a stored session is read again only when it changed: by the list when its bytes did (not for the core\'s own saves, which say what the list shows), by a flush when another tab wrote it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await page.evaluate(async () => {
    for (let i = 0; i < 12; i++) {
      const messages = [{ id: 'q' + i, role: 'user', created_ms: 1700000000000, content: 'stored question ' + i },
        { id: 'a' + i, role: 'assistant', created_ms: 1700000001000, content: 'stored answer ' + i }];
      await window.Confab.widget.importSession(JSON.stringify({ format: 'confab.session', version: 1, id: 'stored' + i,
        title: 'stored ' + i, created_ms: 1700000000000, updated_ms: 1700000001000 + i, settings: {}, messages }));
    }
    await window.Confab.widget.newSession();
  });
  await chat(page, 'the open one');
  // Every check from here on, by the id of the session it read, and every merge.
  await page.evaluate(countChecksAndMerges, site.relay.url);
  const list = await page.evaluate(() => window.Confab.widget.sessions());
  assert.equal(list.length, 13);
  assert.deepEqual(await page.evaluate(() => window.checked), []);
  const open = list.find((s) => s.title === 'the open one').id;
  await chat(page, 'and one more turn');
  const after = await page.evaluate(() => window.Confab.widget.sessions());
  // The core's saves of the open session came with what the list shows of them: nothing read.
  assert.equal(after.find((s) => s.id === open).count, 4);
  assert.ok(after.find((s) => s.id === open).updated_ms > list.find((s) => s.id === open).updated_ms);
  assert.deepEqual(await page.evaluate(() => window.checked), []);
  // Another session renamed: the core's rename says what the list shows of it, nothing is read.
  await page.evaluate(() => window.Confab.widget.renameSession('stored3', 'renamed'));
  const renamed = await page.evaluate(() => window.Confab.widget.sessions());
  assert.equal(renamed.find((s) => s.id === 'stored3').title, 'renamed');
  assert.equal(renamed.find((s) => s.id === 'stored3').count, list.find((s) => s.id === 'stored3').count);
  assert.equal(renamed.find((s) => s.id === open).count, 4);
  assert.deepEqual(await page.evaluate(() => window.checked), []);
  // Deleted, then back with the notice's Undo: what the list showed of it comes back with it.
  await page.evaluate(() => window.Confab.widget.deleteSession('stored4'));
  assert.ok(!(await page.evaluate(() => window.Confab.widget.sessions())).some((s) => s.id === 'stored4'));
  await page.locator('confab-chat').getByRole('button', { name: 'Undo' }).click();
  const back = await page.evaluate(() => window.Confab.widget.sessions());
  assert.deepEqual(back.find((s) => s.id === 'stored4'), renamed.find((s) => s.id === 'stored4'));
  assert.deepEqual(await page.evaluate(() => window.checked), []);
  // This tab's saves were flushed (after the first turn and at the end of this one), and what
  // each pull found was what this tab had pushed: nothing to merge.
  assert.equal(await page.evaluate(() => window.merges), 0);

  // A page loaded again lists what the last one listed, from its record, without reading a
  // file: none changed. Checks are counted from before the widget loads (same module URL).
  const countChecks = (base) => import(base + '/core.js').then(({ Core }) => {
    const { check } = Core.prototype;
    window.checked = [];
    Core.prototype.check = function (bytes) {
      const result = check.call(this, bytes);
      window.checked.push(result.summary?.id ?? 'unreadable');
      return result;
    };
  });
  const sorted = (sessions) => sessions.map((s) => JSON.stringify(s)).sort();
  // The last flush recorded the renamed file as IndexedDB now holds it.
  await page.waitForFunction(() => {
    const record = JSON.parse(localStorage.getItem('confab:list:confab') ?? '{}');
    return Object.keys(record).length === 13 && record.stored3?.entry?.title === 'renamed';
  });
  await page.reload();
  await page.evaluate(countChecks, site.relay.url);
  await openWidget(page);
  assert.deepEqual(sorted(await page.evaluate(() => window.Confab.widget.sessions())), sorted(renamed));
  assert.deepEqual(await page.evaluate(() => window.checked), []);
  // A record that is damaged, or was written by some other script, is only a shortcut lost: every file is read.
  await page.evaluate(() => localStorage.setItem('confab:list:confab', '{"stored1": {"mtime": "x"}, "stored2": 7}'));
  await page.reload();
  await page.evaluate(countChecks, site.relay.url);
  await openWidget(page);
  assert.deepEqual(sorted(await page.evaluate(() => window.Confab.widget.sessions())), sorted(renamed));
  assert.equal((await page.evaluate(() => window.checked)).length, 13);
  await context.close();
});

test('sessions: export then import gives the same session, through the API and through files', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await chat(page, 'export me');
  const { id, exported } = await page.evaluate(async () => {
    const c = window.Confab.widget;
    const id = (await c.sessions())[0].id;
    return { id, exported: await c.exportSession(id) };
  });
  const session = JSON.parse(exported);
  assert.equal(session.format, 'confab.session');
  assert.equal(session.messages.length, 2);

  // Through the API: delete it, import the file, export again.
  const again = await page.evaluate(async ({ id, exported }) => {
    const c = window.Confab.widget;
    await c.deleteSession(id);
    const imported = await c.importSession(exported);
    return { imported, bytes: await c.exportSession(imported) };
  }, { id, exported });
  assert.equal(again.imported, id);
  assert.deepEqual(JSON.parse(again.bytes), session);

  // Through the menu: the Export button downloads the file; after deleting the session, the
  // Import button reads it back.
  await page.getByRole('button', { name: 'Conversations' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export export me' }).click()]);
  const file = readFileSync(await download.path(), 'utf8');
  assert.deepEqual(JSON.parse(file), session);
  assert.equal(download.suggestedFilename(), 'export me.json');
  await page.getByRole('button', { name: 'Delete export me' }).click();
  await page.getByRole('button', { name: 'Open export me' }).waitFor({ state: 'detached' });
  await page.locator('confab-chat input[type=file]').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from(file) });
  await page.getByRole('button', { name: 'Open export me' }).waitFor();
  assert.deepEqual(JSON.parse(await page.evaluate((id) => window.Confab.widget.exportSession(id), id)), session);
  assert.equal((await texts(page))[0], 'export me');

  // Another file with the id of a session that is there becomes a copy with an id of its own.
  const changed = JSON.stringify({ ...session, title: 'a changed copy' });
  const copy = await page.evaluate(async (json) => JSON.parse(await window.Confab.widget.exportSession(
    await window.Confab.widget.importSession(json))), changed);
  assert.notEqual(copy.id, session.id);
  assert.deepEqual({ ...copy, id: session.id }, { ...session, title: 'a changed copy' });
  assert.deepEqual(JSON.parse(await page.evaluate((id) => window.Confab.widget.exportSession(id), id)), session);

  // A file that is not a session is refused with its reason, and nothing changes.
  const refused = await page.evaluate(() => window.Confab.widget.importSession('{"format":"other"}').then(() => '', (e) => e.message));
  assert.match(refused, /not a Confab conversation \(format: expected "confab.session"\)/);
  await context.close();
});

test('sessions: a long conversation imported (checked a step at a time) keeps every message, and a copy of it gets an id of its own', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const result = await page.evaluate(async () => {
    const c = window.Confab.widget;
    // 1.2 MB: several steps of the check (256 KB each); key order as JSON.stringify gives it.
    const messages = Array.from({ length: 600 }, (_, k) => ({ id: 'm' + k, role: k % 2 ? 'assistant' : 'user',
      created_ms: 1700000000000 + k, content: (k % 2 ? 'answer \u00e9\u{1F600} ' : 'question ') + k + ' ' + 'x'.repeat(2000) }));
    const file = { format: 'confab.session', version: 1, id: 'imported-long', title: 'long one', created_ms: 1700000000000,
      updated_ms: 1700000000600, settings: { model: 'm' }, messages };
    const id = await c.importSession(JSON.stringify(file));
    const copy = await c.importSession(JSON.stringify({ ...file, title: 'a copy' }));
    const list = await c.sessions();
    return { file, id, copy, list, exported: JSON.parse(await c.exportSession(id)), copied: JSON.parse(await c.exportSession(copy)) };
  });
  assert.equal(result.id, 'imported-long');
  assert.deepEqual(result.exported, result.file);
  assert.notEqual(result.copy, result.id);
  assert.deepEqual(result.copied, { ...result.file, id: result.copy, title: 'a copy' });
  const listed = (id) => result.list.find((s) => s.id === id);
  assert.deepEqual(listed(result.id), { id: result.id, title: 'long one', created_ms: 1700000000000, updated_ms: 1700000000600, count: 600 });
  assert.deepEqual(listed(result.copy), { ...listed(result.id), id: result.copy, title: 'a copy' });
  // The copy is open, all of it there.
  assert.equal(await page.evaluate(() => window.Confab.widget.sessions().then(() => document.querySelector('confab-chat')
    .shadowRoot.querySelector('.msg.assistant:last-child .body')?.textContent.startsWith('answer é😀 599'))), true);
  await context.close();
});

// Each save replaces the session's file. Emscripten 3.1.6's FS.rename left the replaced file
// findable by name after the new one was deleted, so a deleted session read back as an older
// copy (one saved mid-stream). Renames are saves that need no streaming, so this is exact.
test('sessions: a deleted session is gone, however often it was saved', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await chat(page, 'saved many times');
  const saved = await page.evaluate(async () => {
    const c = window.Confab.widget;
    await c.newSession();  // the first session is no longer the open one
    const id = (await c.sessions()).find((s) => s.title === 'saved many times').id;
    await c.renameSession(id, 'name one');
    await c.renameSession(id, 'name two');
    const bytes = await c.exportSession(id);
    await c.deleteSession(id);
    return { id, bytes };
  });
  // Once the deletion has reached IndexedDB, the store reads its files again, not its pending changes.
  await waitGone(page, saved.id);
  const result = await page.evaluate(async ({ id, bytes }) => {
    const c = window.Confab.widget;
    const after = await c.exportSession(id).then((b) => 'read back: ' + JSON.parse(b).title, (e) => e.message);
    const listed = (await c.sessions()).map((s) => s.id);
    const imported = await c.importSession(bytes);
    return { after, listed, imported, again: await c.exportSession(imported) };
  }, saved);
  assert.match(result.after, /There is no conversation/);
  assert.ok(!result.listed.includes(saved.id));
  assert.equal(result.imported, saved.id, 'nothing holds its id any more, so the import keeps it');
  assert.equal(result.again, saved.bytes);
  await context.close();
});

test('sessions: two tabs never lose each other\'s messages', async () => {
  const context = await browser.newContext();
  const a = await context.newPage();
  await a.goto(site.pages.url + '/host.html');
  await openWidget(a);
  await chat(a, 'from tab A');
  await waitStored(a, 'from tab A');

  const b = await context.newPage();
  await b.goto(site.pages.url + '/host.html');
  await openWidget(b);
  await b.locator('confab-chat .msg.assistant').first().waitFor();
  assert.equal((await texts(b))[0], 'from tab A');
  await chat(b, 'from tab B');
  // Tab A hears of it and shows it without a reload.
  await a.waitForFunction(() => [...document.querySelector('confab-chat').shadowRoot.querySelectorAll('.msg.user .body')].some((m) => m.textContent === 'from tab B'));

  // Both at once, in the same session: each tab re-reads before it writes.
  await Promise.all([chat(a, 'A at the same time'), chat(b, 'B at the same time')]);
  await waitStored(a, 'A at the same time');
  await waitStored(a, 'B at the same time');
  const c = await context.newPage();
  await c.goto(site.pages.url + '/host.html');
  await openWidget(c);
  await c.locator('confab-chat .msg.assistant').first().waitFor();
  const users = (await shownMessages(c)).filter((m) => m.role === 'user').map((m) => m.text).sort();
  assert.deepEqual(users, ['A at the same time', 'B at the same time', 'from tab A', 'from tab B']);
  assert.equal((await shownMessages(c)).length, 8);
  await context.close();
});

/** Tab A sends `first` and its reply is stored; then tab B (given to `beforeB` before it loads) opens and shows that session. */
async function twoTabs(first, { beforeB = async (/** @type {any} */ b) => {} } = {}) {
  const context = await browser.newContext();
  const a = await context.newPage();
  await a.goto(site.pages.url + '/host.html');
  await openWidget(a);
  await chat(a, first);
  await waitStored(a, first);
  const b = await context.newPage();
  await beforeB(b);
  await b.goto(site.pages.url + '/host.html');
  await openWidget(b);
  await b.locator('confab-chat .msg.assistant').first().waitFor();
  return { context, a, b };
}

/**
 * Two tabs on one session that tab A began with `first`: tab B streams a reply (slowed down),
 * `meanwhile(a, b)` does something in tab A, then B's reply ends. Returns the context, the two
 * tabs, and a third tab opened afterwards on what was stored.
 */
async function whileAnotherTabStreams(first, meanwhile) {
  const { context, a, b } = await twoTabs(first);
  await slowDown(b);
  const ended = chat(b, 'Tell me about boots');
  await b.locator('confab-chat .log[aria-busy="true"] .msg.assistant .body p').first().waitFor();
  await meanwhile(a, b);
  assert.equal(await b.evaluate(() => document.querySelector('confab-chat').shadowRoot.querySelector('.log').getAttribute('aria-busy')), 'true');
  const turn = await ended;
  assert.equal(turn.status, 'done');
  await waitStored(a, tail(turn));
  await a.waitForTimeout(1000);
  const c = await context.newPage();
  await c.goto(site.pages.url + '/host.html');
  await openWidget(c);
  await c.locator('confab-chat .msg.assistant').first().waitFor();
  return { context, a, b, c };
}

/**
 * In the page: counts the session files the widget's core checks (window.checked, by session
 * id) and the merges it makes (window.merges). The widget's modules come from the relay
 * (`base`), so this import is the widget's own core.js.
 */
function countChecksAndMerges(/** @type {string} */ base) {
  return import(base + '/core.js').then(({ Core }) => {
    const { check, merge } = Core.prototype;
    window.checked = [];
    window.merges = 0;
    Core.prototype.check = function (bytes) {
      const result = check.call(this, bytes);
      window.checked.push(result.summary?.id ?? 'unreadable');
      return result;
    };
    Core.prototype.merge = function (...args) {
      window.merges += 1;
      return merge.apply(this, args);
    };
  });
}

test('sessions: a turn in one tab survives the reply another tab was streaming meanwhile', async () => {
  const { context, b, c } = await whileAnotherTabStreams('first', async (a, b) => {
    await b.evaluate(countChecksAndMerges, site.relay.url);
    // A setting changed in tab B meanwhile: B opens its own copy again after the turn, and the
    // merge it had made must not be forgotten for that.
    await b.evaluate(() => window.Confab.widget.set({ temperature: 0.3 }));
    await chat(a, 'hi');
    await waitStored(a, '"content":"hi"');
  });
  const users = (await shownMessages(c)).filter((m) => m.role === 'user').map((m) => m.text).sort();
  assert.deepEqual(users, ['Tell me about boots', 'first', 'hi']);
  // Tab B merged, and its list took what each merge made from the merge: no file was read
  // again for it (a 5.9 MB session: 150-200 ms each time).
  assert.ok(await b.evaluate(() => window.merges) > 0);
  assert.deepEqual(await b.evaluate(() => window.checked), []);
  await context.close();
});

test('sessions: a tab lists what another tab streams into a session from what that tab tells, without reading the file', async () => {
  // While a reply streams, a tab flushes about once a second, always with another save pending,
  // so its record of the file (what a list takes without reading it) lags behind. Each flush
  // now tells the other tabs what the list shows of the files it pushed.
  const { context, a, b } = await twoTabs('first');
  await b.evaluate(countChecksAndMerges, site.relay.url);
  await slowDown(a);
  const turn = await chat(a, 'Tell me about boots');
  await waitStored(a, tail(turn));
  await waitUntil(b, () => window.Confab.widget.sessions().then((l) => l[0].count === 4));
  await b.locator('confab-chat .msg.user', { hasText: 'Tell me about boots' }).waitFor();
  assert.deepEqual(await b.evaluate(() => window.checked), []);
  assert.equal(await b.evaluate(() => window.merges), 0);
  await context.close();
});

test('sessions: a tab that pulls a later file than the one another tab told of lists it as told, without reading it', async () => {
  // Tab A may flush again before tab B pulls what A's first message told of: B's pull then gets
  // the later file, which the message does not describe. Checking that file is a whole parse
  // (150-200 ms for a 5.9 MB session); A's next message describes it. B hears A's messages only
  // when this test lets them through.
  const { context, a, b } = await twoTabs('first', { beforeB: (b) => b.addInitScript(() => {
    window.held = [];
    window.channels = [];
    window.BroadcastChannel = class extends BroadcastChannel {
      constructor(name) {
        super(name);
        super.onmessage = (event) => (window.holding ? window.held.push(event.data) : this.heard?.(event));
        window.channels.push(this);
      }
      set onmessage(heard) { this.heard = heard; }
      get onmessage() { return this.heard; }
    };
  }) });
  await b.evaluate(countChecksAndMerges, site.relay.url);
  await b.evaluate(() => { window.holding = true; });
  await chat(a, 'second');
  await waitStored(a, 'second');
  await chat(a, 'third');
  await waitStored(a, 'third');
  const id = (await a.evaluate(() => window.Confab.widget.sessions()))[0].id;
  await a.waitForTimeout(500);  // A's last flush
  const held = await b.evaluate(() => window.held.length);
  assert.ok(held >= 2, `B held ${held} messages`);
  // The first message only: B pulls the file A wrote last, draws it, and lists what A told.
  await b.evaluate(() => { window.holding = false; window.channels[0].heard({ data: window.held[0] }); });
  await b.locator('confab-chat .msg.user', { hasText: 'third' }).waitFor();
  assert.deepEqual(await b.evaluate(() => window.checked), []);
  assert.ok((await b.evaluate(() => window.Confab.widget.sessions()))[0].count < 6, 'listed as the first message told');
  // And not recorded for the next page load as the entry of that later file (A recorded it exactly).
  const recorded = await b.evaluate((id) => JSON.parse(localStorage.getItem('confab:list:confab'))[id].entry.count, id);
  assert.equal(recorded, 6);
  // The last message describes that file: B lists it as it is, still without reading it.
  await b.evaluate(() => window.channels[0].heard({ data: window.held.at(-1) }));
  await waitUntil(b, (id) => window.Confab.widget.sessions().then((l) => l.length === 1 && l[0].id === id && l[0].count === 6), id);
  assert.deepEqual(await b.evaluate(() => window.checked), []);
  await context.close();
});

test('sessions: a hidden tab lists what another tab wrote as that tab tells it, and pulls and draws it once shown', async () => {
  // Drawing another tab's write means opening the session again, a parse of the whole file:
  // at every flush of a tab streaming a reply into it, once a second. Nobody sees a hidden tab.
  const { context, a, b } = await twoTabs('first');
  // Headless Chromium shows every page: B's document says it is hidden, as a browser's does.
  const show = (shown) => b.evaluate((shown) => {
    if (shown) delete document.visibilityState;
    else Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, shown);
  await b.evaluate(countChecksAndMerges, site.relay.url);
  await show(false);
  // Nor does it pull the files from IndexedDB meanwhile: each pull copies every changed file
  // whole. B's reads of IndexedDB are counted from here.
  await b.evaluate(() => {
    window.idbReads = 0;
    const get = IDBObjectStore.prototype.get;
    IDBObjectStore.prototype.get = function (...args) {
      window.idbReads += 1;
      return get.apply(this, args);
    };
  });
  const turn = await chat(a, 'while B is hidden');
  await waitStored(a, tail(turn));
  await a.evaluate(() => window.Confab.widget.newSession());
  await chat(a, 'a new one while B is hidden');
  await waitStored(a, 'a new one while B is hidden');
  // B heard of both (its list has the new messages, and the new session, as A told them), and
  // draws nothing of them while hidden.
  await waitUntil(b, () => window.Confab.widget.sessions().then((l) => l.length === 2 && l.some((s) => s.count === 4)));
  await b.waitForTimeout(1000);
  assert.equal((await texts(b)).length, 2);
  assert.equal(await b.evaluate(() => window.idbReads), 0);
  await show(true);
  await b.locator('confab-chat .msg.user', { hasText: 'while B is hidden' }).waitFor();
  await a.evaluate(async () => window.Confab.widget.openSession((await window.Confab.widget.sessions()).find((s) => s.count === 4).id));
  assert.deepEqual(await texts(b), await texts(a));
  // Pulled once shown, and listed as A told, without checking the files it pulled.
  assert.ok(await b.evaluate(() => window.idbReads) > 0);
  assert.deepEqual(await b.evaluate(() => window.checked), []);
  // A deletion is taken at once, hidden or not: anything B saved later would bring it back.
  await show(false);
  const id = (await a.evaluate(() => window.Confab.widget.sessions())).find((s) => s.count === 4).id;
  await a.evaluate((id) => window.Confab.widget.deleteSession(id), id);
  await waitGone(a, id);
  await b.locator('confab-chat .notice', { hasText: 'was deleted in another tab' }).waitFor();
  assert.ok(!(await texts(b)).includes('first'));
  await context.close();
});

test('sessions: a rename in one tab survives the reply another tab was streaming meanwhile', async () => {
  const { context, a, b, c } = await whileAnotherTabStreams('name me', (a) => a.evaluate(async () => {
    const c = window.Confab.widget;
    await c.renameSession((await c.sessions())[0].id, 'Named in A');
  }));
  // Tab B's saves of its reply kept the name (they used to put the old one back), and both
  // tabs, and a third, show it with the reply.
  const title = async (page) => (await page.evaluate(() => window.Confab.widget.sessions()))[0].title;
  await waitUntil(b, () => window.Confab.widget.sessions().then((l) => l[0].title === 'Named in A'));
  assert.equal(await title(a), 'Named in A');
  assert.equal(await title(c), 'Named in A');
  assert.equal((await shownMessages(c)).length, 4);
  await context.close();
});

test('sessions: a conversation deleted in one tab leaves the other tab too, and stays deleted', async () => {
  const context = await browser.newContext();
  const a = await context.newPage();
  await a.goto(site.pages.url + '/host.html');
  await openWidget(a);
  await chat(a, 'delete me everywhere');
  await waitStored(a, 'delete me everywhere');
  const id = (await a.evaluate(() => window.Confab.widget.sessions()))[0].id;

  const b = await context.newPage();
  await b.goto(site.pages.url + '/host.html');
  await openWidget(b);
  await b.locator('confab-chat .msg.assistant').first().waitFor();
  assert.equal((await texts(b))[0], 'delete me everywhere');

  await a.evaluate((id) => window.Confab.widget.deleteSession(id), id);
  await waitGone(a, id);
  // Tab B says so, and no longer shows it.
  await b.locator('confab-chat .notice', { hasText: '\u201cdelete me everywhere\u201d was deleted in another tab.' }).waitFor();
  assert.ok(!(await texts(b)).includes('delete me everywhere'));
  // What tab B does next does not bring it back.
  const turn = await chat(b, 'after the deletion');
  await waitStored(b, tail(turn));
  const paths = Object.keys(await storedFiles(b));
  assert.ok(!paths.some((path) => path.endsWith('/' + id + '.json')), `${id} came back: ${paths.join(', ')}`);
  assert.ok(!(await b.evaluate(() => window.Confab.widget.sessions())).some((s) => s.id === id));
  await context.close();
});

test('sessions: blocked IndexedDB: a plain notice, and the chat works in memory', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    IDBFactory.prototype.open = () => { throw new DOMException('The user denied permission to access the database.', 'SecurityError'); };
  });
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const notice = page.locator('confab-chat .notice');
  await notice.waitFor();
  assert.match(await notice.textContent(), /not letting the chat save conversations .* keep chatting/);
  const turn = await chat(page, 'works without storage');
  assert.equal(turn.status, 'done');
  assert.ok((await texts(page)).at(-1).length > 20);
  await context.close();
});

test('sessions: a full quota: a plain notice, the chat goes on, other sessions stay', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (...args) {
      if (window.__full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  });
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  await chat(page, 'saved before the disk filled');
  await waitStored(page, 'saved before the disk filled');
  await page.evaluate(() => { window.__full = true; });
  await page.getByRole('button', { name: 'New chat' }).click();
  const turn = await chat(page, 'not saved');
  assert.equal(turn.status, 'done');
  const notice = page.locator('confab-chat .notice');
  await notice.waitFor();
  assert.match(await notice.textContent(), /storage for this site is full/);
  assert.ok((await texts(page)).at(-1).length > 20);
  const stored = Object.values(await storedFiles(page)).join('\n');
  assert.ok(stored.includes('saved before the disk filled'));
  await context.close();
});

test('sessions: a damaged file: a plain notice, left as it is, the others open', async () => {
  const context = await browser.newContext();
  const first = await context.newPage();
  await first.goto(site.pages.url + '/host.html');
  await openWidget(first);
  await chat(first, 'a healthy conversation');
  await waitStored(first, 'a healthy conversation');
  await first.close();
  // Write a damaged session file into the store, as a crash or another program might leave
  // it: from a page of the same origin without the widget, so no save of the widget's races it.
  const other = await context.newPage();
  await other.goto(site.pages.url + '/host.css');
  await other.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('/confab');
    open.onsuccess = () => {
      const db = open.result;
      const store = db.transaction('FILE_DATA', 'readwrite').objectStore('FILE_DATA');
      const all = store.getAll();
      all.onsuccess = () => {
        const file = all.result.find((v) => v.contents);
        store.put({ timestamp: new Date(Date.now() + 60000), mode: file.mode, contents: new TextEncoder().encode('{"format":"confab.session","version":1,"messages":[{"role":"robot"}]}') }, '/confab/sbroken.json');
        store.transaction.oncomplete = () => { db.close(); resolve(); };
      };
    };
    open.onerror = () => reject(open.error);
  }));
  await other.close();
  const page = await context.newPage();
  await page.goto(site.pages.url + '/host.html');
  await openWidget(page);
  const notice = page.locator('confab-chat .notice');
  await notice.waitFor();
  assert.match(await notice.textContent(), /could not be opened because its file is damaged \(messages\[0\]\.role: unknown role "robot"\)/);
  await page.locator('confab-chat .msg.assistant').first().waitFor();
  assert.equal((await texts(page))[0], 'a healthy conversation');
  await chat(page, 'still chatting');
  assert.equal((await shownMessages(page)).at(-1).role, 'assistant');
  assert.ok(Object.keys(await storedFiles(page)).includes('/confab/sbroken.json'), 'the damaged file is left as it is');
  await context.close();
});
