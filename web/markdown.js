// @ts-check
// Markdown (CommonMark + GFM tables, strikethrough, task lists, autolinks) to DOM nodes, for
// model output. md4c (npm md4w, compiled to WebAssembly) parses the text into a tree, and
// this file builds elements from that tree with createElement and text nodes only: nothing
// the model writes is ever parsed as HTML, so nothing it writes can run.
//
// - Raw HTML is parsed as text (md4c's NO_HTML flags), and any HTML node still reported is
//   shown as text, except the line break md4c itself reports as "<br>".
// - Links keep only http:, https: and mailto: targets, open in a new tab with
//   rel="noopener noreferrer"; any other link is shown as its text. Images are never
//   loaded (a reply must not make the browser fetch what the model chose): they become links.
// - Code blocks get a copy button.
//
// Streaming renders each block once: the text is cut where a block can no longer change (a
// blank line outside fenced code, before a line that cannot continue a list or a quote), what
// comes before the cut is rendered and never touched again, and only the open tail after it
// is parsed again as tokens arrive. Blocks are put in groups of GROUP (place()), so that the
// browser does not lay out every finished block again at each drawing. A finished message is
// checked once against a parse of the whole text (a link reference defined at the end can
// change an earlier block), and redrawn only if it differs.

/** @typedef {{ type: number, props?: Record<string, any>, children?: Array<string | MdNode> }} MdNode */

let md = /** @type {any} */ (null);
const GROUP = 16;  // blocks to a group (place())
/** The words of the render() call in progress (copy buttons). @type {import('./strings.js').Text} */
let t = (key, vars = {}) => ({ copy: 'Copy', copyCode: 'Copy code', copyLang: 'Copy ' + vars.lang + ' code', copied: 'Copied',
  copyFailed: 'Copy failed' })[key] ?? key;

// md4c flags (md4c.h): TABLES | STRIKETHROUGH | TASKLISTS | PERMISSIVE_URL_AUTO_LINKS |
// PERMISSIVE_EMAIL_AUTO_LINKS | PERMISSIVE_WWW_AUTO_LINKS | NO_HTML_BLOCKS | NO_HTML_SPANS.
// (md4w's own NO_HTML constant is 0x0240, which misses NO_HTML_BLOCKS.)
const FLAGS = 0x0100 | 0x0200 | 0x0800 | 0x0004 | 0x0008 | 0x0400 | 0x0020 | 0x0040;

/**
 * Loads md4w.js and md4w.wasm from `base`, or md4w-js.js (the same parser as plain JavaScript)
 * where the page forbids WebAssembly. Without them, text shows as plain text.
 */
export async function load(/** @type {URL} */ base, /** @type {boolean} */ wasm = true) {
  try {
    const module = await import(new URL('md4w.js', base).href);
    if (wasm) {
      const response = await fetch(new URL('md4w.wasm', base));
      module.initWasm(await WebAssembly.compile(await response.arrayBuffer()));
    } else {
      module.initWasm(await import(new URL('md4w-js.js', base).href));
    }
    md = module;
  } catch (error) {
    console.warn('confab: markdown renderer not available; showing plain text', error);
  }
}

/**
 * What render() drew: `blocks` (the tree of each top-level block) and their `nodes`, of which the
 * first `frozen` come from `text.slice(0, stable)` and never change; `scan` and `fence` say how far
 * the search for the next cut got, and inside which code fence.
 * @typedef {{ text: string, stable: number, frozen: number, blocks: Array<string | MdNode>, nodes: Node[], scan: number, fence: string }} Rendered
 */

/**
 * Renders `text` into `into`, given what the previous call for the same element drew. While a
 * message streams, each call costs a parse of the open tail only; `final` (the message is
 * complete) makes sure the result equals a parse of the whole text.
 * @param {HTMLElement} into @param {string} text @param {Rendered | null} previous @param {boolean=} final
 * @param {import('./strings.js').Text=} words  the widget's strings (strings.js)
 * @returns {Rendered}
 */
