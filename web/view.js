// @ts-check
// The panel: header (title, conversations menu, new chat, close), notices, the message log,
// and the composer. It shows what the core says (show_message, show_delta, show_error,
// turn_finished) and reports what the visitor does through `intents`; it decides nothing
// about the conversation. Every element is built with createElement and text nodes; model
// output goes through markdown.js.
//
// Streaming: deltas update the open message's text at once and its drawing at an animation
// frame, so a burst of deltas costs one drawing (and markdown.js parses only the block still
// open, appending to the text already shown). While a reply streams it is drawn at most once
// every STREAM_GAP ms: its first words at once, then what arrived in each gap, and the finished
// reply at once; unless STREAM_BACKLOG characters wait, as when a reply arrives all at once,
// so that no one drawing lays out a quarter of a long answer. bench/render.mjs (4,000 tokens
// at 620-700 a second, about 60 drawings, headless Chromium on 2 cores at load 2-5) measured
// 0.34-0.50 s of rendering in all (0.60 s once, at load 5), 4.7-6.6 ms a drawing (median).
// Any drawing costs this browser 1.5-1.9 ms (the bench's floor: one word into an empty
// scroller, 100-140 ms for as many drawings); the rest is laying out and painting what each
// drawing adds, layout and paint that grow with the reply's blocks, and the parse and patch
// (about 1 ms, mostly before the JIT warms up). Reading scrollHeight to follow the bottom
// forces the frame's layout early but adds none. Earlier code, drawn every
// frame: 1.4-1.8 s; every 200 ms, 0.20-0.33 s; every 300 ms, 0.21-0.23 s. 100 ms keeps most of
// the gain while the text still moves ten times a second, as fast reading goes; at 200 ms it
// comes in visible bursts of several words.
//
// The log follows a streaming reply only while the reader is at its bottom; a reader who
// scrolled up stays where they are and gets a "Jump to latest" button. A long session draws
// its newest page of messages, and older pages as the reader scrolls up. A page is at most PAGE
// messages and PAGE_CHARS characters of text (at least one message): 40 long answers took
// 230-300 ms to draw and as long again to lay out, at open and at every page while scrolling
// up (bench: 2,000 stored messages of 3 KB).

import { render, setText } from './markdown.js';

/** @typedef {import('./strings.js').Text} Text */

/**
 * @typedef {{
 *   send: (text: string) => void, stop: () => void, retry: () => void, newChat: () => void,
 *   pick: (id: string) => void, rename: (id: string, title: string) => void, remove: (id: string) => void,
 *   exportOne: (id: string) => void, importFile: (file: File) => void, close: () => void,
 *   menu: () => void, relist: () => void,
 * }} Intents
 * @typedef {{ role: string, content?: string, reasoning?: string, refusal?: string, tool_calls?: any[],
 *   tool_call_id?: string, name?: string, created_ms?: number, incomplete?: boolean, incomplete_reason?: string,
 *   usage?: any, id?: string }} Message
 * @typedef {{ count: number, get: (from: number, to: number) => Message[] }} Messages  a session's messages: how
 *   many, and those of a range [from, to)
 * @typedef {{ message: Message, root: HTMLElement, body: HTMLElement, thinking: HTMLDetailsElement,
 *   reasoning: HTMLElement, calls: HTMLElement, footer: HTMLElement, rendered: any, dirty: boolean, streaming: boolean,
 *   drawnAt: number }} Shown
 */

const PAGE = 40;        // messages drawn at a time when a session opens or the reader scrolls up,
const PAGE_CHARS = 6000;  // or fewer, once their text is this long
const AT_BOTTOM = 48;  // px: this close to the bottom counts as reading the newest message
const STREAM_GAP = 100;  // ms: the least time between two drawings of a reply while it streams (see the top)
// Characters of a streaming reply not yet drawn that make the next frame draw them, gap or not:
// a reply that arrives all at once is drawn in pieces this size, not a quarter of it at a time.
const STREAM_BACKLOG = 2000;

// A message's time and a turn's token count are formatted by one Intl formatter each, made once:
// toLocaleTimeString with options makes a new one at every call (0.2 ms in Chromium), and the
// first Intl formatter of a page loads the locale data (45-110 ms). The View makes them when the
// browser is idle after it opens, so that wait does not land in the task that draws a message.
const TIME = /** @type {const} */ ({ hour: '2-digit', minute: '2-digit' });

/**
 * Where the page of messages that ends before `to` begins: at most PAGE messages, and no more
 * once their text reaches PAGE_CHARS (one message at least).
 */
