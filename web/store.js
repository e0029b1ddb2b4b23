// @ts-check
// Sessions on disk: one file per session, in the core's format (docs/session-format.md),
// in an Emscripten IDBFS folder, so they live in the browser's IndexedDB. Loaded once at
// start; each save is written at once to the in-memory file system and flushed to IndexedDB
// with syncfs, debounced, and at once when the page is hidden.
//
// A save overwrites the file in place, never through a temporary file and a rename: the write
// is synchronous, so no reader (syncfs included) can see half of it, and Emscripten 3.1.6's
// FS.rename leaves the file it replaces findable by name (FS.nameTable), so once the new file
// was deleted, reading the path gave back that older copy (a deleted session came back as it
// was mid-stream).
//
// Two tabs share the same IndexedDB, and IDBFS makes one side equal to the other (it
// deletes what the other side lacks), so every flush runs under a Web Lock: pull what the
// other tabs wrote, re-apply this tab's pending writes (re-read before write: the core merges
// in what another tab added to the same session, core/session_merge.h), push, and tell the
// other tabs on a BroadcastChannel which sessions changed.
//
// A page that goes away takes its timers with it, and a flush started as it hides does not
// finish (it waits for the lock, then for IndexedDB): so as the page hides, each write not
// flushed yet is also kept in localStorage, whose writes are synchronous, and the next start
// merges it into the stored copy (#keepUnflushed, #recoverUnflushed). Without it, a message
// sent just before a reload was gone after it.
//
// When IndexedDB is blocked or full, or a file is damaged, the store says so in plain words
// through `notice` and everything goes on in memory; other sessions are never touched.
//
// Implements: save_session. Not done here: deciding what a session holds (the core).

/**
 * @typedef {{ id: string, title: string, created_ms: number, updated_ms: number, count: number }} Entry
 * @typedef {{ notice: (key: 'blocked' | 'full' | 'unsaved' | 'damaged', error?: string) => void, changed: (ids: string[]) => void,
 *   merged: (id: string, bytes: Uint8Array) => void }} StoreSink  notices name their strings.js key
 */

// Session files are written as UTF-8 made by the browser's TextEncoder: Emscripten's FS.writeFile
// given a string encodes it one character at a time in JavaScript (about 22 ms for a 1.8 MB
// session, at every save, once a second while a reply streams; 10 ms this way).
const utf8 = new TextEncoder();
// And read back through the browser's TextDecoder: FS.readFile's own decoding looks for the
// end of the text one byte at a time in JavaScript (about 35 ms for a 6 MB session).
const text = new TextDecoder();

const FLUSH_DELAY_MS = 250;  // a burst of saves (a user message, then the reply starting) is one flush

/**
 * What a list made of a session file, for another list to take while the file is as it was
 * (#recorded, #heard): its time and size, and its entry, or null and why it does not load.
 * @typedef {{ mtime: number, size: number, entry: Entry | null, error: string }} Recorded
 */

/**
 * Whether `recorded` is the shape of a Recorded for session `id`: written by this code, but read
 * from storage (or a message) that any script of the page can write, so checked.
 */
function isRecord(/** @type {any} */ recorded, /** @type {string} */ id) {
  const e = recorded.entry;
  return e === null ? typeof recorded.error === 'string' :
    !!e && e.id === id && typeof e.title === 'string' && [e.created_ms, e.updated_ms, e.count].every(Number.isFinite);
}

/** What the list shows of session `id`, from the core's summary of its file. @returns {Entry} */
function entryOf(/** @type {string} */ id, /** @type {import('./core.js').Summary} */ s) {
  return { id, title: s.title, created_ms: s.created_ms, updated_ms: s.updated_ms, count: s.count };
}

