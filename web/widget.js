// @ts-check
// The widget: the one module that knows the others. It opens the core (core.js) on a
// session from the store (store.js), reports what happens (the visitor's actions from
// view.js, responses from net.js, timers, host-page tools) as inputs, and carries out the
// effects the core answers with. The loader (confab.js) imports it on the visitor's first
// interaction, or when the page calls the API.
//
// Implements every effect of core/boundary.h: start_request, cancel_request (net.js),
// start_timer, cancel_timer, run_tool (here), save_session (store.js), show_message,
// show_delta, show_error, turn_finished (view.js, and the page's event listeners).

import { load as loadCore, wasmAllowed } from './core.js';
import { load as loadMarkdown } from './markdown.js';
import { Net, nextTask } from './net.js';
import { Store, sameContents } from './store.js';
import { View } from './view.js';
import { css } from './style.js';
import { strings } from './strings.js';

/**
 * @typedef {Record<string, any>} Settings  see docs/widget.md
 * @typedef {(event: string, detail: any) => void} Emit
 * @typedef {{ def: {name: string, description?: string, parameters?: any, strict?: boolean}, handler: (args: any) => any }} Tool
 */

const utf8 = new TextDecoder();

/** The core and the markdown renderer are shared by every widget on the page. */
let shared = /** @type {Promise<import('./core.js').Core> | null} */ (null);

/**
 * Builds a widget in `root` (the host element's shadow root) and opens the newest session.
 * @param {HTMLElement} host @param {ShadowRoot} root @param {Settings} settings @param {Emit} emit
 * @param {URL} base  the folder confab.js came from
 * @param {HTMLButtonElement | null} launcher  the floating widget's button; null for an inline one
 * @param {Tool[]} tools  registered before the widget loaded
 */
export async function mount(host, root, settings, emit, base, launcher, tools) {
  shared ??= wasmAllowed().then((wasm) => Promise.all([loadCore(base), loadMarkdown(base, wasm)])).then(([core]) => core);
  const widget = new Widget(host, root, settings, emit, launcher, await shared);
  for (const tool of tools) widget.seedTool(tool);
  await widget.start();
  // What the page asked for (open, usually) runs in a task of its own: drawing a long session's
  // newest page and laying it out as the panel shows made one task of 50-56 ms (2,000 messages).
  await nextTask();
  return widget;
}

class Widget {
  #host; #root; #emit; #launcher; #core; #t; #lang;
  /** @type {Settings} */ #settings;
  /** @type {Store} */ #store;
  #net;
  /** @type {View} */ #view;
  /** @type {Map<number, ReturnType<typeof setTimeout>>} */ #timers = new Map();
  /** @type {Map<string, Tool>} */ #tools = new Map();
  #id = '';
  #busy = false;
  #reopenAfterTurn = false;  // another tab changed the open session during a turn
  #reopenWhenShown = false;  // ... or while this page was hidden
  #reconfigureAfterTurn = false;  // settings or tools changed during a turn
  /** @type {Promise<unknown> | null} a session opening a step at a time (#reopenInSteps) */
  #opening = null;
  #priming = false;
  /** @type {Set<number>} assistant messages shown once (opened), whose next show_message finishes them */
  #opened = new Set();
  /**
   * The open session's file as this tab last wrote or opened it: its text (a save's is decoded
   * when read) and its UTF-8, where there is some.
   * @type {{ readonly bytes: string, readonly raw?: Uint8Array | null }}
   */
  #lastFile = { bytes: '' };
  #prefix = 'm' + random(4) + '-';
  #menuOpen = false;

  /**
   * @param {HTMLElement} host @param {ShadowRoot} root @param {Settings} settings @param {Emit} emit
   * @param {HTMLButtonElement | null} launcher @param {import('./core.js').Core} core
   */
  constructor(host, root, settings, emit, launcher, core) {
    this.#host = host;
    this.#root = root;
    this.#settings = settings;
    this.#emit = emit;
    this.#launcher = launcher;
    this.#core = core;
    ({ t: this.#t, lang: this.#lang } = strings(settings));
    this.#net = new Net({
      head: (id, status, type, retryAfter) =>
        this.#input({ type: 'http_head', request: id, status, content_type: type, retry_after: retryAfter }),
      body: (id, bytes) => this.#apply(this.#core.body(id, bytes)),
      end: (id) => this.#input({ type: 'http_end', request: id }),
      failed: (id, reason) => this.#input({ type: 'http_failed', request: id, reason }),
    });
  }