export function render(into, text, previous, final = false, words = undefined) {
  if (words) t = words;
  if (!text || !md) {  // md4w 0.2.7 throws on empty input; without md4w, plain text
    const nodes = text ? [paragraph(text)] : [];
    anew(into, nodes);
    return { text, stable: 0, frozen: 0, blocks: [text], nodes, scan: 0, fence: '' };
  }
  let state = previous && previous.blocks.length && text.startsWith(previous.text) &&
    previous.nodes.every((n) => n.parentNode?.parentNode === into) ? previous : null;
  try {
    if (!state && final) return whole(into, text);
    if (!state) into.replaceChildren();
    state ??= { text: '', stable: 0, frozen: 0, blocks: [], nodes: [], scan: 0, fence: '' };
    const cut = nextCut(text, state.scan, state.fence);
    const next = { ...state, text, scan: cut.scan, fence: cut.fence, blocks: state.blocks.slice(0, state.frozen), nodes: state.nodes.slice(0, state.frozen) };
    const tail = { blocks: state.blocks.slice(state.frozen), nodes: state.nodes.slice(state.frozen) };
    if (cut.at > state.stable) {  // freeze up to the cut; the old tail's nodes serve where they still fit
      const frozen = draw(text.slice(state.stable, cut.at), tail);
      next.blocks.push(...frozen.blocks);
      next.nodes.push(...frozen.nodes);
      next.frozen = next.nodes.length;
      next.stable = cut.at;
      tail.blocks = tail.blocks.slice(frozen.used);
      tail.nodes = tail.nodes.slice(frozen.used);
    }
    const open = text.length > next.stable ? draw(text.slice(next.stable), tail) : { blocks: [], nodes: [], used: 0 };
    next.blocks.push(...open.blocks);
    next.nodes.push(...open.nodes);
    const kept = new Set(next.nodes);
    for (const old of state.nodes.slice(state.frozen)) if (!kept.has(old)) old.remove();
    place(into, next.nodes);
    if (final) {
      const check = tree(text);
      if (check.length !== next.blocks.length || check.some((b, i) => !same(b, next.blocks[i]))) return whole(into, text);
    }
    return next;
  } catch {
    const nodes = [paragraph(text)];
    anew(into, nodes);
    return { text, stable: 0, frozen: 0, blocks: [], nodes, scan: 0, fence: '' };
  }
}

/** One parse of the whole text, drawn from scratch. @returns {Rendered} */
function whole(/** @type {HTMLElement} */ into, /** @type {string} */ text) {
  const blocks = tree(text);
  const nodes = blocks.map(node);
  anew(into, nodes);
  return { text, stable: text.length, frozen: nodes.length, blocks, nodes, scan: text.length, fence: '' };
}

/**
 * Puts `nodes`, the blocks of a text in order, in `into` in groups of GROUP: block i in the
 * group floor(i / GROUP), a <div class="blocks">, moving only what is not in its place. A
 * drawing changes the open blocks at the end, and the browser lays out their parent again,
 * which goes over every block beside them, changed or not: with all the blocks of a long
 * answer side by side, each drawing's layout grew with the answer. A group whose blocks did
 * not change is one cached box (style.js contains its paint), so a drawing goes over the
 * groups and the blocks of the last one. bench/render.mjs, interleaved runs: a 12,000-token
 * answer's layout 242-262 -> 175-181 ms, its rendering in all 824-871 -> 745-766 ms; the
 * 4,000-token one 270-288 -> 255-271 ms. The groups depend on the blocks only, so a text
 * drawn as it streams and drawn at once come out the same.
 */
function place(/** @type {HTMLElement} */ into, /** @type {Node[]} */ nodes) {
  let group = /** @type {Element | null} */ (null);
  for (let i = 0; i < nodes.length; i++) {
    if (i % GROUP === 0) {
      const next = group ? group.nextElementSibling : into.firstElementChild;
      if (next?.className === 'blocks') group = next;
      else into.insertBefore((group = el('div')), next).className = 'blocks';
    }
    const at = /** @type {Element} */ (group).childNodes[i % GROUP] ?? null;
    if (at !== nodes[i]) /** @type {Element} */ (group).insertBefore(nodes[i], at);
  }
  // Groups past the last block (blocks of the open tail that went) go too.
  for (let extra = group ? group.nextElementSibling : into.firstElementChild; extra?.className === 'blocks';) {
    const gone = extra;
    extra = extra.nextElementSibling;
    gone.remove();
  }
}

