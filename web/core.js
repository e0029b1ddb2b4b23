// @ts-check
// The conversation engine (the C++ core in WebAssembly, web/bridge.cpp) as a JavaScript
// object. JSON text crosses the boundary in both directions, in the words of
// core/boundary.h; response bytes cross as they arrived. Every decision is the core's: this
// file only copies strings and bytes in and out of the module's memory.

/**
 * @typedef {Record<string, any>} Effect  {type: 'start_request', id, url, headers, body: Uint8Array},
 *   {type: 'save_session', key, bytes: string, raw: Uint8Array (the same bytes), summary: Summary, ids: string[]}, ...
 * @typedef {{ id: string, title: string, created_ms: number, updated_ms: number, count: number }} Summary
 * @typedef {{ ok: boolean, session?: Record<string, any>, summary?: Summary, error?: string, problems?: string[], bytes?: string }} Result
 */

/**
 * Whether this page may compile WebAssembly: a Content-Security-Policy without
 * 'wasm-unsafe-eval' (or 'unsafe-eval') refuses it. Tried once on an empty module.
 * @type {Promise<boolean> | null}
 */
let wasm = null;
export function wasmAllowed() {
  return (wasm ??= WebAssembly.compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])).then(() => true, () => false));
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
   * Opens a session: {bytes | null, id, created_ms, settings, config, tools}.
   * @returns {Result}
   */
  open(/** @type {Record<string, any>} */ request) {
    const { bytes, ...rest } = request;
    return this.#withBytes(bytes ?? null, (at, length) => this.#session(this.#call('_confab_open', JSON.stringify(rest), undefined, [at, length])));
  }

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
   * byte at a time in JavaScript.
   * @returns {Effect[]}
   */
  #effects(/** @type {Effect[]} */ effects) {
    const m = this.#m;
    const bytes = (/** @type {number} */ index) => {
      const at = m._confab_blob(index);
      return m.HEAPU8.slice(at, at + m._confab_blob_size(index));
    };
    for (const effect of effects) {
      if (effect.body_blob !== undefined) effect.body = bytes(effect.body_blob);
      if (effect.blob !== undefined) {
        effect.raw = bytes(effect.blob);
        effect.bytes = utf8.decode(effect.raw);
      }
    }
    return effects;
  }

  /** @returns {{session: Record<string, any>, busy: boolean}} the open session as stored */
  session() { return this.#session(this.#call('_confab_session')); }

  /** Reads a session file without opening it: its summary, or why it does not load. @returns {Result} */
  check(/** @type {string} */ bytes) {
    return this.#withBytes(bytes, (at, length) => JSON.parse(this.#m.UTF8ToString(this.#m._confab_check(at, length))));
  }

  /**
   * This tab's copy of a session combined with the stored one, which another tab may have
   * changed (core/session_merge.h): the bytes to write, `ours` itself when nothing is added.
   * `known`: the ids of the messages this tab's saves of the session held.
   * @returns {string}
   */
  merge(/** @type {string} */ ours, /** @type {string} */ stored, /** @type {string[]} */ known) {
    return this.#call('_confab_merge', JSON.stringify({ ours, stored, known })).bytes;
  }

  /** Rewrites a session file with another title or id. @returns {Result} */
  rewrite(/** @type {Record<string, any>} */ request) { return this.#call('_confab_rewrite', JSON.stringify(request)); }

  /**
   * Calls `name` with `text` (a C string), then `now` or `more`, and parses the JSON it returns.
   * @param {string} name @param {string=} text @param {number=} now @param {number[]} [more]
   */
  #call(name, text, now, more = []) {
    const m = this.#m;
    if (text === undefined) return JSON.parse(m.UTF8ToString(m[name]()));
    const size = m.lengthBytesUTF8(text) + 1;
    const at = m._malloc(size);
    m.stringToUTF8(text, at, size);
    try {
      return JSON.parse(m.UTF8ToString(now === undefined ? m[name](at, ...more) : m[name](at, now)));
    } finally {
      m._free(at);
    }
  }

  /**
   * Runs `use(at, length)` with `text` as UTF-8 in the module's memory (encoded by the browser:
   * Emscripten's stringToUTF8 goes a character at a time in JavaScript), or (0, -1) for null.
   * @template T @param {string | null} text @param {(at: number, length: number) => T} use @returns {T}
   */
  #withBytes(text, use) {
    if (text === null) return use(0, -1);
    const m = this.#m;
    const bytes = encoder.encode(text);
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
