// @ts-check
// HTTP for the core's StartRequest and CancelRequest effects: `fetch` with a ReadableStream
// reader and an AbortController. It reports what happened as inputs (http_head, bytes,
// http_end, http_failed) and decides nothing: retries, timeouts and error wording are the
// core's. Bytes go on exactly as they arrived.
//
// Implements: start_request, cancel_request. A cancelled request reports nothing more.

// A read can hold a whole reply at once (a fast provider, or a proxy that buffers the stream):
// 4,000 tokens are about 500 KB of events. It is handed on in slices of SLICE bytes, each in a
// task of its own, so that the page draws and answers input between them instead of freezing
// while the core works through all of it (bench/render.mjs's burst run: one task of 250-264 ms
// before). The core takes bytes cut anywhere, as the network cuts them.
const SLICE = 16384;

/** Resolves in a new task (a message to itself: no timer clamping). */
export const nextTask = () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => { channel.port1.close(); resolve(undefined); };
  channel.port2.postMessage(0);
});

/**
 * @typedef {{
 *   head: (id: number, status: number, contentType: string, retryAfter: string) => void,
 *   body: (id: number, bytes: Uint8Array) => void,
 *   end: (id: number) => void,
 *   failed: (id: number, reason: string) => void,
 * }} NetSink
 */

export class Net {
  /** @type {Map<number, AbortController>} */
  #open = new Map();
  #sink;

  constructor(/** @type {NetSink} */ sink) {
    this.#sink = sink;
  }

  /**
   * Sends a POST with a JSON body; `headers` are [name, value] pairs.
   * @param {number} id @param {string} url @param {Array<[string, string]>} headers @param {Uint8Array | string} body
   */
  async start(id, url, headers, body) {
    const abort = new AbortController();
    this.#open.set(id, abort);
    const live = () => this.#open.get(id) === abort;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: [['Content-Type', 'application/json'], ...headers],
        body,
        signal: abort.signal,
        credentials: 'omit',
        cache: 'no-store',
      });
      if (!live()) return;
      const type = response.headers.get('Content-Type') ?? '';
      this.#sink.head(id, response.status, type, response.headers.get('Retry-After') ?? '');
      if (response.body) {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (!live()) return;
          if (done) break;
          for (let at = 0; value && at < value.length; at += SLICE) {
            if (at > 0) {
              await nextTask();
              if (!live()) return;
            }
            this.#sink.body(id, value.subarray(at, at + SLICE));
          }
        }
      }
      this.#open.delete(id);
      this.#sink.end(id);
    } catch (error) {
      if (!live()) return;
      this.#open.delete(id);
      this.#sink.failed(id, reason(error));
    }
  }

  cancel(/** @type {number} */ id) {
    const abort = this.#open.get(id);
    this.#open.delete(id);
    abort?.abort();
  }

  cancelAll() {
    for (const id of [...this.#open.keys()]) this.cancel(id);
  }
}

/** Plain words for a failed fetch: browsers say little ("Failed to fetch"), so say what it means. */
function reason(/** @type {unknown} */ error) {
  const text = error instanceof Error ? error.message : String(error);
  if (/failed to fetch|networkerror|load failed/i.test(text)) return 'network error';
  if (/network|ERR_/i.test(text)) return 'network error: ' + text;
  return text || 'network error';
}