/** Whether two copies of a file, each its text or its UTF-8, hold the same bytes. */
export function sameContents(/** @type {string | Uint8Array} */ a, /** @type {string | Uint8Array} */ b) {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string') return false;
  const x = typeof a === 'string' ? utf8.encode(a) : a;
  const y = typeof b === 'string' ? utf8.encode(b) : b;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The ids of the messages of a session file (none when it is damaged). @returns {string[]} */
function idsIn(/** @type {string} */ bytes) {
  try {
    return (JSON.parse(bytes).messages ?? []).map((/** @type {any} */ m) => m?.id).filter((/** @type {unknown} */ id) => typeof id === 'string');
  } catch {
    return [];  // damaged: nothing to remember
  }
}

/**
 * A write waiting for the flush: a session's text (null: delete it), or its UTF-8 as the core
 * wrote it, whose text is decoded only when something reads it (a merge with another tab's copy,
 * the page hiding). Most saves are only written to the file and flushed, and decoding cost 7-8 ms
 * at every save of a 6 MB session. A new object per change.
 */
class Write {
  /** @type {string | null | undefined} undefined: not decoded from `raw` yet */
  #text;
  /** @type {Uint8Array | undefined} the file's UTF-8, where the core gave it (a save, a merge) */
  #raw;
  /** @type {Entry | undefined} what the list shows of it, where the core said (a save, a merge) */
  listed;
  /** @param {string | Uint8Array | null} bytes */
  constructor(bytes) {
    this.#raw = bytes instanceof Uint8Array ? bytes : undefined;
    this.#text = bytes instanceof Uint8Array ? undefined : bytes;
  }

  get deleted() { return this.#text === null; }

  /** The file's text, or null for a deletion. */
  get bytes() { return this.#text === undefined ? (this.#text = text.decode(this.raw)) : this.#text; }

  /** Replaces the file's UTF-8 (a merge's); its text is decoded when something reads it. */
  set raw(/** @type {Uint8Array | undefined} */ value) {
    this.#raw = value;
    if (value) this.#text = undefined;
  }

  get raw() { return this.#raw; }

  /** What a file takes: the UTF-8 where there is one, else the text. */
  get contents() { return this.raw ?? /** @type {string} */ (this.bytes); }
}

export class Store {
  #core; #sink; #dir; #name;
  persistent = false;
  /**
   * session id -> what to write
   * @type {Map<string, Write>}
   */
  #pending = new Map();
  /**
   * session id -> the modification time of the file this tab last pushed to IndexedDB for it
   * (IDBFS keeps a file's time beside it, and a pull loads a file whose time differs from the
   * local one's). A save puts this time back on the file it writes: the pull then leaves the file
   * alone unless another tab wrote the session since, and only then is it read and merged
   * (#reapply). A push sets it, and so does the core opening the stored file as it was read
   * (opened(), #lastRead): its core then holds that copy, as if this tab had pushed it. A copy
   * pulled from another tab is not in this tab's core until the core opens it, so its time is
   * not taken as this tab's before. Without the second, the first flush after a page loaded
   * again merged its session with the stored copy it had opened: 0.7-0.9 s in one task for a
   * 5.9 MB session. Before, every flush loaded this tab's own last copy from IndexedDB and decoded
   * it, to compare it with what this tab had pushed: for a 5.9 MB session, about 40 ms of
   * reading and decoding a flush, once a second while a reply streamed.
   * @type {Map<string, number>}
   */
  #synced = new Map();
  /**
   * session id -> the merged copy this tab pushed last, holding what another tab added that this
   * tab's core does not hold yet: the core goes on saving its own copy (a reply streaming) until
   * it opens the merged one (Widget#changed, after the turn). Until then each flush merges the
   * core's copy with this one (or with a newer tab's). The push made the file's time this tab's,
   * so the next save from the core overwrote what the merge had kept: a message or a rename made
   * in another tab while a reply streamed here was lost.
   * @type {Map<string, string | Uint8Array>}
   */
  #mergedIn = new Map();
  /**
   * The stored file read last (read, readRaw): which session, its contents as they were handed
   * out, and its modification time then; for opened(). One only: it holds a whole file.
   * @type {{ id: string, contents: string | Uint8Array, mtime: number } | null}
   */
  #lastRead = null;
  /** @type {Map<string, Set<string>>} session id -> ids of messages this tab's core has held, saved or opened (the merge's `known`) */
  #known = new Map();
  /** @type {BroadcastChannel | null} */
  #channel = null;
  #timer = 0;
  #flushing = Promise.resolve();
  #quotaSaid = false;
  /**
   * session id -> what list() made of one version of it (see #version): the entry, or why the
   * file does not load. A session is read and checked again only when its version changed:
   * list() runs at the end of every turn, and a check parses the whole session (30 stored
   * sessions of 60 KB cost 150-210 ms a list before). Versions, not bytes, are kept, so the
   * memo holds no second copy of the store.
   * @type {Map<string, {version: object, entry: Entry | null, error: string, exact?: boolean}>}
   */
  #entries = new Map();
  /**
   * What list() made of each file, kept in localStorage across page loads with the file's
   * modification time and size (IDBFS keeps a file's time): at a page's first list, a file whose
   * time and size match is not read and checked again. That check parsed every stored session
   * when the widget opened: 110 ms for one of 2,000 messages (5.9 MB). Only ever a shortcut: a
   * file that does not match is checked, and losing the record (storage cleared, blocked, full,
   * overwritten by another tab) costs only that check.
   * @type {Record<string, {mtime: number, size: number, entry: Entry | null, error: string}> | null}
   */
  #record = null;
  /**
   * What other tabs told of the sessions they pushed (#heard), not pulled yet: the list shows
   * these entries, and the pull that follows lists its files as told (#listTold) as it ends,
   * before any other task can list them (and check them, a whole parse each). A hidden page
   * pulls once it is shown, or when anything here pulls: a pull copies every changed file whole
   * out of IndexedDB, and a hidden tab on a 5.9 MB session read 42.5 MB while another tab
   * streamed one 8 s reply into it.
   * @type {Map<string, Recorded>}
   */
  #told = new Map();
  #tab = Math.random().toString(36).slice(2);
  /** @type {Map<string, string[]>} session id -> the localStorage keys it was recovered from, removed once it is flushed */
  #recovered = new Map();

  /** @param {import('./core.js').Core} core @param {string} name @param {StoreSink} sink */
  constructor(core, name, sink) {
    this.#core = core;
    this.#sink = sink;
    this.#name = name;
    this.#dir = '/' + name;
  }

  /** Mounts the folder and reads what IndexedDB holds. Never throws: a blocked store is a notice. */
  async open() {
    const fs = this.#core.fs;
    fs.mkdir(this.#dir);
    try {
      if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB');
      fs.mount(this.#core.idbfs, {}, this.#dir);
      await this.#locked(() => this.#sync(true));
      this.persistent = true;
    } catch {
      this.#sink.notice('blocked');
    }
    if (this.persistent) this.#recoverUnflushed();
    if (this.persistent && typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel('confab:' + this.#name);
      this.#channel.onmessage = (event) => this.#heard(event.data);
    }
    // On a phone, a page may be hidden and then closed without a pagehide.
    const hide = () => {
      this.#keepUnflushed();
      this.flushSoon(0);
    };
    addEventListener('pagehide', hide);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') hide();
      else if (this.#told.size) this.#pull([...this.#told.keys()]);
    });
  }

  /**
   * Every readable session, newest first. Damaged files are reported once each and left as they are.
   * @returns {Entry[]}
   */
  list() {
    /** @type {Entry[]} */
    const entries = [];
    const ids = new Set(this.#files());
    for (const id of this.#told.keys()) ids.add(id);
    for (const [id, entry] of this.#pending) entry.deleted ? ids.delete(id) : ids.add(id);
    for (const id of ids) {
      const told = this.#pending.has(id) ? null : this.#told.get(id);
      if (told?.entry) {
        entries.push({ ...told.entry });
        continue;
      }
      const version = this.#version(id);
      let known = this.#entries.get(id);
      if (!version || known?.version !== version) {
        const recorded = this.#pending.has(id) ? null : this.#recorded(id);
        if (recorded) {
          known = { version: version ?? {}, error: recorded.error, entry: recorded.entry };
        } else {
          const bytes = this.read(id);
          if (bytes === null) continue;
          const checked = this.#core.check(bytes);
          const s = checked.ok ? checked.summary : null;
          known = { version: version ?? {}, error: checked.error ?? 'unreadable', entry: s ? entryOf(id, s) : null };
        }
        this.#entries.set(id, known);
      }
      if (known.entry) entries.push({ ...known.entry });
      else this.#damaged(id, known.error);
    }
    for (const id of this.#entries.keys()) if (!ids.has(id)) this.#entries.delete(id);
    this.#keepRecord([...ids]);
    return entries.sort((a, b) => b.updated_ms - a.updated_ms || b.created_ms - a.created_ms);
  }

  /** What an earlier page load's list made of session `id`'s file, if the file is as it was then (see #record). */
  #recorded(/** @type {string} */ id) {
    const stat = this.#stat(id);
    const recorded = stat && this.#loadRecord()[id];
    if (!recorded || recorded.mtime !== stat.mtime || recorded.size !== stat.size) return null;
    return isRecord(recorded, id) ? recorded : null;
  }

  /**
   * Records what the list knows of sessions `ids` whose files hold what it knows (not a write
   * still pending: its file may be written again before it reaches IndexedDB), and forgets the
   * sessions that are gone. Stored only when something changed.
   */
  #keepRecord(/** @type {string[]} */ ids) {
    const record = this.#loadRecord();
    /** @type {Record<string, any>} */
    const changed = {};
    for (const id of ids) {
      const known = this.#entries.get(id);
      const stat = this.#stat(id);
      if (this.#pending.has(id) || !known || known.exact === false || !stat || known.version !== this.#version(id)) continue;
      const old = record[id];
      if (old && old.mtime === stat.mtime && old.size === stat.size) continue;
      changed[id] = record[id] = { ...stat, entry: known.entry, error: known.error };
    }
    const present = new Set(ids);
    const gone = Object.keys(record).filter((id) => !present.has(id) && !this.#pending.has(id));
    for (const id of gone) delete record[id];
    if (!Object.keys(changed).length && !gone.length) return;
    try {
      // Another tab may have recorded other sessions meanwhile: theirs stay.
      const stored = this.#readRecord();
      for (const id of gone) delete stored[id];
      localStorage.setItem(this.#recordKey(), JSON.stringify(Object.assign(stored, changed)));
    } catch { /* no storage, or full: the next page load checks the files again */ }
  }

  #loadRecord() { return (this.#record ??= this.#readRecord()); }

  /** The record as stored now; empty when there is none or it is not an object. */
  #readRecord() {
    try {
      const stored = JSON.parse(localStorage.getItem(this.#recordKey()) ?? '{}');
      return stored && typeof stored === 'object' && !Array.isArray(stored) ? stored : {};
    } catch {
      return {};
    }
  }

  #recordKey() { return 'confab:list:' + this.#name; }

  /** A stored file's modification time (ms) and size, or null when there is none. */
  #stat(/** @type {string} */ id) {
    try {
      const stat = this.#core.fs.stat(this.#path(id));
      return { mtime: stat.mtime.getTime(), size: stat.size };
    } catch {
      return null;
    }
  }

  /**
   * What changes whenever session `id`'s bytes do: its pending write (a new object per change),
   * else the array that holds its file in Emscripten's MEMFS. Every write here and every pull
   * replaces a file whole (FS.writeFile, which opens it truncated), and MEMFS then gives it a new
   * array. Null when there is neither (read it to know).
   * @returns {object | null}
   */
  #version(/** @type {string} */ id) {
    const entry = this.#pending.get(id);
    if (entry) return entry;
    try {
      return this.#core.fs.lookupPath(this.#path(id)).node.contents ?? null;
    } catch {
      return null;
    }
  }

  /** The bytes of session `id` as UTF-8, as the file holds them, or null when there is none. */
  readRaw(/** @type {string} */ id) {
    const entry = this.#pending.get(id);
    if (entry) return entry.deleted ? null : entry.raw ?? utf8.encode(/** @type {string} */ (entry.bytes));
    try {
      return this.#readFile(id, /** @type {Uint8Array} */ (this.#core.fs.readFile(this.#path(id))));
    } catch {
      return null;
    }
  }

  /** The bytes of session `id`, or null when there is none. */
  read(/** @type {string} */ id) {
    const entry = this.#pending.get(id);
    if (entry) return entry.bytes;
    try {
      return this.#readFile(id, text.decode(this.#core.fs.readFile(this.#path(id))));
    } catch {
      return null;
    }
  }

  /**
   * Notes that session `id`'s stored file was read as `contents` (#lastRead); returns them.
   * @template {string | Uint8Array} T @param {string} id @param {T} contents @returns {T}
   */
  #readFile(id, contents) {
    const stat = this.#stat(id);
    this.#lastRead = stat ? { id, contents, mtime: stat.mtime } : null;
    return contents;
  }

  /**
   * The core opened session `id` from `contents`, a file holding the messages `ids` (as the core
   * read them): it holds those messages now, so one it later leaves out of a save (a retried
   * reply) was removed here, not added by another tab, and the merge must not bring it back.
   * (Merely reading a file is not holding it: the stored copy may have messages from another tab
   * that the core has not taken yet.) When `contents` are the stored file as read last, with no
   * write of this tab pending for it, the core holds that copy: its time is this tab's (#synced),
   * and a flush merges only if another tab has written the session since.
   * @param {string} id @param {string[]} ids @param {string | Uint8Array} contents
   */
  opened(id, ids, contents) {
    this.#remember(id, ids);
    // The merged copy kept for it is done with once the core holds it. Only then: the core may
    // open its own copy again meanwhile (a setting changed during the turn).
    const kept = this.#mergedIn.get(id);
    if (kept !== undefined && sameContents(contents, kept)) this.#mergedIn.delete(id);
    const read = this.#lastRead;
    if (read?.id !== id || read.contents !== contents) return;
    this.#lastRead = null;
    if (!this.#pending.has(id)) this.#synced.set(id, read.mtime);
  }

  /**
   * Stores a session's bytes, its text or its UTF-8 (the core's SaveSession: the file takes it
   * as it is); flushed soon. From the core's SaveSession, `also` brings what would otherwise be
   * read out of them again: what the list shows of them, and their messages' ids. A 6 MB
   * session's save cost a decoding, a parse (for the ids), an encoding, and a check at the next
   * list (for the summary) before.
   * @param {string} key @param {string | Uint8Array} bytes
   * @param {{ summary?: Entry, ids?: string[] }} [also]
   */
  save(key, bytes, also = {}) {
    const entry = new Write(bytes);
    this.#remember(key, also.ids ?? idsIn(/** @type {string} */ (entry.bytes)));
    this.#pending.set(key, entry);
    this.#write(key, entry.contents);
    this.#touch(key, this.#synced.get(key));  // see #synced
    if (also.summary) this.#listAs(key, entry, also.summary);
    this.flushSoon(FLUSH_DELAY_MS);
  }

  remove(/** @type {string} */ id) {
    this.#pending.set(id, new Write(null));
    try { this.#core.fs.unlink(this.#path(id)); } catch { /* not written yet */ }
    this.flushSoon(0);
  }

  /** Pulls what other tabs wrote (before opening a session they changed). */
  async refresh() {
    if (!this.persistent) return;
    await this.flush();
    await this.#locked(async () => {
      await this.#sync(true);
      this.#reapply();
    }).catch(() => {});
  }

  flushSoon(/** @type {number} */ delay) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), delay);
  }

  /** Writes every pending change to IndexedDB; resolves when done (or failed, with a notice). */
  flush() {
    clearTimeout(this.#timer);
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  async #flushNow() {
    if (!this.persistent || this.#pending.size === 0) return;
    const changes = new Map(this.#pending);
    /** @type {Record<string, Recorded>} what the list shows of the files pushed, for the other tabs */
    const entries = {};
    try {
      await this.#locked(async () => {
        await this.#sync(true);         // what the other tabs wrote
        const times = this.#reapply();  // this tab's changes on top, merged
        for (const [id, ms] of times) {
          const stat = ms !== null && this.#stat(id);
          const entry = this.#pending.get(id)?.listed;
          if (stat && entry) entries[id] = { ...stat, entry, error: '' };
        }
        await this.#sync(false);        // and back
        for (const [id, ms] of times) ms === null ? this.#synced.delete(id) : this.#synced.set(id, ms);
      });
    } catch (error) {
      const full = /quota/i.test(String(error?.name ?? '') + String(error?.message ?? error));
      if (!this.#quotaSaid) {
        this.#quotaSaid = true;
        this.#sink.notice(full ? 'full' : 'unsaved');
      }
      return;
    }
    for (const [id, entry] of changes) {
      if (this.#pending.get(id) !== entry) continue;  // saved again meanwhile: still pending
      this.#pending.delete(id);
      this.#forgetUnflushed(id, entry.deleted);
      // The file holds what was pending (a merge forgot the list's entry), so the entry stands.
      const known = this.#entries.get(id);
      if (known?.version === entry) known.version = this.#version(id) ?? {};
    }
    this.#keepRecord(this.#files());  // as the files now stand in IndexedDB
    this.#quotaSaid = false;
    this.#channel?.postMessage({ from: this.#tab, changed: [...changes.keys()], entries });
  }

  /**
   * Re-applies pending writes after a pull, with what another tab added meanwhile merged in.
   * A file whose time is that of this tab's last push holds that push (a pull after a failed
   * push loads it back) or this tab's pending bytes: no other tab wrote it since (#synced). A
   * file with another time is another tab's copy, or this tab's after a failed push, and is
   * merged unless it holds the pending bytes. The file then gets a time of its own, newer than
   * IndexedDB's, so the push takes it. Returns the times it gave (null: deleted), by session id.
   * @returns {Map<string, number | null>}
   */
  #reapply() {
    const fs = this.#core.fs;
    const times = new Map();
    for (const [id, entry] of this.#pending) {
      if (entry.deleted) {
        this.#mergedIn.delete(id);
        try { fs.unlink(this.#path(id)); } catch { /* already gone */ }
        times.set(id, null);
        continue;
      }
      const stat = this.#stat(id);
      // No file: deleted, or never stored, and this tab's bytes go as they are. A file with the
      // time of this tab's last push holds that push or this tab's pending bytes.
      const written = stat && stat.mtime !== this.#synced.get(id);  // by another tab
      const kept = this.#mergedIn.get(id);
      if (stat && (written || kept !== undefined)) {
        // As UTF-8 where there is some: a 5.9 MB copy is not decoded, nor encoded again.
        const stored = written ? /** @type {Uint8Array} */ (fs.readFile(this.#path(id))) : /** @type {string | Uint8Array} */ (kept);
        const merged = this.#core.merge(entry.contents, stored, [...(this.#known.get(id) ?? [])]);
        // Kept until the core opens it (opened()): the pending bytes may be an earlier merge's.
        if (merged || kept !== undefined) this.#mergedIn.set(id, merged?.raw ?? entry.contents);
        if (merged) {
          entry.raw = merged.raw;
          this.#listAs(id, entry, merged.summary);
          this.#sink.merged(id, merged.raw);
        }
      }
      // The pull may have replaced the file (MEMFS gives it a new array) and left `raw` as it was.
      this.#write(id, entry.contents);
      const ms = Math.max(Date.now(), (this.#synced.get(id) ?? 0) + 1, (stat?.mtime ?? 0) + 1);  // not IndexedDB's time
      this.#touch(id, ms);
      times.set(id, ms);
    }
    return times;
  }

  /** Gives session `id`'s file the modification time `ms` (none: leaves it). */
  #touch(/** @type {string} */ id, /** @type {number | undefined} */ ms) {
    if (ms === undefined) return;
    try { this.#core.fs.utime(this.#path(id), ms, ms); } catch { /* not written */ }
  }

  /**
   * Keeps every write not flushed yet in localStorage, with the ids of the messages this tab
   * held (the merge's `known`), until a flush takes it to IndexedDB. A session too large for
   * localStorage (about 5 MB an origin) is not kept, and is lost if the page goes now.
   */
  #keepUnflushed() {
    if (!this.persistent) return;
    for (const [id, entry] of this.#pending) {
      if (entry.deleted) continue;
      try {
        localStorage.setItem(this.#unflushedKey(id), JSON.stringify({ bytes: entry.bytes, known: [...(this.#known.get(id) ?? [])] }));
      } catch (error) {
        console.warn('confab: could not keep', id, 'as the page hides', error);
      }
    }
  }

  /**
   * Saves what pages of this store kept as they hid (#keepUnflushed), merged with the stored
   * copies as another tab's write would be. Read from storage any script of the page can
   * write: what does not load as that session is dropped, never written over a stored file.
   */
  #recoverUnflushed() {
    /** @type {{ key: string, id: string }[]} */
    let writes = [];
    try {
      writes = this.#keptWrites();
    } catch { /* no localStorage: nothing was kept */ }
    for (const { key, id } of writes) {
      let kept = null;
      try { kept = JSON.parse(localStorage.getItem(key) ?? 'null'); } catch { /* dropped below */ }
      const checked = !!kept && typeof kept.bytes === 'string' && Array.isArray(kept.known) ? this.#core.check(kept.bytes) : null;
      if (checked?.summary?.id !== id) {
        try { localStorage.removeItem(key); } catch { /* already gone */ }
        continue;
      }
      const known = kept.known.filter((/** @type {unknown} */ k) => typeof k === 'string');
      const stored = this.read(id);
      this.#remember(id, known);
      this.#recovered.set(id, [...(this.#recovered.get(id) ?? []), key]);
      const merged = stored ? this.#core.merge(kept.bytes, stored, known) : null;
      this.save(id, merged?.raw ?? kept.bytes, { summary: merged?.summary ?? checked.summary, ids: merged ? undefined : checked.ids });
    }
  }

  /**
   * Session `id` is in IndexedDB now: what was kept of it in localStorage goes. When it was
   * deleted, so does what every other tab kept of it: a tab that closed before its flush would
   * otherwise bring the deleted session back at the next start.
   */
  #forgetUnflushed(/** @type {string} */ id, everyTab = false) {
    try {
      localStorage.removeItem(this.#unflushedKey(id));
      for (const key of this.#recovered.get(id) ?? []) localStorage.removeItem(key);
      if (everyTab) for (const kept of this.#keptWrites()) if (kept.id === id) localStorage.removeItem(kept.key);
    } catch { /* no localStorage */ }
    this.#recovered.delete(id);
  }

  /** What every tab of this store kept as it hid (#keepUnflushed): the keys, and the sessions' ids. Throws without localStorage. */
  #keptWrites() {
    const prefix = this.#unflushedKey('');
    return Object.keys(localStorage).filter((key) => key.startsWith(prefix))
      .map((key) => ({ key, id: key.slice(prefix.length).split(':')[1] ?? '' }));
  }

  /** Where #keepUnflushed keeps session `id` for this tab; with '' the prefix of every tab's. */
  #unflushedKey(/** @type {string} */ id) {
    return 'confab:unflushed:' + encodeURIComponent(this.#name) + ':' + (id ? this.#tab + ':' + id : '');
  }

  /** Adds `ids` to the messages this tab has held of session `id` (the merge's `known`). */
  #remember(/** @type {string} */ id, /** @type {string[]} */ ids) {
    let known = this.#known.get(id);
    if (!known) this.#known.set(id, (known = new Set()));
    for (const i of ids) if (i) known.add(i);
  }

  /** Writes a session file: `bytes` as text, or as UTF-8 that the file then owns. */
  #write(/** @type {string} */ id, /** @type {string | Uint8Array} */ bytes) {
    const fs = this.#core.fs;
    const path = this.#path(id);
    try {
      fs.writeFile(path, typeof bytes === 'string' ? utf8.encode(bytes) : bytes, { canOwn: true });  // the file takes the array: no copy
    } catch (error) {
      console.warn('confab: could not write', id, error);
    }
  }

  #files() {
    try {
      return this.#core.fs.readdir(this.#dir)
        .filter((/** @type {string} */ f) => f.endsWith('.json'))
        .map((/** @type {string} */ f) => f.slice(0, -5));
    } catch {
      return [];
    }
  }

  #said = new Set();
  #damaged(/** @type {string} */ id, /** @type {string} */ why) {
    if (this.#said.has(id)) return;
    this.#said.add(id);
    this.#sink.notice('damaged', why);
  }

  /**
   * Another tab pushed sessions `data.changed`. It tells what the list shows of each file it
   * pushed (`data.entries`, with the file's time and size): taken while the file is that one, so
   * the list does not read it again. A list that checked another tab's 5.9 MB session after each
   * of its flushes spent 150-200 ms each time (its record of the file, #keepRecord, is not
   * written while a save is pending, so it lags while a reply streams). While the page is
   * hidden, what is told is listed as told and the files are pulled once it is shown (#told),
   * unless a session went (it has no entry): a deletion is taken at once, as the widget wants.
   */
  #heard(/** @type {any} */ data) {
    if (!data || data.from === this.#tab || !Array.isArray(data.changed)) return;
    const told = (/** @type {unknown} */ id) => typeof id === 'string' && !this.#pending.has(id) && data.entries?.[id] &&
      isRecord(data.entries[id], id) && data.entries[id].entry ? data.entries[id] : null;
    const entries = data.changed.map(told);
    data.changed.forEach((id, i) => entries[i] && this.#told.set(id, entries[i]));
    if (document.visibilityState === 'hidden' && entries.every(Boolean)) {
      this.#sink.changed(data.changed);
      return;
    }
    this.#pull(data.changed);
  }

  /** Pulls what other tabs pushed (listed as they told, #sync), and says sessions `ids` changed. */
  #pull(/** @type {string[]} */ ids) {
    this.refresh().then(() => this.#sink.changed(ids));
  }

  /**
   * Lists the sessions #told tells of as told, then forgets it: each whose file, just pulled, is
   * the one told of, or a later one: the other tab flushed again before this pull, and tells of
   * that push next. Until then the list shows what was told, and does not record it
   * (#keepRecord): checking the newer file instead, a whole parse, made a tab on a 5.9 MB
   * session spend 150-200 ms.
   */
  #listTold() {
    for (const [id, told] of this.#told) {
      const stat = !this.#pending.has(id) && this.#stat(id);
      if (!stat) continue;
      const exact = told.mtime === stat.mtime && told.size === stat.size;
      const version = this.#version(id) ?? {};
      // (A later file this list knows already, this tab's own push say, keeps its entry.)
      if (exact || (stat.mtime > told.mtime && this.#entries.get(id)?.version !== version)) {
        this.#entries.set(id, { version, error: '', entry: told.entry, exact });
      }
    }
    this.#told.clear();
  }

  /** Pending write `write` of session `id` is listed as `summary` says, without checking the file. */
  #listAs(/** @type {string} */ id, /** @type {Write} */ write, /** @type {import('./core.js').Summary} */ summary) {
    write.listed = entryOf(id, summary);
    this.#entries.set(id, { version: write, error: '', entry: write.listed });
  }

  #path(/** @type {string} */ id) { return this.#dir + '/' + id + '.json'; }

  #sync(/** @type {boolean} */ populate) {
    return new Promise((resolve, reject) => this.#core.fs.syncfs(populate, (/** @type {any} */ error) => {
      if (error) return reject(error);
      // The files now hold at least what was told before this pull (a tab tells after its push).
      if (populate) this.#listTold();
      resolve(undefined);
    }));
  }

  /** Runs `task` while no other tab of this site touches the store. */
  #locked(/** @type {() => Promise<void>} */ task) {
    return navigator.locks ? navigator.locks.request('confab:' + this.#name, task) : task();
  }
}
