// @ts-check
// HTTP for the core's StartRequest and CancelRequest effects: `fetch` with a ReadableStream
// reader and an AbortController. It reports what happened as inputs (http_head, bytes,
// http_end, http_failed) and decides nothing: retries, timeouts and error wording are the
// core's. Bytes go on exactly as they arrived.
//
// Implements: start_request, cancel_request. A cancelled request reports nothing more.

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
   * @param {number} id @param {string} url @param {Array<[string, string]>} headers @param {string} body
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
          if (value && value.length) this.#sink.body(id, value);
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