function pageStart(/** @type {Message[]} */ messages, /** @type {number} */ to) {
  let from = to;
  let chars = 0;
  while (from > 0 && to - from < PAGE && (from === to || chars < PAGE_CHARS)) {
    const m = messages[--from];
    chars += (m.content?.length ?? 0) + (m.reasoning?.length ?? 0);
  }
  return from;
}

export class View {
  #root; #intents; #inline; #t; #lang;
  /** @type {{ time: Intl.DateTimeFormat, number: Intl.NumberFormat } | null} */
  #formats = null;
  /** @type {Map<number, Shown>} */
  #shown = new Map();
  /** @type {Set<number>} */
  #dirty = new Set();
  /** @type {Map<string, string>} tool call id -> its result, for call lines drawn later */
  #results = new Map();
  #frame = 0;
  #timer = 0;  // a drawing of a streaming reply, waiting for STREAM_GAP to pass
  /** @type {Messages} the session reset() was given, for drawing older messages on demand */
  #source = { count: 0, get: () => [] };
  #older = 0;  // messages before this index are not drawn yet
  /** @type {HTMLElement | null} */ #sentinel = null;
  /** @type {IntersectionObserver | null} */ #observer = null;
  #following = true;   // the reader is at the bottom: new content scrolls into view
  #followedTo = -1;    // the scrollTop the log last set itself
  jump;
  panel; log; announcer; input; send; stop; notices; sessionsBox; sessionsList; menuButton; title; fileInput;

