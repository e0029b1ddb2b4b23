// @ts-check
// The conversation engine (the C++ core in WebAssembly, web/bridge.cpp) as a JavaScript
// object. JSON text crosses the boundary in both directions, in the words of
// core/boundary.h; response bytes cross as they arrived. Every decision is the core's: this
// file only copies strings and bytes in and out of the module's memory.

/**
 * @typedef {Record<string, any>} Effect  {type: 'start_request', id, url, headers, body: Uint8Array},
 *   {type: 'save_session', key, raw: Uint8Array, bytes: string (the same, decoded when first read), summary: Summary,
 *   ids: string[]}, ...
 * @typedef {{ id: string, title: string, created_ms: number, updated_ms: number, count: number }} Summary
 * @typedef {{ ok: boolean, session?: Record<string, any>, summary?: Summary, ids?: string[], error?: string, problems?: string[] }} Result
 * @typedef {{ ok: boolean, more?: boolean, superseded?: boolean, error?: string, id?: string, count?: number, ids?: string[], problems?: string[] }} Opened
 *   an open's answer (web/bridge.cpp's confab_open): the session's id, how many messages it has and their ids
 */

// How much of a session file's messages one step of openInSteps reads. The core parses and
// converts about 50 MB/s in headless Chromium here (a profile of opening 5.9 MB), so a step is
// about 5 ms: far under the 50 ms that makes a long task, and a 6 MB file opens in 24 steps.
const STEP_BYTES = 256 * 1024;

/**
 * Whether this page may compile engine.wasm: a Content-Security-Policy without
 * 'wasm-unsafe-eval' (or 'unsafe-eval') refuses WebAssembly, and a browser older than bulk
 * memory (engine.wasm copies with memory.copy; Safari before 15) refuses the engine. Tried once,
 * on a module of one function that does a memory.copy; where it fails, the JavaScript build loads.
 * @type {Promise<boolean> | null}
 */
let wasm = null;
export function wasmAllowed() {
  const copies = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 3, 1, 0, 1,
    10, 14, 1, 12, 0, 0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 0x0a, 0, 0, 0x0b]);
  return (wasm ??= WebAssembly.compile(copies).then(() => true, () => false));
}

/**
 * Loads the core from `base` (the folder of confab.js): engine.js and engine.wasm, or, where
 * the page forbids WebAssembly, engine-js.js (the same core compiled to plain JavaScript).
 */
export async function load(/** @type {URL} */ base) {
  const file = (await wasmAllowed()) ? 'engine.js' : 'engine-js.js';
  const factory = (await import(new URL(file, base).href)).default;
  const module = await factory({
    locateFile: (/** @type {string} */ file) => new URL(file, base).href,
    print: () => {},
    printErr: (/** @type {string} */ text) => console.warn('confab:', text),
  });
  return new Core(module);
}

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

export class Core {
  #m;
  constructor(/** @type {any} */ module) {
    this.#m = module;
  }