/** `into` holding only `nodes`, grouped as place() groups them. */
function anew(/** @type {HTMLElement} */ into, /** @type {Node[]} */ nodes) {
  into.replaceChildren();
  place(into, nodes);
}

/**
 * The blocks of `text`, drawn over the leading nodes of `old` (the same blocks as they were
 * drawn before, which may have grown since): a node whose block is the same is kept, one
 * whose block grew is brought up to date in place (patch), and `used` says how many of
 * `old` serve. Keeping nodes spares the browser styling, laying out and painting them anew.
 * @param {string} text @param {{ blocks: Array<string | MdNode>, nodes: Node[] }} old
 */
function draw(text, old) {
  const blocks = tree(text);
  const nodes = blocks.map((b, i) => (i >= old.nodes.length ? node(b) : same(b, old.blocks[i]) ? old.nodes[i] : patch(old.nodes[i], b)));
  return { blocks, nodes, used: Math.min(blocks.length, old.nodes.length) };
}

/**
 * Whether two trees from tree() are the same. Walked rather than compared as JSON: turning every
 * block of the open tail into a string at each drawing made render() a fifth slower (the bench's
 * answer in 58 drawings: 26-88 ms of script instead of 22-65).
 * @param {unknown} a @param {unknown} b @returns {boolean}
 */
function same(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(/** @type {any} */ (a)[k], /** @type {any} */ (b)[k]));
}

/**
 * Where the text can be cut for good: the start of the last complete line, after `from`, that
 * follows a blank line outside a code fence and cannot continue the block before it (it is not
 * indented and starts no list item or quote). Lines are looked at once: `scan` is where the next
 * call goes on, `fence` the code fence open there ("" when none).
 * @param {string} text @param {number} from @param {string} fence
 */
function nextCut(text, from, fence) {
  let at = 0;
  let blank = false;
  let i = from;
  if (i > 0) blank = /\n[ \t]*\n$/.test(text.slice(Math.max(0, i - 64), i));
  for (;;) {
    const end = text.indexOf('\n', i);
    if (end < 0) break;  // an incomplete line is still open
    const line = text.slice(i, end);
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) fence = '';
      blank = false;
    } else {
      const empty = /^[ \t]*$/.test(line);
      if (blank && !empty && !/^([ \t]|[-*+>]|\d{1,9}[.)])/.test(line)) at = i;
      const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (open && !(open[1][0] === '`' && line.slice(open[0].length).includes('`'))) fence = open[1];
      blank = empty;
    }
    i = end + 1;
  }
  return { at, scan: i, fence };
}

function paragraph(/** @type {string} */ text) {
  const p = el('p');
  p.append(text);
  return p;
}

/**
 * md4w 0.2.7's JSON output has two faults, repaired here before parsing: a link title lacks its
 * opening quote, and control characters inside strings are not escaped. Text is HTML-escaped
 * (except in code blocks); attribute values are as written.
 * @returns {Array<string | MdNode>}
 */