  async start() {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    this.#root.adoptedStyleSheets = [...this.#root.adoptedStyleSheets, sheet];
    const inline = !this.#launcher;
    this.#view = new View(this.#root, {
      title: String(this.#settings.title ?? this.#t('title')),
      placeholder: String(this.#settings.placeholder ?? this.#t('placeholder')),
      inline,
      t: this.#t,
      lang: this.#lang,
    }, {
      send: (text) => this.send(text),
      stop: () => this.stop(),
      retry: () => this.retry(),
      newChat: () => { this.newSession(); this.#view.focus(); },
      pick: (id) => this.openSession(id).then(() => this.#menu(false)),
      rename: (id, title) => this.renameSession(id, title),
      remove: (id) => this.deleteSession(id),
      exportOne: (id) => this.#download(id),
      importFile: (file) => file.text().then((text) => this.importSession(text)).catch((e) => this.#view.notice(String(e.message ?? e))),
      close: () => this.close(),
      menu: () => this.#menu(!this.#menuOpen),
      relist: () => this.#relist(),
    });
    this.#view.panel.hidden = !inline;
    // On a phone the panel fills the screen: the visual viewport, which leaves out the on-screen keyboard.
    const viewport = window.visualViewport;
    if (!inline && viewport) {
      const fit = () => {
        this.#host.style.setProperty('--confab-viewport-height', viewport.height + 'px');
        this.#host.style.setProperty('--confab-viewport-top', viewport.offsetTop + 'px');
      };
      viewport.addEventListener('resize', fit);
      viewport.addEventListener('scroll', fit);
      fit();
    }
    this.#view.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !inline) this.close();
    });
    for (const problem of this.#keyProblems()) this.#view.notice(problem);

    this.#store = new Store(this.#core, String(this.#settings.storage ?? 'confab'), {
      notice: (key, error) => this.#view.notice(this.#t(key, { error: error ?? '' })),
      changed: (ids) => this.#changed(ids),
      merged: (id, bytes) => { if (id === this.#id) this.#changed([id], bytes); },
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden' || !this.#reopenWhenShown) return;
      this.#reopenWhenShown = false;
      this.#changed([this.#id]);
    });
    await this.#store.open();
    await this.#openNewestInSteps();
  }

  // ---- the public API (the loader forwards the page's calls here) ----------------------

  open() {
    if (!this.#launcher) return;
    this.#view.panel.hidden = false;
    this.#view.shown();
    this.#launcher.setAttribute('aria-expanded', 'true');
    this.#view.focus();
  }

  close() {
    if (!this.#launcher) return;
    this.#view.panel.hidden = true;
    this.#launcher.setAttribute('aria-expanded', 'false');
    this.#launcher.focus();
  }

  send(/** @type {string} */ text) {
    if (this.#later(() => this.send(text))) return;  // the message goes to the session opening now
    this.#view.clearErrors();
    this.#input({ type: 'user_sent', text: String(text) });
  }

  stop() { this.#input({ type: 'user_stopped' }); }

  retry() {
    this.#view.clearErrors();
    const effects = this.#core.handle({ type: 'user_retried' });
    this.#view.reset(this.#source());
    this.#opened.clear();
    this.#apply(effects);
  }

  newSession() {
    if (this.#busy) this.stop();
    if (this.#source().count) this.#openNew();
    this.#relist();
    return this.#id;
  }

  sessions() {
    const list = this.#store.list();
    if (!list.some((s) => s.id === this.#id))
      list.unshift({ id: this.#id, title: this.#title(), created_ms: Date.now(), updated_ms: Date.now(), count: 0 });
    return list;
  }

  async openSession(/** @type {string} */ id) {
    if (id === this.#id) return;
    if (this.#busy) this.stop();
    await this.#store.refresh();
    if (!(await this.#openStoredInSteps(id))) throw new Error('There is no readable conversation ' + JSON.stringify(id) + '.');
    this.#relist();
  }

  renameSession(/** @type {string} */ id, /** @type {string} */ title) {
    if (this.#later(() => this.renameSession(id, title))) return;  // it may be the session opening now
    if (id === this.#id) {
      // The core renames the open session (a reply streaming or not) and saves it.
      this.#input({ type: 'user_renamed', title: String(title) });
      this.#relist();
      return;
    }
    // Another is renamed in its file, its messages unread (a whole load and save of 2,000
    // messages held the page for 0.46-0.72 s), and the list is told what it now shows. The
    // merge need not know its messages' ids: the file written holds every one of them.
    const raw = this.#store.readRaw(id);
    if (raw === null) throw new Error('There is no conversation ' + JSON.stringify(id) + '.');
    const result = this.#core.rewrite(raw, { title: String(title), now: Date.now() });
    if (!result.ok || !result.raw) {
      this.#view.notice(this.#t('renameFailed', { error: String(result.error) }));
      return;
    }
    this.#store.save(id, result.raw, { summary: result.summary, ids: [] });
    this.#relist();
  }

  deleteSession(/** @type {string} */ id) {
    const stored = this.#store.readRaw(id);
    const bytes = stored ?? (id === this.#id ? JSON.stringify(this.#core.session().session) : null);
    if (bytes === null) return;
    // What the list shows of it names it, and comes back with it: a 5.9 MB file was parsed for
    // its title, and loaded whole again when Undo brought it back (a task of 204-221 ms).
    const entry = this.#listed(id);
    const name = entry?.title || this.#t('untitled');
    if (id === this.#id && this.#busy) this.stop();
    this.#store.remove(id);
    if (id === this.#id) this.#openNewest();
    this.#relist();
    this.#view.notice(this.#t('deleted', { name }), {
      label: this.#t('undo'),
      run: () => {
        // The merge need not know its messages' ids: the file written back holds every one.
        this.#store.save(id, bytes, stored && entry ? { summary: entry, ids: [] } : {});
        this.#relist();
      },
    }, 15000);
  }

  /** The session file's bytes (the current session's newest state). */
  exportSession(/** @type {string=} */ id) {
    const bytes = this.#bytesOf(id ?? this.#id);
    if (bytes === null) throw new Error('There is no conversation ' + JSON.stringify(id) + '.');
    return bytes;
  }

  /** Stores a session file and opens it (in steps); resolves to its id (a new one if that id holds another session). */
  async importSession(/** @type {string} */ json) {
    const text = String(json);
    // Encoded once (40 ms for 5.9 MB), for the check, a new id and the file alike; and checked a
    // step at a time, as it opens (checked at once, that file was one task of 230 ms).
    let bytes = new TextEncoder().encode(text);
    await nextTask();
    const checked = await this.#core.checkInSteps(bytes, nextTask);
    if (!checked.ok || !checked.summary) throw new Error('This file is not a Confab conversation (' + checked.error + ').');
    let summary = checked.summary;
    let id = String(summary.id).replace(/[^A-Za-z0-9_.-]/g, '_');
    const existing = id ? this.#bytesOf(id) : null;
    if (!id || (existing !== null && existing !== text) || id !== summary.id) {
      if (!id || existing !== null) id = newId();
      // Its messages unread (a whole load and save of 5.9 MB was one task of 450 ms).
      const rewritten = this.#core.rewrite(bytes, { id });
      if (!rewritten.ok || !rewritten.raw || !rewritten.summary) throw new Error('This file could not be imported (' + rewritten.error + ').');
      bytes = rewritten.raw;
      summary = rewritten.summary;
    }
    if (this.#busy) this.stop();
    // What the list shows of it, and its messages' ids, are the check's: nothing reads it again.
    this.#store.save(id, bytes, { summary, ids: checked.ids });
    this.#store.flush();  // a whole conversation the visitor chose: to disk now, as a finished reply goes
    await this.#openStoredInSteps(id);
    this.#relist();
    return id;
  }

  /** Registers a host-page tool; the core checks its schema and every call's arguments. */
  tool(/** @type {Tool['def']} */ def, /** @type {Tool['handler']} */ handler) {
    if (this.#later(() => this.tool(def, handler))) return;
    this.#tools.set(String(def?.name), { def, handler });
    if (this.#id && !this.#busy) this.#reconfigure();
    else this.#reconfigureAfterTurn = true;
  }

  seedTool(/** @type {Tool} */ tool) { this.#tools.set(String(tool.def?.name), tool); }

  /** Changes settings (headers, model, ...) for the next request. */
  set(/** @type {Settings} */ changes) {
    if (this.#later(() => this.set(changes))) return;
    Object.assign(this.#settings, changes);
    if (this.#busy) this.#reconfigureAfterTurn = true;
    else this.#reconfigure();
  }

  /**
   * Opens the open session again with the current settings and tools, keeping what the log
   * shows: a step at a time from its stored UTF-8, as a long session must (at once, a setting
   * changed in a 2,000-message session held the page for 159-203 ms), or at once when it has
   * never been saved.
   */
  #reconfigure() {
    const stored = this.#store.readRaw(this.#id);
    if (stored === null) {
      this.#reopen(this.#currentBytes(), this.#id, false);
      return;
    }
    this.#reopenInSteps(stored, this.#id, false).catch((e) => console.error('confab: could not apply the settings', e));
  }

  get currentSession() { return this.#id; }
  get busy() { return this.#busy; }

  // ---- the core's effects ----------------------------------------------------------------

  #input(/** @type {Record<string, any>} */ input) {
    this.#apply(this.#core.handle(input));
  }

  #apply(/** @type {Array<Record<string, any>>} */ effects) {
    for (const effect of effects) {
      switch (effect.type) {
        case 'start_request':
          this.#setBusy(true);
          this.#net.start(effect.id, effect.url, effect.headers, effect.body);
          break;
        case 'cancel_request': this.#net.cancel(effect.id); break;
        case 'start_timer':
          this.#timers.set(effect.id, setTimeout(() => {
            this.#timers.delete(effect.id);
            this.#input({ type: 'timer_fired', timer: effect.id });
          }, effect.delay_ms));
          break;
        case 'cancel_timer':
          clearTimeout(this.#timers.get(effect.id));
          this.#timers.delete(effect.id);
          break;
        case 'run_tool': this.#runTool(effect); break;
        case 'save_session':
          this.#lastFile = effect;
          this.#store.save(effect.key, effect.raw, { summary: effect.summary, ids: effect.ids });
          break;
        case 'show_message': this.#showMessage(effect.index, effect.message); break;
        case 'show_delta':
          this.#view.delta(effect.index, effect.delta);
          this.#emit('delta', { index: effect.index, ...effect.delta });
          break;
        case 'show_error':
          this.#view.error(effect.text, effect.can_retry);
          this.#emit('error', { text: effect.text, canRetry: effect.can_retry });
          break;
        case 'turn_finished': this.#turnFinished(effect); break;
      }
    }
  }

  #showMessage(/** @type {number} */ index, /** @type {Record<string, any>} */ message) {
    const opening = message.role === 'assistant' && !this.#opened.has(index);
    this.#view.message(index, message, opening);
    if (opening) {
      this.#opened.add(index);  // opened: it streams now, and its next show_message finishes it
      return;
    }
    this.#emit('message', message);
  }

  #turnFinished(/** @type {Record<string, any>} */ effect) {
    this.#store.flush();  // a finished reply goes to disk now, not after the debounce
    this.#opened.clear();
    this.#setBusy(false);
    const p = this.#settings;
    const priced = [p.priceInput, p.priceOutput, p.priceRequest].some((v) => Number(v) > 0);
    this.#view.finished(effect, priced);
    this.#emit('turn_end', { status: effect.status, reason: effect.reason, cost: effect.cost, tokens: effect.tokens,
      sessionCost: effect.session_cost });
    this.#relist();
    const reconfigure = this.#reconfigureAfterTurn;
    this.#reconfigureAfterTurn = false;
    if (this.#reopenAfterTurn) {
      this.#reopenAfterTurn = false;
      this.#changed([this.#id]);
    }
    // Unless the session opens again for another tab's change (with them), the settings and
    // tools changed meanwhile apply now. (They used to wait for such a change: a model chosen
    // while a reply streamed was not used.)
    if (reconfigure && !this.#opening) this.#reconfigure();
  }

  async #runTool(/** @type {Record<string, any>} */ call) {
    this.#emit('tool_call', { id: call.call_id, name: call.name, arguments: call.arguments });
    const tool = this.#tools.get(call.name);
    let ok = true;
    let result = '';
    try {
      if (!tool) throw new Error('this page has no handler for it');
      const value = await tool.handler(call.arguments);
      result = typeof value === 'string' ? value : JSON.stringify(value ?? null);
    } catch (error) {
      ok = false;
      result = error instanceof Error ? error.message : String(error);
    }
    this.#input({ type: 'tool_finished', call_id: call.call_id, ok, result });
  }

  #setBusy(/** @type {boolean} */ on) {
    this.#busy = on;
    this.#view.busy(on);
  }

  // ---- sessions ---------------------------------------------------------------------------

  /** Opens a stored session; false (with a notice) when its file cannot be read. */
  #openStored(/** @type {string} */ id) {
    const bytes = this.#store.read(id);
    if (bytes === null) return false;
    return this.#reopen(bytes, id);
  }

  #openNew() {
    this.#reopen(null, newId());
  }

  /** Opens the newest stored session, or a new one when none opens. */
  #openNewest() {
    const newest = this.#store.list()[0];
    if (!newest || !this.#openStored(newest.id)) this.#openNew();
  }

  /** As #openNewest, reading the file a step at a time (#reopenInSteps). */
  async #openNewestInSteps() {
    const newest = this.#store.list()[0];
    if (!newest || !(await this.#openStoredInSteps(newest.id))) this.#openNew();
  }

  /** As #openStored, reading the file a step at a time (#reopenInSteps). */
  async #openStoredInSteps(/** @type {string} */ id) {
    const raw = this.#store.readRaw(id);
    return raw !== null && this.#reopenInSteps(raw, id);
  }

  /**
   * Opens the core on `bytes` (null: a new session) with the current settings and tools;
   * `render` false keeps what the log shows (the same session, other settings).
   */
  #reopen(/** @type {string | null} */ bytes, id = this.#id, render = true) {
    this.#cancelAll();
    return this.#took(this.#core.open(this.#openRequest(bytes, id)), bytes, id, render);
  }

  /**
   * Opens session `id` from `bytes` (its file as text, or as the UTF-8 it holds) as #reopen
   * does, reading it a step at a time with a task between steps (Core.openInSteps), so a long
   * session does not freeze the page. Whatever else opens a session meanwhile wins; this one
   * then leaves everything as it is.
   */
  async #reopenInSteps(/** @type {string | Uint8Array} */ bytes, /** @type {string} */ id, render = true) {
    this.#cancelAll();
    const opening = this.#core.openInSteps(this.#openRequest(bytes, id), nextTask);
    this.#opening = opening;
    const result = await opening;
    if (this.#opening === opening) this.#opening = null;
    if (result.superseded) return true;
    return this.#took(result, bytes, id, render);
  }

  /**
   * While a session opens a step at a time, runs `then` once it is open (true): what it does
   * is meant for that session, and opening another meanwhile would cut it short.
   */
  #later(/** @type {() => void} */ then) {
    if (!this.#opening) return false;
    this.#opening.then(then);
    return true;
  }

  /** What the core opens a session with: its file (text or UTF-8), and this widget's settings and tools. */
  #openRequest(/** @type {string | Uint8Array | null} */ bytes, /** @type {string} */ id) {
    const s = this.#settings;
    const number = (/** @type {any} */ v) => (v === undefined || v === null || v === '' ? undefined : Number(v));
    const integer = (/** @type {any} */ v) => { const n = number(v); return n === undefined ? undefined : Math.round(n); };
    return {
      bytes,
      id,
      created_ms: Date.now(),
      settings: clean({
        endpoint: chatUrl(String(s.endpoint ?? '/v1'), s.base),
        model: String(s.model ?? ''),
        system_prompt: s.systemPrompt === undefined ? undefined : String(s.systemPrompt),
        temperature: number(s.temperature),
        max_tokens: integer(s.maxTokens),
        context_window: integer(s.contextWindow),
      }),
      config: clean({
        session_key: id,
        message_id_prefix: this.#prefix,
        seed: Math.floor(Math.random() * 2 ** 32),
        headers: this.#headers(id),
        tool_timeout_ms: integer(s.toolTimeoutMs),
        first_byte_timeout_ms: integer(s.firstByteTimeoutMs),
        idle_timeout_ms: integer(s.idleTimeoutMs),
        max_attempts: integer(s.maxAttempts),
        max_tool_rounds: integer(s.maxToolRounds),
        session_cap_usd: number(s.sessionCap),
        pricing: {
          input_per_million: number(s.priceInput) ?? 0,
          output_per_million: number(s.priceOutput) ?? 0,
          per_request: number(s.priceRequest) ?? 0,
          per_request_billing: Number(s.priceRequest) > 0,
        },
      }),
      tools: [...this.#tools.values()].map((t) => t.def),
    };
  }

  /** Takes an open's answer (see #reopen); false, with a notice, when the file could not be read. */
  #took(/** @type {import('./core.js').Opened} */ result, /** @type {string | Uint8Array | null} */ bytes, /** @type {string} */ id, render = true) {
    if (!result.ok) {
      this.#view.notice(this.#t('damaged', { error: String(result.error) }));
      return false;
    }
    for (const problem of result.problems ?? []) console.error('confab: tool refused:', problem);
    this.#id = result.id || id;
    // A file opened from its UTF-8 is decoded only if its text is asked for (another tab's
    // change compared with it): 6-7 ms for a 5.9 MB session, in the task that shows it.
    const raw = bytes instanceof Uint8Array ? bytes : null;
    let text = raw ? undefined : bytes ?? '';
    this.#lastFile = { raw, get bytes() { return text ??= utf8.decode(/** @type {Uint8Array} */ (raw)); } };
    if (bytes !== null) this.#store.opened(this.#id, result.ids ?? [], bytes);
    this.#busy = false;
    this.#view.busy(false);
    this.#opened.clear();
    if (render) this.#view.reset(this.#source());
    this.#primeSoon();
    return true;
  }

  /** The open session's messages, as the view draws them: how many, and those of a range. */
  #source() {
    return { count: this.#core.messages(0, 0).count, get: (/** @type {number} */ from, /** @type {number} */ to) => this.#core.messages(from, to).messages };
  }

  /**
   * Has the core write the open session's file ahead of its first save, a step at a time while
   * the page is idle (Core.prime): after opening a long session, that first save wrote all of it.
   */
  #primeSoon() {
    if (this.#priming) return;  // the steps under way go on to the session open now
    this.#priming = true;
    const idle = globalThis.requestIdleCallback ?? ((/** @type {() => void} */ f) => setTimeout(f, 50));
    const step = () => {
      if (this.#core.prime()) this.#priming = false;
      else idle(step);
    };
    idle(step);
  }

  /** Another tab changed sessions: refresh the list, and the open session when idle. */
  #changed(/** @type {string[]} */ ids, /** @type {Uint8Array=} */ merged) {
    if (this.#later(() => this.#changed(ids, merged))) return;
    this.#relist();
    if (!ids.includes(this.#id)) return;
    if (this.#busy) {
      this.#reopenAfterTurn = true;
      return;
    }
    // A hidden page shows another tab's copy once it is shown again: opening it is a step-wise
    // parse of the whole file (a 5.9 MB session, at every flush of a tab streaming a reply into
    // it, once a second: about 1 s of CPU over a 6 s reply, for nobody to see). The list is up
    // to date meanwhile. A copy this tab's own flush merged is opened at once (until then the
    // store merges every save with it), and so is a deletion (a save from here would undo it).
    if (!merged && document.visibilityState === 'hidden' && this.#store.list().some((s) => s.id === this.#id)) {
      this.#reopenWhenShown = true;
      return;
    }
    // As UTF-8: the core opens it as it is (a 5.9 MB session decoded and encoded again cost
    // 20-30 ms in the task that began opening it, at every flush of a tab streaming a reply).
    const bytes = merged ?? this.#store.readRaw(this.#id);
    if (bytes === null) {
      // Deleted in another tab while open here: it goes here too, or the next save from here
      // would bring it back. (A reply that was streaming here meanwhile saves it again: new
      // words are kept over a deletion made before them.)
      if (this.#lastFile.bytes) this.#deletedElsewhere();
      return;
    }
    const last = this.#lastFile;
    if (merged || !(last.raw ? sameContents(bytes, last.raw) : utf8.decode(bytes) === last.bytes)) this.#reopenInSteps(bytes, this.#id).catch((e) => console.error('confab: could not open the session again', e));
  }

  #deletedElsewhere() {
    const name = this.#nameIn(this.#lastFile.bytes);
    this.#openNewest();
    this.#relist();
    this.#view.notice(this.#t('deletedElsewhere', { name }));
  }

  #cancelAll() {
    this.#net.cancelAll();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #title() { return String(this.#core.session()?.session?.title ?? ''); }

  /** The title a session file gives, as a notice names it. */
  #nameIn(/** @type {string} */ bytes) {
    try { return JSON.parse(bytes).title || this.#t('untitled'); } catch { return this.#t('untitled'); }
  }

  #currentBytes() {
    return this.#store.read(this.#id) ?? (this.#source().count ? JSON.stringify(this.#core.session().session) : null);
  }

  #bytesOf(/** @type {string} */ id) {
    if (id === this.#id) return this.#currentBytes() ?? JSON.stringify(this.#core.session().session);
    return this.#store.read(id);
  }

  /** What the list shows of session `id`. */
  #listed(/** @type {string} */ id) { return this.sessions().find((s) => s.id === id); }

  #relist() {
    if (!this.#view) return;
    this.#view.sessions(this.sessions(), this.#id);
  }

  #menu(/** @type {boolean} */ open) {
    this.#menuOpen = open;
    if (open) this.#relist();
    this.#view.toggleMenu(open);
  }

  #download(/** @type {string} */ id) {
    const bytes = this.exportSession(id);
    const title = this.#listed(id)?.title || 'conversation';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/json' }));
    a.download = title.replace(/[^\p{L}\p{N} _-]+/gu, '').trim().slice(0, 60) + '.json';
    this.#root.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  // ---- settings ---------------------------------------------------------------------------

  /** The request headers: the page's own, the session id for the relay, and a key where allowed. */
  #headers(/** @type {string} */ id) {
    const s = this.#settings;
    /** @type {Array<[string, string]>} */
    const headers = [];
    let extra = s.headers ?? {};
    if (typeof extra === 'string') {
      try { extra = JSON.parse(extra); } catch { extra = {}; }
    }
    for (const [name, value] of Object.entries(extra)) headers.push([String(name), String(value)]);
    headers.push(['X-Confab-Session', id]);
    if (s.apiKey && this.#keyAllowed()) headers.push(['Authorization', 'Bearer ' + s.apiKey]);
    return headers;
  }

  #keyAllowed() {
    const s = this.#settings;
    const optIn = s.dangerouslyAllowApiKeyInBrowser === true || s.dangerouslyAllowApiKeyInBrowser === 'true';
    return optIn || isLoopback(chatUrl(String(s.endpoint ?? '/v1'), s.base));
  }

  #keyProblems() {
    if (!this.#settings.apiKey) return [];
    if (this.#keyAllowed()) {
      console.warn('confab: an API key is set in the page. Anyone who opens this page can read it; use it for local ' +
        'development only, and keep keys in `confab serve` for a real site.');
      return [];
    }
    console.error('confab: apiKey refused: the endpoint is not on this computer (loopback). Keep the key in ' +
      '`confab serve`, or set dangerouslyAllowApiKeyInBrowser: true if you really mean to publish it.');
    return [this.#t('keyRefused')];
  }
}

/** The chat-completions URL: a base (…/v1) gets /chat/completions; relative URLs resolve against the script. */
function chatUrl(/** @type {string} */ endpoint, /** @type {any} */ base) {
  const url = new URL(endpoint, base ?? location.href);
  if (!url.pathname.endsWith('/chat/completions')) url.pathname = url.pathname.replace(/\/+$/, '') + '/chat/completions';
  return url.href;
}

function isLoopback(/** @type {string} */ url) {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

function newId() { return 's' + Date.now().toString(36) + random(4); }

function random(/** @type {number} */ n) {
  return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => (b % 36).toString(36)).join('');
}

/** The object without its undefined members (JSON would drop them anyway; this keeps intent visible). */
function clean(/** @type {Record<string, any>} */ o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