  /**
   * @param {ShadowRoot} root @param {{ title: string, placeholder: string, inline: boolean, t: Text, lang: string }} text
   * @param {Intents} intents
   */
  constructor(root, text, intents) {
    this.#root = root;
    this.#intents = intents;
    this.#inline = text.inline;
    const t = (this.#t = text.t);
    this.#lang = text.lang;
    const idle = globalThis.requestIdleCallback ?? ((/** @type {() => void} */ f) => setTimeout(f, 200));
    idle(() => this.#format());

    this.panel = el('div', 'panel');
    this.panel.setAttribute('role', text.inline ? 'region' : 'dialog');
    if (!text.inline) this.panel.setAttribute('aria-modal', 'false');  // the page stays usable beside it
    this.panel.setAttribute('aria-label', text.title);
    this.panel.id = 'confab-panel';
    this.panel.setAttribute('part', 'panel');
    this.panel.lang = text.lang;

    const header = el('header');
    header.setAttribute('part', 'header');
    this.title = el('h2');
    this.title.textContent = text.title;
    this.menuButton = button('\u2630', t('conversations'), () => intents.menu());
    this.menuButton.setAttribute('aria-expanded', 'false');
    this.menuButton.setAttribute('aria-controls', 'confab-sessions');
    header.append(this.title, this.menuButton, button('+', t('newChat'), () => intents.newChat()));
    if (!text.inline) header.append(button('\u00d7', t('close'), () => intents.close()));

    this.notices = el('div', 'notices');
    this.notices.setAttribute('role', 'status');

    this.sessionsBox = el('div', 'sessions');
    this.sessionsBox.id = 'confab-sessions';
    this.sessionsBox.hidden = true;
    this.sessionsList = el('ul');
    this.sessionsList.setAttribute('aria-label', t('conversations'));
    this.fileInput = /** @type {HTMLInputElement} */ (el('input'));
    this.fileInput.type = 'file';
    this.fileInput.accept = '.json,application/json';
    this.fileInput.hidden = true;
    this.fileInput.addEventListener('change', () => {
      const file = this.fileInput.files?.[0];
      if (file) intents.importFile(file);
      this.fileInput.value = '';
    });
    this.sessionsBox.append(this.sessionsList, button(t('import'), t('importName'),
      () => this.fileInput.click()), this.fileInput);

    // The log is not live (a streaming reply would be read out token by token); a finished
    // reply is put in `announcer`, a polite live region, once (finished()).
    this.log = el('div', 'log');
    this.log.setAttribute('role', 'log');
    this.log.setAttribute('aria-live', 'off');
    this.log.tabIndex = 0;
    this.log.setAttribute('aria-label', t('messages'));
    this.log.setAttribute('part', 'log');

    const form = /** @type {HTMLFormElement} */ (el('form', 'compose'));
    form.setAttribute('part', 'composer');
    this.input = /** @type {HTMLTextAreaElement} */ (el('textarea'));
    this.input.rows = 1;
    this.input.placeholder = text.placeholder;
    this.input.setAttribute('aria-label', t('message'));
    this.input.setAttribute('part', 'input');
    this.input.addEventListener('input', () => this.#grow());
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    this.send = button(t('send'), t('sendName'), () => {});
    this.send.setAttribute('part', 'send');
    this.send.type = 'submit';
    this.send.className = 'send';
    this.stop = button(t('stop'), t('stopName'), () => intents.stop());
    this.stop.setAttribute('part', 'stop');
    this.stop.hidden = true;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = this.input.value;
      if (!value.trim()) return;
      this.input.value = '';
      this.#grow();
      intents.send(value);
    });
    form.append(this.input, this.send, this.stop);

    this.jump = button(t('jump'), t('jump'), () => this.#toBottom());
    this.jump.setAttribute('part', 'jump');
    this.jump.className = 'jump';
    this.jump.hidden = true;
    // Whether the log follows new content is decided by the reader's own scrolling only: a scroll
    // that the log did itself (to follow) leaves it as it was, even if content grew meanwhile.
    this.log.addEventListener('scroll', () => {
      if (Math.abs(this.log.scrollTop - this.#followedTo) < 2) return;
      this.#following = this.#atBottom();
      if (this.#following) this.jump.hidden = true;
    }, { passive: true });

    this.announcer = el('div', 'announce');
    this.announcer.setAttribute('aria-live', 'polite');
    this.announcer.setAttribute('aria-atomic', 'true');

    this.panel.append(header, this.notices, this.sessionsBox, this.log, this.jump, form, this.announcer);
    root.append(this.panel);
  }

  /**
   * Shows a whole session (opening one, switching, after a retry): its newest page of
   * messages. `source` gives the rest when the reader scrolls up: a long session's messages are
   * not all taken out of the core at once.
   */
  reset(/** @type {Messages} */ source) {
    this.#shown.clear();
    this.#dirty.clear();
    this.#results.clear();
    this.#observer?.disconnect();
    this.#sentinel = null;
    this.log.replaceChildren();
    this.jump.hidden = true;
    this.#source = source;
    const page = this.#page(source.count);
    this.#older = page.from;
    page.messages.forEach((m, k) => this.message(page.from + k, m));
    if (this.#older > 0) this.#watchOlder();
    if (!source.count) this.#empty();
    this.#following = true;
    this.#flush();
  }

  /**
   * show_message: message `index` appeared or changed; `streaming` while a reply is still
   * arriving (its markdown is drawn block by block, and checked whole once it ends).
   */
  message(/** @type {number} */ index, /** @type {Message} */ message, streaming = false) {
    this.log.querySelector('.empty')?.remove();
    if (message.role === 'tool') return this.#toolResult(message);
    if (message.role === 'system' || index < this.#older) return;
    let shown = this.#shown.get(index);
    if (!shown) {
      shown = this.#create(message);
      this.#shown.set(index, shown);
      this.log.append(shown.root);
    }
    shown.message = { ...message };
    shown.streaming = streaming;
    this.#mark(index);
  }

  /**
   * The page of messages that ends before `to` (see pageStart), taken from the source, and
   * where it begins. The tool results among them are noted for the call lines that show them:
   * a result comes after its call, so a call's result is on its page or on one drawn before.
   */
  #page(/** @type {number} */ to) {
    const base = Math.max(0, to - PAGE);
    const fetched = this.#source.get(base, to);
    for (const m of fetched) if (m.role === 'tool') this.#results.set(String(m.tool_call_id ?? ''), m.content ?? '');
    const start = pageStart(fetched, fetched.length);
    return { from: base + start, messages: fetched.slice(start) };
  }

  /** A line at the top of the log that draws the previous page of messages when it scrolls into view. */
  #watchOlder() {
    this.#sentinel = el('div', 'older');
    this.#sentinel.setAttribute('aria-hidden', 'true');
    this.log.prepend(this.#sentinel);
    this.#observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) this.#drawOlder();
    }, { root: this.log, rootMargin: '600px 0px 0px 0px' });
    this.#observer.observe(this.#sentinel);
  }

  #drawOlder() {
    const sentinel = this.#sentinel;
    if (!sentinel) return;
    const to = this.#older;
    const { from, messages } = this.#page(to);
    // What the reader sees stays put: the message below the new ones is kept where it was on
    // screen, whether or not the browser's own scroll anchoring moved the log already.
    const anchor = /** @type {HTMLElement | null} */ (sentinel.nextElementSibling);
    const top = anchor?.getBoundingClientRect().top ?? 0;
    const nodes = [];
    for (let i = from; i < to; i++) {
      const m = messages[i - from];
      if (m.role === 'tool' || m.role === 'system') continue;
      const shown = this.#create(m);
      shown.message = { ...m };
      this.#shown.set(i, shown);
      this.#paint(shown);
      nodes.push(shown.root);
    }
    sentinel.after(...nodes);
    this.#older = from;
    if (anchor) this.log.scrollTop += anchor.getBoundingClientRect().top - top;
    this.#followedTo = this.log.scrollTop;
    if (from === 0) {
      this.#observer?.disconnect();
      sentinel.remove();
      this.#sentinel = null;
    }
  }

  /** show_delta: message `index` grew. */
  delta(/** @type {number} */ index, /** @type {{kind: string, text: string}} */ delta) {
    const shown = this.#shown.get(index);
    if (!shown) return;
    const m = shown.message;
    if (delta.kind === 'content') m.content = (m.content ?? '') + delta.text;
    else if (delta.kind === 'reasoning') m.reasoning = (m.reasoning ?? '') + delta.text;
    else if (delta.kind === 'refusal') m.refusal = (m.refusal ?? '') + delta.text;
    else return;
    this.#mark(index);
  }

  /** show_error: a line in the log, with a retry button when the core says one would help. */
  error(/** @type {string} */ text, /** @type {boolean} */ canRetry) {
    const row = el('div', 'error');
    row.setAttribute('role', 'alert');
    const p = el('p');
    p.textContent = text;
    row.append(p);
    if (canRetry) row.append(button(this.#t('retry'), this.#t('retryName'), () => this.#intents.retry()));
    this.log.append(row);
    this.#scroll();
  }

  clearErrors() {
    for (const row of this.log.querySelectorAll('.error')) row.remove();
  }

  /** turn_finished: what the turn cost, under the last reply. */
  finished(/** @type {Record<string, any>} */ effect, /** @type {boolean} */ priced) {
    this.#flush(true);
    const last = [...this.#shown.values()].reverse().find((s) => s.message.role === 'assistant');
    if (!last) return;
    this.#announce(last.body.textContent ?? '');
    const t = effect.tokens ?? {};
    const total = (t.input ?? 0) + (t.output ?? 0);
    if (!total) return;
    let text = (t.estimated ? '\u2248' : '') + this.#t('tokens', { n: this.#format().number.format(total) });
    if (priced) text += ' \u00b7 $' + Number(effect.cost?.charged ?? 0).toFixed(4);
    let span = last.footer.querySelector('.usage');
    if (!span) last.footer.append((span = el('span', 'usage')));
    span.textContent = text;
  }

  busy(/** @type {boolean} */ on) {
    if (!on) {
      for (const [index, shown] of this.#shown) if (shown.streaming) { shown.streaming = false; this.#mark(index); }
    }
    this.send.hidden = on;
    this.stop.hidden = !on;
    this.log.setAttribute('aria-busy', String(on));
    if (!on && this.#root.activeElement === this.stop) this.input.focus();
  }

  /**
   * A plain-language notice above the log, with an optional action button.
   * @param {string} text @param {{label: string, run: () => void}=} action @param {number=} ms
   */
  notice(text, action, ms) {
    const row = el('div', 'notice');
    const p = el('p');
    p.textContent = text;
    row.append(p);
    if (action) row.append(button(action.label, action.label, () => { row.remove(); action.run(); }));
    row.append(button('\u00d7', this.#t('dismiss'), () => row.remove()));
    this.notices.append(row);
    if (ms) setTimeout(() => row.remove(), ms);
    return row;
  }

  /**
   * The conversations menu.
   * @param {Array<{id: string, title: string, updated_ms: number}>} list @param {string} current
   */
  sessions(list, current) {
    const items = list.map((entry) => {
      const li = el('li');
      li.dataset.id = entry.id;
      li.setAttribute('aria-current', String(entry.id === current));
      const t = this.#t;
      const name = entry.title || t('untitled');
      const pick = button(name, t('open', { name }), () => this.#intents.pick(entry.id));
      pick.className = 'pick';
      li.append(pick,
        button(t('rename'), t('renameName', { name }), () => this.#renaming(li, entry.id, name)),
        button(t('export'), t('exportName', { name }), () => this.#intents.exportOne(entry.id)),
        button(t('delete'), t('deleteName', { name }), () => this.#intents.remove(entry.id)));
      return li;
    });
    this.sessionsList.replaceChildren(...items);
  }

  toggleMenu(/** @type {boolean} */ open) {
    this.sessionsBox.hidden = !open;
    this.menuButton.setAttribute('aria-expanded', String(open));
  }

  #renaming(/** @type {HTMLElement} */ li, /** @type {string} */ id, /** @type {string} */ name) {
    const input = /** @type {HTMLInputElement} */ (el('input'));
    input.value = name;
    input.setAttribute('aria-label', this.#t('newName', { name }));
    const done = (/** @type {boolean} */ save) => {
      if (save && input.value.trim()) this.#intents.rename(id, input.value.trim());
      else this.#intents.relist();
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') done(true);
      if (event.key === 'Escape') { event.stopPropagation(); done(false); }
    });
    li.replaceChildren(input, button(this.#t('save'), this.#t('saveName'), () => done(true)));
    input.focus();
    input.select();
  }

  #create(/** @type {Message} */ message) {
    const root = el('article', 'msg ' + message.role);
    root.setAttribute('part', 'message ' + message.role);
    const thinking = /** @type {HTMLDetailsElement} */ (el('details', 'thinking'));
    const summary = el('summary');
    summary.textContent = this.#t('thinking');
    const reasoning = el('div', 'reasoning');
    thinking.append(summary, reasoning);
    thinking.hidden = true;
    const body = el('div', 'body');
    body.dir = 'auto';  // each text reads in its own direction (an Arabic question, an English answer)
    reasoning.dir = 'auto';
    const calls = el('div', 'calls');
    const footer = el('footer');
    const time = el('time');
    if (message.created_ms) {
      const when = new Date(message.created_ms);
      time.setAttribute('datetime', when.toISOString());
      time.textContent = this.#format().time.format(when);
    }
    footer.append(time);
    root.append(thinking, body, calls, footer);
    return { message, root, body, thinking, reasoning, calls, footer, rendered: null, dirty: true, streaming: false, drawnAt: -Infinity };
  }

  /**
   * Draws message `index` at the next animation frame; a streaming reply drawn less than
   * STREAM_GAP ago waits for the first frame after that.
   */
  #mark(/** @type {number} */ index) {
    this.#dirty.add(index);
    if (this.#frame) return;
    const shown = this.#shown.get(index);
    const backlog = shown ? (shown.message.content?.length ?? 0) - (shown.rendered?.text.length ?? 0) : 0;
    const wait = shown?.streaming && backlog < STREAM_BACKLOG ? shown.drawnAt + STREAM_GAP - performance.now() : 0;
    if (wait > 0) {
      this.#timer ||= setTimeout(() => {
        this.#timer = 0;
        this.#frame ||= requestAnimationFrame(() => this.#flush());
      }, wait);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#frame = requestAnimationFrame(() => this.#flush());
  }

  /**
   * Draws what is marked, then follows the bottom, which reads the log's height and so lays
   * out the page at once: in an animation frame that is the frame's own layout, brought
   * forward. Outside one (`later`, when a turn ends), the following waits for the next frame:
   * the layout of the reply's last text is then that frame's, not part of the task that ends
   * the turn (34 of 82 ms in a traced burst, docs/widget.md).
   */
  #flush(later = false) {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#frame = this.#timer = 0;
    const now = performance.now();
    for (const index of this.#dirty) {
      const shown = this.#shown.get(index);
      if (!shown) continue;
      this.#paint(shown);
      const m = shown.message;
      if (m.content || m.reasoning || m.refusal) shown.drawnAt = now;  // so that the first words show at once
    }
    this.#dirty.clear();
    if (later) this.#frame = requestAnimationFrame(() => this.#flush());
    else this.#scroll();
  }

  /** The widget's formatters, in its language (made at the first call). */
  #format() {
    return (this.#formats ??= { time: new Intl.DateTimeFormat(this.#lang, TIME), number: new Intl.NumberFormat(this.#lang) });
  }

  #atBottom() { return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < AT_BOTTOM; }

  #paint(/** @type {Shown} */ s) {
    const m = s.message;
    if (m.role === 'user') {
      s.body.textContent = m.content ?? '';
    } else {
      s.rendered = render(s.body, m.content ?? '', s.rendered, !s.streaming, this.#t);
      if (m.refusal) {
        let r = s.body.querySelector('.refusal');
        if (!r) s.body.append((r = el('p', 'refusal')));
        r.textContent = m.refusal;
      }
    }
    // Written only when changed: the reasoning above a streaming answer would otherwise be laid
    // out again at each drawing, and growing reasoning is appended (markdown.js's setText).
    if (s.thinking.hidden !== !m.reasoning) s.thinking.hidden = !m.reasoning;
    setText(s.reasoning, m.reasoning ?? '');
    for (const call of m.tool_calls ?? []) this.#call(s, call);
    let flag = s.footer.querySelector('.incomplete');
    if (m.incomplete && m.incomplete_reason !== 'still streaming') {
      if (!flag) s.footer.append((flag = el('span', 'incomplete')));
      flag.textContent = this.#t(m.incomplete_reason === 'stopped' ? 'stopped' : 'incomplete');
    } else {
      flag?.remove();
    }
  }

  #call(/** @type {Shown} */ s, /** @type {any} */ call) {
    const id = String(call.id ?? '');
    let line = /** @type {HTMLDetailsElement | null} */ ([...s.calls.children].find((c) => c instanceof HTMLElement && c.dataset.callId === id) ?? null);
    if (!line) {
      line = /** @type {HTMLDetailsElement} */ (el('details', 'call'));
      line.dataset.callId = id;
      const summary = el('summary');
      const args = el('pre', 'arguments');
      const result = el('pre', 'result');
      result.textContent = '\u2026';
      const a = el('div');
      a.textContent = this.#t('arguments');
      const r = el('div');
      r.textContent = this.#t('result');
      line.append(summary, a, args, r, result);
      s.calls.append(line);
    }
    const name = call.function?.name ?? '';
    /** @type {HTMLElement} */ (line.querySelector('summary')).textContent = this.#t('toolCall', { name });
    /** @type {HTMLElement} */ (line.querySelector('.arguments')).textContent = pretty(call.function?.arguments ?? '');
    const result = this.#results.get(id);
    if (result !== undefined) {
      /** @type {HTMLElement} */ (line.querySelector('.result')).textContent = pretty(result);
      line.classList.toggle('failed', /^\{"error":/.test(result));
    }
  }

  #toolResult(/** @type {Message} */ message) {
    this.#results.set(String(message.tool_call_id ?? ''), message.content ?? '');
    for (const line of this.log.querySelectorAll('.call')) {
      if (!(line instanceof HTMLElement) || line.dataset.callId !== String(message.tool_call_id ?? '')) continue;
      const result = /** @type {HTMLElement} */ (line.querySelector('.result'));
      result.textContent = pretty(message.content ?? '');
      line.classList.toggle('failed', /^\{"error":/.test(message.content ?? ''));
    }
  }

  /** Reads `text` out once: emptied first, so the same words twice are announced twice. */
  #announce(/** @type {string} */ text) {
    this.announcer.textContent = '';
    if (text) setTimeout(() => { this.announcer.textContent = text; }, 50);
  }

  #empty() {
    const p = el('p', 'empty');
    p.textContent = this.#t('empty');
    this.log.append(p);
  }

  /** Follows new content when the reader is at the bottom; otherwise offers the way down. */
  #scroll() {
    if (this.#following) {
      this.log.scrollTop = this.log.scrollHeight;
      this.#followedTo = this.log.scrollTop;
    } else if (!this.#atBottom()) {
      this.jump.hidden = false;
    }
  }

  #toBottom() {
    this.jump.hidden = true;  // first: the button's room goes back to the log
    this.#following = true;
    this.#scroll();  // at once, not smoothly: a smooth scroll's steps would read as the reader's own
    this.log.focus({ preventScroll: true });
  }

  #grow() {
    this.input.style.height = 'auto';
    this.input.style.height = Math.min(this.input.scrollHeight + 2, 160) + 'px';
  }

  focus() { this.input.focus(); }

  /**
   * The panel was shown: what was drawn while it was hidden had no layout to scroll, so the
   * log goes to its newest message now, before the older page's watcher can see the top.
   */
  shown() { if (this.#following) this.#scroll(); }
  get inline() { return this.#inline; }
}

function pretty(/** @type {string} */ text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** @returns {HTMLElement} */
function el(/** @type {string} */ tag, /** @type {string=} */ className) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}

/** A button with a visible label and an accessible name. */
function button(/** @type {string} */ label, /** @type {string} */ name, /** @type {() => void} */ run) {
  const b = /** @type {HTMLButtonElement} */ (el('button'));
  b.type = 'button';
  b.textContent = label;
  if (name !== label) b.setAttribute('aria-label', name);
  b.addEventListener('click', run);
  return b;
}