  /** The Emscripten file system (web/store.js mounts IDBFS on it). */
  get fs() { return this.#m.FS; }
  get idbfs() { return this.#m.IDBFS; }

  /**
   * Opens a session: {bytes | null, id, created_ms, settings, config, tools}, at once.
   * @returns {Opened}
   */
  open(/** @type {Record<string, any>} */ request) {
    const { bytes, ...rest } = request;
    return this.#withBytes(bytes ?? null, (at, length) => this.#call('_confab_open', JSON.stringify(rest), at, length, 0));
  }

  /**
   * Opens a session as open() does, a step at a time (core/session.h's SessionLoader): each
   * step reads about STEP_BYTES of the file's messages, and `pause()` runs between steps so the
   * page can draw. `bytes`: the file as text, or as the UTF-8 it holds (not encoded again). An
   * open begun meanwhile wins: this one then ends with `superseded`.
   * @param {Record<string, any>} request @param {() => Promise<void>} pause @returns {Promise<Opened>}
   */
  async openInSteps(request, pause) {
    const { bytes, ...rest } = request;
    const text = JSON.stringify({ ...rest, in_steps: true });
    let result = this.#withBytes(bytes ?? null, (at, length) => this.#call('_confab_open', text, at, length, STEP_BYTES));
    while (result.more) {
      await pause();
      result = this.#call('_confab_open_step', undefined, STEP_BYTES);
    }
    return result;
  }

  /**
   * Messages [from, to) of the open session, in their stored shape, and how many it has.
   * @returns {{ messages: Record<string, any>[], count: number }}
   */
  messages(/** @type {number} */ from, /** @type {number} */ to) {
    return this.#call('_confab_messages', undefined, from, to);
  }

  /** Writes about STEP_BYTES more of the open session's file ahead of its first save; true once all is. */
  prime() { return this.#m._confab_prime(STEP_BYTES) === 1; }

  /**
   * Reports one input ({type: 'user_sent', text}, {type: 'http_head', ...}, ...).
   * @returns {Effect[]}
   */
  handle(/** @type {Record<string, any>} */ input) {
    return this.#effects(this.#call('_confab_handle', JSON.stringify(input), Date.now()));
  }

  /**
   * Reports bytes of a response body, untouched.
   * @returns {Effect[]}
   */
  body(/** @type {number} */ request, /** @type {Uint8Array} */ bytes) {
    const m = this.#m;
    const at = m._malloc(bytes.length || 1);
    m.HEAPU8.set(bytes, at);
    try {
      return this.#effects(JSON.parse(m.UTF8ToString(m._confab_body(request, at, bytes.length, Date.now()))));
    } finally {
      m._free(at);
    }
  }

  /**
   * Takes the large texts that came beside the effects (web/bridge.cpp's blobs): a request's
   * body as bytes, for fetch; a session file as bytes, for the file system, and as text. Copied
   * out as bytes and decoded by the browser: Emscripten's UTF8ToString looks for the end one
   * byte at a time in JavaScript. A session's text is decoded only when something reads it
   * (7-8 ms for 6 MB, at every save, where the file system and the flush need only the bytes).
   * @returns {Effect[]}
   */
  #effects(/** @type {Effect[]} */ effects) {
    for (const effect of effects) {
      if (effect.body_blob !== undefined) effect.body = this.#blob(effect.body_blob);
      if (effect.blob !== undefined) {
        const raw = (effect.raw = this.#blob(effect.blob));
        /** @type {string | undefined} */
        let decoded;
        Object.defineProperty(effect, 'bytes', { enumerable: true, get: () => (decoded ??= utf8.decode(raw)) });
      }
    }
    return effects;
  }

  /** A copy of the last call's large text `index` (web/bridge.cpp's blobs), as bytes. */
  #blob(/** @type {number} */ index) {
    const m = this.#m;
    const at = m._confab_blob(index);
    return m.HEAPU8.slice(at, at + m._confab_blob_size(index));
  }

  /** @returns {{session: Record<string, any>, busy: boolean}} the open session as stored */
  session() { return this.#session(this.#call('_confab_session')); }

  /** Reads a session file without opening it: its summary and its messages' ids, or why it does not load. @returns {Result} */
  check(/** @type {string | Uint8Array} */ bytes) {
    return this.#withBytes(bytes, (at, length) => this.#json(this.#m._confab_check(at, length, Infinity)));
  }

  /**
   * Reads a session file as check() does, a step at a time as openInSteps() reads (a 5.9 MB
   * import was checked in one task of 230 ms), with `pause()` between steps.
   * @param {string | Uint8Array} bytes @param {() => Promise<void>} pause @returns {Promise<Result>}
   */
  async checkInSteps(bytes, pause) {
    const m = this.#m;
    let result = this.#withBytes(bytes, (at, length) => this.#json(m._confab_check(at, length, STEP_BYTES)));
    while (result.more) {
      await pause();
      result = this.#json(m._confab_check_step(result.check, STEP_BYTES));
    }
    return result;
  }

  /**
   * This tab's copy of a session combined with the stored one, which another tab may have
   * changed (core/session_merge.h), each as text or UTF-8: null when the bytes to write are
   * `ours` as they are (nothing added), else the merged file's UTF-8 as `raw`, and what the list
   * shows of it as `summary`. `known`: the ids of the messages this tab's saves of the session held.
   * @param {string | Uint8Array} ours @param {string | Uint8Array} stored @param {string[]} known
   * @returns {{raw: Uint8Array, summary: Summary} | null}
   */
  merge(ours, stored, known) {
    return this.#withBytes(ours, (at, length) => this.#withBytes(stored, (storedAt, storedLength) => {
      const result = this.#call('_confab_merge', JSON.stringify({ known }), at, length, storedAt, storedLength);
      return result.same ? null : { raw: this.#blob(result.blob), summary: result.summary };
    }));
  }

  /**
   * Gives the session in a file another title (at `now`) or id ({title?, now?, id?}) without reading its
   * messages (a session not open: the open one is renamed with {type: 'user_renamed'}): the new
   * file as `raw`, and what a list shows of it as `summary`, or why the file does not load.
   * @returns {Result & {raw?: Uint8Array}}
   */
  rewrite(/** @type {Uint8Array | string} */ bytes, /** @type {{title?: string, now?: number, id?: string}} */ changes) {
    return this.#withBytes(bytes, (at, length) => {
      const result = this.#call('_confab_rewrite', JSON.stringify(changes), at, length);
      if (result.blob !== undefined) result.raw = this.#blob(result.blob);
      return result;
    });
  }

  /**
   * Calls `name` with `text` (a C string, if any) and then `args`, and parses the JSON it returns.
   * @param {string} name @param {string=} text @param {number[]} args
   */
  #call(name, text, ...args) {
    const m = this.#m;
    if (text === undefined) return this.#json(m[name](...args));
    const size = m.lengthBytesUTF8(text) + 1;
    const at = m._malloc(size);
    m.stringToUTF8(text, at, size);
    try {
      return this.#json(m[name](at, ...args));
    } finally {
      m._free(at);
    }
  }

  /** The JSON text a call returned at `at`, parsed. */
  #json(/** @type {number} */ at) { return JSON.parse(this.#m.UTF8ToString(at)); }

  /**
   * Runs `use(at, length)` with `text` as UTF-8 in the module's memory (encoded by the browser:
   * Emscripten's stringToUTF8 goes a character at a time in JavaScript; UTF-8 already is copied
   * as it is), or (0, -1) for null.
   * @template T @param {string | Uint8Array | null} text @param {(at: number, length: number) => T} use @returns {T}
   */
  #withBytes(text, use) {
    if (text === null) return use(0, -1);
    const m = this.#m;
    const bytes = typeof text === 'string' ? encoder.encode(text) : text;
    const at = m._malloc(bytes.length || 1);
    m.HEAPU8.set(bytes, at);
    try {
      return use(at, bytes.length);
    } finally {
      m._free(at);
    }
  }

  /** A result whose session came as a blob (confab_open, confab_session): parsed, as `session`. */
  #session(/** @type {Record<string, any> | null} */ result) {
    if (result && result.session_blob !== undefined) {
      const m = this.#m;
      const at = m._confab_blob(result.session_blob);
      result.session = JSON.parse(utf8.decode(m.HEAPU8.subarray(at, at + m._confab_blob_size(result.session_blob))));
      delete result.session_blob;
    }
    return result;
  }
}
