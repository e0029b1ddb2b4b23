// @ts-check
// The loader: the one file a page includes.
//   <script src="confab.js" data-endpoint="/v1" data-model="chat" data-title="Ask us" defer></script>
// It draws the launcher at once and defines `Confab` (the only global) and <confab-chat>.
// The rest of the widget (widget.js, the core in WebAssembly, the markdown renderer) loads
// on the visitor's first interaction with the launcher, or when the page calls the API;
// calls made before then wait in order. Every file resolves relative to this script's URL.
// See docs/widget.md for the settings and the API.
(() => {
  const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  const base = new URL('.', script?.src || location.href);
  const METHODS = ['open', 'close', 'send', 'stop', 'retry', 'newSession', 'sessions', 'openSession', 'renameSession',
    'deleteSession', 'exportSession', 'importSession', 'set'];
  const CSS = ':host{all:initial!important;display:block!important;position:fixed!important;right:20px!important;' +
    'bottom:20px!important;z-index:2147483000!important}:host([data-position=left]){right:auto!important;left:20px!important}' +
    '.launcher{all:initial;box-sizing:border-box;width:56px;height:56px;border-radius:50%;background:var(--confab-accent,#1d4ed8);color:var(--confab-on-accent,#fff);' +
    'display:grid;place-items:center;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.25)}.launcher:focus-visible{outline:2px solid #1d4ed8;' +
    'outline-offset:3px}.launcher svg{width:28px;height:28px;fill:currentColor}.launcher[aria-busy=true]{opacity:.7}';

  /** @typedef {Record<string, any>} Settings */

  /**
   * A widget in `host`, with `settings`. Floating ones get a launcher; inline ones load at once.
   * @param {HTMLElement} host @param {Settings} settings @param {boolean} floating
   */
  function create(host, settings, floating) {
    settings.base = base.href;
    /** @type {Map<string, Set<Function>>} */
    const handlers = new Map();
    /** @type {Array<{def: any, handler: Function}>} */
    const tools = [];
    /** @type {any} */
    let widget = null;
    /** @type {Promise<any> | null} */
    let loading = null;
    const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
    /** @type {HTMLButtonElement | null} */
    let launcher = null;

    const emit = (/** @type {string} */ event, /** @type {any} */ detail) => {
      for (const cb of handlers.get(event) ?? []) {
        try { cb(detail); } catch (error) { console.error('confab: a listener for', event, 'threw', error); }
      }
    };
    const load = () => (loading ??= import(new URL('widget.js', base).href)
      .then((m) => m.mount(host, root, settings, emit, base, launcher, tools))
      .then((w) => {
        widget = w;
        launcher?.removeAttribute('aria-busy');
        return w;
      }, (error) => {
        console.error('confab: the chat could not load', error);
        launcher?.setAttribute('aria-label', 'Chat unavailable');
        throw error;
      }));

    /** @type {Record<string, any>} */
    const api = {
      /** Listens for 'message', 'delta', 'tool_call', 'error' or 'turn_end'; returns a function that stops. */
      on(/** @type {string} */ event, /** @type {Function} */ cb) {
        if (!handlers.has(event)) handlers.set(event, new Set());
        handlers.get(event)?.add(cb);
        return () => handlers.get(event)?.delete(cb);
      },
      /** Registers a tool the model may call: {name, description, parameters}, async (args) => result. */
      tool(/** @type {any} */ def, /** @type {Function} */ handler) {
        tools.push({ def, handler });
        widget?.tool(def, handler);
        return api;
      },
      /** Loads the widget now (it loads by itself on first interaction). */
      ready: () => load().then(() => api),
    };
    for (const name of METHODS) api[name] = (/** @type {any[]} */ ...args) => load().then((w) => w[name](...args));

    if (settings.theme === 'light' || settings.theme === 'dark') host.dataset.theme = settings.theme;
    if (floating) {
      host.setAttribute('floating', '');
      if (settings.position) host.dataset.position = String(settings.position);
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
      launcher = document.createElement('button');
      launcher.className = 'launcher';
      launcher.type = 'button';
      launcher.setAttribute('aria-label', openChat(settings));
      launcher.setAttribute('part', 'launcher');
      launcher.setAttribute('aria-expanded', 'false');
      launcher.setAttribute('aria-controls', 'confab-panel');
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('viewBox', '0 0 24 24');
      svg.setAttribute('aria-hidden', 'true');
      const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
      path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z');
      svg.append(path);
      launcher.append(svg);
      const button = launcher;
      button.addEventListener('click', () => {
        if (widget) return button.getAttribute('aria-expanded') === 'true' ? widget.close() : widget.open();
        button.setAttribute('aria-busy', 'true');
        load().then((w) => w.open());
      });
      for (const event of ['pointerenter', 'focus', 'touchstart']) button.addEventListener(event, load, { once: true, passive: true });
      root.append(launcher);
      if (settings.load === 'eager' || settings.open === true || settings.open === 'true') load().then((w) => settings.open && w.open());
      else if (settings.load === 'idle') (window.requestIdleCallback ?? setTimeout)(() => load());
    } else {
      host.setAttribute('inline', '');
      load();
    }
    return api;
  }

  /** The launcher's name before the widget (and strings.js) loads: the one string the loader holds. */
  function openChat(/** @type {Settings} */ settings) {
    let own = settings.strings ?? {};
    if (typeof own === 'string') {
      try { own = JSON.parse(own); } catch { own = {}; }
    }
    const fr = String(settings.lang ?? document.documentElement.lang ?? '').toLowerCase().startsWith('fr');
    const text = own.openChat ?? (fr ? 'Ouvrir la discussion\u00a0: {title}' : 'Open chat: {title}');
    return String(text).replace('{title}', settings.title ?? own.title ?? (fr ? 'Discussion' : 'Chat'));
  }

  /** Settings from attributes: data-system-prompt (script) or system-prompt (element) -> systemPrompt. */
  function fromAttributes(/** @type {Element} */ element, /** @type {string} */ prefix) {
    /** @type {Settings} */
    const settings = {};
    for (const { name, value } of element.attributes) {
      if (!name.startsWith(prefix) || name === 'src' || name === 'defer' || name === 'inline' || name === 'floating') continue;
      settings[name.slice(prefix.length).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = value;
    }
    return settings;
  }

  class ConfabChat extends HTMLElement {
    /** @type {Record<string, any> | undefined} */
    confab;
    connectedCallback() {
      this.confab ??= create(this, fromAttributes(this, ''), false);
    }
  }

  /** @type {Record<string, any> | null} */
  let tagWidget = null;
  const init = (/** @type {Settings} */ settings = {}) => {
    const host = /** @type {ConfabChat} */ (document.createElement('confab-chat'));
    host.confab = create(host, { ...settings }, true);
    (document.body ?? document.documentElement).append(host);
    return host.confab;
  };

  if (!customElements.get('confab-chat')) customElements.define('confab-chat', ConfabChat);
  if (!('Confab' in window)) {
    Object.defineProperty(window, 'Confab', {
      value: Object.freeze({
        init,
        /** The widget the script tag made from its data- attributes, if it had an endpoint. */
        get widget() { return tagWidget; },
      }),
    });
  }
  if (script?.dataset.endpoint) {
    const start = () => { tagWidget = init(fromAttributes(script, 'data-')); };
    if (document.body) start();
    else document.addEventListener('DOMContentLoaded', start, { once: true });
  }
})();