function tree(/** @type {string} */ text) {
  const json = md.renderToString(text, { parseFlags: FLAGS }, 2)
    .replace(/"title":(?!")/g, '"title":"')
    .replace(/[\u0000-\u001f]/g, (/** @type {string} */ c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return JSON.parse(json);
}

/** Plain text of `text` as rendered (what a screen reader or the copy of a reply gets). */
export function plain(/** @type {string} */ text) {
  const div = el('div');
  render(div, text, null, true);
  return div.textContent ?? '';
}

const TAGS = /** @type {Record<number, string>} */ ({
  1: 'blockquote', 2: 'ul', 3: 'ol', 4: 'li', 5: 'hr', 9: 'p', 10: 'table', 11: 'thead', 12: 'tbody', 13: 'tr',
  14: 'th', 15: 'td', 21: 'h1', 22: 'h2', 23: 'h3', 24: 'h4', 25: 'h5', 26: 'h6', 30: 'em', 31: 'strong',
  34: 'code', 35: 'del', 39: 'u',
});

/** What a node() element was drawn from, beside its children: patch() keeps it only if this is the same. */
const made = /** @type {WeakMap<Node, string>} */ (new WeakMap());

/** @returns {Node} */
function node(/** @type {string | MdNode} */ n) {
  if (typeof n === 'string') return document.createTextNode(decode(n));
  switch (n.type) {
    case 7: return remember(codeBlock(n), n);
    case 8: return html(n);
    case 32: return remember(link(n), n);
    case 33: return image(n);
  }
  const tag = TAGS[n.type] ?? 'span';
  const e = el(tag);
  if ((n.type === 14 || n.type === 15) && n.props?.align) e.className = 'align-' + n.props.align;
  if (n.type === 3 && Number(n.props?.start) > 1) e.setAttribute('start', String(Number(n.props?.start)));
  if (n.type === 4 && n.props?.isTask) {
    const box = el('input');
    box.setAttribute('type', 'checkbox');
    box.setAttribute('disabled', '');
    if (n.props.done) box.setAttribute('checked', '');
    e.className = 'task';
    e.append(box, ' ');
  }
  for (const child of n.children ?? []) e.append(node(child));
  return remember(e, n);
}

function remember(/** @type {HTMLElement} */ e, /** @type {MdNode} */ n) {
  made.set(e, n.type + ' ' + JSON.stringify(n.props ?? null));
  return e;
}

/**
 * `old` (drawn by node()) made equal to what node(n) would draw, changing only what differs:
 * text nodes get their new text, children are patched in turn, and an element drawn from
 * another kind of node is replaced (the caller puts the returned node in its place).
 * @returns {Node}
 */
function patch(/** @type {Node} */ old, /** @type {string | MdNode} */ n) {
  if (typeof n === 'string') {
    if (!(old instanceof Text)) return node(n);
    grow(old, decode(n));
    return old;
  }
  if (made.get(old) !== n.type + ' ' + JSON.stringify(n.props ?? null)) return node(n);
  if (n.type === 7) {
    const code = /** @type {HTMLElement} */ (/** @type {HTMLElement} */ (old).querySelector('code'));
    setText(code, codeText(n));
    return old;
  }
  const children = n.children ?? [];
  const skip = n.type === 4 && n.props?.isTask ? 2 : 0;  // the checkbox and its space
  for (let i = 0; i < children.length; i++) {
    const have = old.childNodes[skip + i];
    if (!have) { old.appendChild(node(children[i])); continue; }
    const now = patch(have, children[i]);
    if (now !== have) old.replaceChild(now, have);
  }
  while (old.childNodes.length > skip + children.length) /** @type {ChildNode} */ (old.lastChild).remove();
  return old;
}

/**
 * Makes text node `t` say `text`. Text that only grew is appended: the browser then shapes just
 * the new words, where setting `data` has it shape the whole paragraph or code block again at
 * each drawing (a 1,500-character paragraph: 0.4-0.6 ms less layout a drawing).
 */
export function grow(/** @type {Text} */ t, /** @type {string} */ text) {
  if (t.data === text) return;
  if (text.startsWith(t.data)) t.appendData(text.slice(t.data.length));
  else t.data = text;
}

/** Makes element `e` say `text`: grown in place when its one child is that text's beginning (see grow()). */
export function setText(/** @type {Element} */ e, /** @type {string} */ text) {
  const only = e.childNodes.length === 1 ? e.firstChild : null;
  if (text && only instanceof Text) grow(only, text);
  else if (e.textContent !== text) e.textContent = text;
}

/** The text of code block `n` as shown (md4c does not escape it; the last line break goes). */
function codeText(/** @type {MdNode} */ n) {
  const text = (n.children ?? []).map((c) => (typeof c === 'string' ? c : '')).join('');
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

function codeBlock(/** @type {MdNode} */ n) {
  const wrap = el('div');
  wrap.className = 'code';
  const pre = el('pre');
  const code = el('code');
  const lang = String(n.props?.lang ?? '').trim();
  if (lang) code.dataset.lang = lang;
  code.textContent = codeText(n);
  pre.append(code);
  const copy = el('button');
  copy.setAttribute('type', 'button');
  copy.className = 'copy';
  const label = t('copy');
  copy.textContent = label;
  copy.setAttribute('aria-label', lang ? t('copyLang', { lang }) : t('copyCode'));
  copy.addEventListener('click', () => {
    navigator.clipboard?.writeText(code.textContent ?? '').then(
      () => { copy.textContent = t('copied'); setTimeout(() => (copy.textContent = label), 1500); },
      () => { copy.textContent = t('copyFailed'); });
  });
  wrap.append(copy, pre);
  return wrap;
}

function html(/** @type {MdNode} */ n) {
  const text = (n.children ?? []).map((c) => (typeof c === 'string' ? c : '')).join('');
  if (/^<br\s*\/?>\n?$/i.test(text)) return el('br');
  return document.createTextNode(text);
}

/** A link, only to a web or mail address; anything else (javascript:, data:, ...) is its text. */
function link(/** @type {MdNode} */ n) {
  const href = safeUrl(n.props?.href);
  const e = el(href ? 'a' : 'span');
  if (href) {
    e.setAttribute('href', href);
    e.setAttribute('target', '_blank');
    e.setAttribute('rel', 'noopener noreferrer');
    if (n.props?.title) e.setAttribute('title', decode(String(n.props.title)));
  }
  for (const child of n.children ?? []) e.append(node(child));
  return e;
}

function image(/** @type {MdNode} */ n) {
  const href = safeUrl(n.props?.src);
  const alt = decode(String(n.props?.alt ?? '')) || 'image';
  const e = el(href ? 'a' : 'span');
  e.className = 'image';
  e.textContent = '[' + alt + ']';
  if (href) {
    e.setAttribute('href', href);
    e.setAttribute('target', '_blank');
    e.setAttribute('rel', 'noopener noreferrer');
  }
  return e;
}

/** The URL when it is http:, https: or mailto:, else null. */
export function safeUrl(/** @type {unknown} */ raw) {
  if (typeof raw !== 'string') return null;
  const text = decode(raw).trim();
  let url;
  try {
    url = new URL(text, 'https://invalid.invalid/');
  } catch {
    return null;
  }
  if (!['http:', 'https:', 'mailto:'].includes(url.protocol)) return null;
  // A relative link would point into the host page: only absolute addresses are kept.
  if (!/^(https?:\/\/|mailto:)/i.test(text)) return null;
  return url.href;
}

// md4c reports text HTML-escaped (&lt; &amp; ...) and entities as written (&copy; &#169;).
const NAMED = /** @type {Record<string, string>} */ ({
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '\u00a9', reg: '\u00ae',
  trade: '\u2122', hellip: '\u2026', mdash: '\u2014', ndash: '\u2013', lsquo: '\u2018', rsquo: '\u2019',
  ldquo: '\u201c', rdquo: '\u201d', laquo: '\u00ab', raquo: '\u00bb', times: '\u00d7', divide: '\u00f7',
  euro: '\u20ac', pound: '\u00a3', yen: '\u00a5', cent: '\u00a2', deg: '\u00b0', plusmn: '\u00b1',
  middot: '\u00b7', bull: '\u2022', para: '\u00b6', sect: '\u00a7', shy: '\u00ad', larr: '\u2190',
  rarr: '\u2192', uarr: '\u2191', darr: '\u2193', hearts: '\u2665', check: '\u2713',
});

export function decode(/** @type {string} */ text) {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});/gi, (whole, body) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return NAMED[body] ?? whole;
  });
}

function el(/** @type {string} */ tag) { return document.createElement(tag); }
