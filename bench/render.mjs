// Rendering a long streamed answer: a 4,000-token markdown answer (bench/render-answer.mjs:
// headings, lists, tables, fenced code) streams through the widget in Chromium from `confab
// serve --replay`, and, in the same browser run and page, through the way most widgets draw a
// reply: marked parsing the whole message again after every token and setting innerHTML. For
// each, the main thread's time is read from a Chromium trace (devtools.timeline): script that
// draws (the widget's animation-frame callbacks; marked's per-token task), style, layout and
// paint, and the longest task. Printed beside the targets of issue 6 (rendering < 150 ms, no
// task > 50 ms, >= 20x less than the whole re-render). Also printed: the widget's rendering per
// drawing (median and 90th percentile), and two floors measured in the same page: as many
// drawings of one word into an empty scroller the size of the log, what any streaming renderer
// pays here; and into the widget's log after the finished answer, what a drawing pays there
// before any markdown is drawn.
//
//   node bench/render.mjs [--tokens N] [--chunk BYTES] [--pace MS] [--widget-only]
//
// --chunk and --pace set how the relay sends the stream (bytes per write, pause between
// writes): the widget draws a streaming reply at an animation frame and at most once every
// STREAM_GAP ms (web/view.js), so the arrival rate and that gap set how often it draws; the
// rate is printed with the figures.
//
// A second widget run gets the same answer in one burst (--burst-chunk bytes per write, no
// pause: a fast provider, or a proxy that buffers the stream and lets it go at once), and prints
// its longest task and rendering: what a reader feels when 4,000 tokens land between two frames.
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launch, startSite, stopAll, repo, requireRealRelay } from '../tests/browser/helpers.mjs';
import { answer } from './render-answer.mjs';

requireRealRelay('bench/render.mjs');

const { values: opts } = parseArgs({ options: {
  tokens: { type: 'string', default: '4000' }, 'widget-only': { type: 'boolean', default: false }, chunk: { type: 'string', default: '512' }, pace: { type: 'string', default: '4' },
  'burst-chunk': { type: 'string', default: '65536' },
} });
const { text, tokens } = answer(Number(opts.tokens));

// The answer as an OpenAI stream: one chunk per token, then the finish and usage.
const dir = mkdtempSync(join(tmpdir(), 'confab-render-'));
const sse = join(dir, 'answer.sse');
const chunk = (delta, extra = {}) => 'data: ' + JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 0,
  model: 'bench', choices: [{ index: 0, delta, finish_reason: null }], ...extra }) + '\n\n';
writeFileSync(sse, chunk({ role: 'assistant', content: '' }) + tokens.map((t) => chunk({ content: t })).join('') +
  'data: ' + JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 0, model: 'bench',
    choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: tokens.length, total_tokens: tokens.length + 10 } }) +
  '\n\ndata: [DONE]\n\n');

// Opens the demo page's widget in a new page of `browser`; marked is added for the comparison.
async function openPage(browser, url) {
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
  await page.goto(url);
  await page.addScriptTag({ content: readFileSync(join(repo, 'node_modules', 'marked', 'lib', 'marked.umd.js'), 'utf8') });
  await page.locator('confab-chat .launcher').click();
  await page.locator('confab-chat textarea').waitFor({ state: 'visible' });
  await page.waitForTimeout(300);
  return page;
}

// Sends one message through the widget and waits for the drawing after its reply ends, between
// the trace stamps confab-widget-start and confab-widget-end.
function streamThroughWidget(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const c = window.Confab.widget;
    const off = c.on('turn_end', (turn) => {
      off();
      requestAnimationFrame(() => setTimeout(() => {
        console.timeStamp('confab-widget-end');
        // The text drawn, as the peer's is compared (see `text drawn` below): no white space, no copy buttons.
        const body = /** @type {Element} */ (document.querySelector('confab-chat').shadowRoot
          .querySelector('.msg.assistant:last-of-type .body').cloneNode(true));
        for (const copy of body.querySelectorAll('.code .copy')) copy.remove();
        resolve({ ms: performance.now() - t0, status: turn.status, text: body.textContent.replace(/\s+/g, '') });
      }));
    });
    console.timeStamp('confab-widget-start');
    const t0 = performance.now();
    c.send('Write the long answer.');
  }));
}

// The main thread's figures between two stamps of a Chromium trace (devtools.timeline), in ms.
function analyse(events) {
  const stamp = (name) => events.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === name);
  const start = stamp('confab-widget-start');
  const main = (e) => e.pid === start.pid && e.tid === start.tid && e.ph === 'X';
  const RENDER = { UpdateLayoutTree: 'style', RecalculateStyles: 'style', Layout: 'layout', PrePaint: 'paint', Paint: 'paint',
    Layerize: 'paint', UpdateLayer: 'paint', CompositeLayers: 'paint', Commit: 'paint' };
  /**
   * Main-thread figures between two stamps, in ms. Events nest (a forced layout inside a script,
   * a paint inside a commit), so each is counted once: style and layout that a script forces (by
   * reading scrollHeight after writing) count as style and layout, taken out of the script's time;
   * anything else inside a counted event belongs to it.
   */
  return (from, to, scriptNames) => {
    const a = stamp(from).ts, b = stamp(to).ts;
    const inside = events.filter((e) => main(e) && e.ts >= a && e.ts + (e.dur ?? 0) <= b).sort((x, y) => x.ts - y.ts || y.dur - x.dur);
    const out = { script: 0, style: 0, layout: 0, paint: 0 };
    // A drawing's share: what is counted from its animation frame to the next one (the frame's
    // style, layout and paint, and any frame the browser draws between, e.g. after the scroll).
    const drawings = [];
    let end = -1;
    let holder = '';
    let forcedEnd = -1;
    for (const e of inside) {
      const kind = scriptNames.includes(e.name) ? 'script' : RENDER[e.name];
      if (!kind) continue;
      if (e.ts < end) {
        if (holder === 'script' && (kind === 'style' || kind === 'layout') && e.ts >= forcedEnd) {
          out[kind] += e.dur / 1000;
          out.script -= e.dur / 1000;
          forcedEnd = e.ts + e.dur;
        }
        continue;
      }
      out[kind] += e.dur / 1000;
      end = e.ts + e.dur;
      holder = kind;
      forcedEnd = -1;
      if (e.name === 'FireAnimationFrame') drawings.push(0);
      if (drawings.length) drawings[drawings.length - 1] += e.dur / 1000;
    }
    drawings.sort((x, y) => x - y);
    const at = (q) => drawings.length ? drawings[Math.min(drawings.length - 1, Math.floor(q * drawings.length))] : 0;
    const tasks = inside.filter((e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask');
    return { ...out, rendering: out.script + out.style + out.layout + out.paint,
      busy: tasks.reduce((n, e) => n + e.dur, 0) / 1000, longest: Math.max(0, ...tasks.map((e) => e.dur)) / 1000,
      frames: inside.filter((e) => e.name === 'FireAnimationFrame').length, tasks: tasks.length,
      drawings: drawings.reduce((n, ms) => n + ms, 0), median: at(0.5), p90: at(0.9) };
  };
}

const site = await startSite(['--replay', sse, '--replay-chunk', opts.chunk, '--replay-pace', opts.pace]);
const browser = await launch();
try {
  const page = await openPage(browser, site.pages.url + '/host.html');

  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });

  // The widget.
  const widget = await streamThroughWidget(page);
  await page.waitForTimeout(300);

  // The floor under any streaming renderer here: as many drawings as the widget had room for (one
  // per 100 ms of its stream), each adding one word to a paragraph and scrolling its scroller to
  // the bottom. In an empty scroller the size of the widget's log: what a drawing costs the
  // browser at the least. Then in the widget's log itself, the paragraph after the finished
  // answer's last block: what a drawing costs there before any markdown is drawn (the most of it,
  // with the whole answer in the log; the widget's drawings had less of it above them).
  const floorIn = (where) => page.evaluate(({ count, where }) => new Promise((resolve) => {
    const p = document.createElement('p');
    const words = p.appendChild(document.createTextNode('Start'));
    let box;
    if (where === 'log') {
      const root = document.querySelector('confab-chat').shadowRoot;
      box = root.querySelector('.log');
      root.querySelector('.msg.assistant:last-of-type .body').append(p);
    } else {
      box = document.createElement('div');
      box.style.cssText = 'position:fixed;left:20px;top:20px;width:398px;height:540px;overflow:auto;background:#fff;font:15px/1.45 system-ui';
      box.append(p);
      document.body.append(box);
    }
    let i = 0;
    const draw = () => {
      words.data += ' word';
      box.scrollTop = box.scrollHeight;
      if (++i < count) return setTimeout(() => requestAnimationFrame(draw), 100);
      requestAnimationFrame(() => setTimeout(() => {
        console.timeStamp(`confab-floor-${where}-end`);
        (where === 'log' ? p : box).remove();
        resolve({ count });
      }));
    };
    console.timeStamp(`confab-floor-${where}-start`);
    requestAnimationFrame(draw);
  }), { count: Math.max(1, Math.round(widget.ms / 100)), where });
  const floor = await floorIn('empty');
  await page.waitForTimeout(300);
  await floorIn('log');
  await page.waitForTimeout(300);

  // marked, the whole message after every token, each token its own task, in a box as wide as the widget's.
  const peer = await page.evaluate((tokens) => new Promise((resolve) => {
    if (!tokens.length) { console.timeStamp('confab-peer-start'); console.timeStamp('confab-peer-end'); return resolve({ ms: 0, text: '' }); }
    const box = document.createElement('div');
    box.style.cssText = 'position:fixed;left:20px;top:20px;width:380px;height:500px;overflow:auto;background:#fff;font:15px/1.45 system-ui';
    document.body.append(box);
    const channel = new MessageChannel();
    let i = 0;
    let text = '';
    console.timeStamp('confab-peer-start');
    const t0 = performance.now();
    channel.port1.onmessage = () => {
      text += tokens[i++];
      box.innerHTML = window.marked.parse(text);
      box.scrollTop = box.scrollHeight;
      if (i < tokens.length) return channel.port2.postMessage(0);
      requestAnimationFrame(() => setTimeout(() => {
        console.timeStamp('confab-peer-end');
        resolve({ ms: performance.now() - t0, text: box.textContent.replace(/\s+/g, '') });
      }));
    };
    channel.port2.postMessage(0);
  }), opts['widget-only'] ? [] : tokens);

  const figures = analyse(JSON.parse((await browser.stopTracing()).toString('utf8')).traceEvents);
  const w = figures('confab-widget-start', 'confab-widget-end', ['FireAnimationFrame']);
  const p = figures('confab-peer-start', 'confab-peer-end', ['EventDispatch', 'FunctionCall', 'FireAnimationFrame']);
  const floored = figures('confab-floor-empty-start', 'confab-floor-empty-end', ['FireAnimationFrame']);
  const flooredLog = figures('confab-floor-log-start', 'confab-floor-log-end', ['FireAnimationFrame']);

  // The same answer in one burst, in a page of its own.
  const burstSite = await startSite(['--replay', sse, '--replay-chunk', opts['burst-chunk'], '--replay-pace', '0']);
  const burstPage = await openPage(browser, burstSite.pages.url + '/host.html');
  await browser.startTracing(burstPage, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  const burstRun = await streamThroughWidget(burstPage);
  await burstPage.waitForTimeout(300);
  const burst = analyse(JSON.parse((await browser.stopTracing()).toString('utf8')).traceEvents)(
    'confab-widget-start', 'confab-widget-end', ['FireAnimationFrame']);

  const f = (n) => n.toFixed(1).padStart(8);
  console.log(`answer: ${tokens.length} tokens, ${text.length} characters, ${(text.match(/^```/gm) ?? []).length / 2} code blocks, ` +
    `${(text.match(/^\|---/gm) ?? []).length} tables; streamed by confab serve --replay in ${(widget.ms / 1000).toFixed(1)} s ` +
    `(${Math.round(tokens.length / (widget.ms / 1000))} tokens/s; --chunk ${opts.chunk} --pace ${opts.pace}), status ${widget.status}\n`);
  console.log('main thread, ms            widget   marked (whole message per token)');
  for (const [label, key] of [['drawing script', 'script'], ['style', 'style'], ['layout', 'layout'], ['paint', 'paint'],
    ['rendering in all', 'rendering'], ['busy in all', 'busy'], ['longest task', 'longest']])
    console.log(`${label.padEnd(24)} ${f(w[key])} ${f(p[key])}`);
  console.log(`${'animation frames'.padEnd(24)} ${String(w.frames).padStart(8)} ${String(p.frames).padStart(8)}`);
  console.log(`\nper drawing (the rendering from one animation frame to the next): median ${w.median.toFixed(1)} ms, ` +
    `90th percentile ${w.p90.toFixed(1)} ms; before the first ${(w.rendering - w.drawings).toFixed(1)} ms`);
  console.log(`floor: ${floor.count} drawings of one word into an empty scroller, 100 ms apart: ${floored.rendering.toFixed(1)} ms ` +
    `(median ${floored.median.toFixed(1)} ms a drawing)`);
  console.log(`       in the widget's log, after the finished answer: ${flooredLog.rendering.toFixed(1)} ms (median ` +
    `${flooredLog.median.toFixed(1)} ms a drawing); the widget's rendering less this: ${(w.rendering - flooredLog.rendering).toFixed(1)} ms`);
  console.log(`\nrendering: widget ${w.rendering.toFixed(1)} ms (target < 150), marked ${p.rendering.toFixed(1)} ms: ` +
    `${(p.rendering / w.rendering).toFixed(1)}x less (target >= 20x)`);
  console.log(`longest task: widget ${w.longest.toFixed(1)} ms (target <= 50), marked ${p.longest.toFixed(1)} ms`);
  // marked's HTML keeps line breaks between its tags, and the widget's code blocks have copy
  // buttons: compared without either, both must have drawn the same text.
  console.log(`text drawn (without white space and copy buttons): widget ${widget.text.length} characters, ` +
    (peer.text ? `marked ${peer.text.length}: ${widget.text === peer.text ? 'the same text' : 'NOT the same text'}` : 'marked not run'));
  console.log(`\nin one burst (--replay-chunk ${opts['burst-chunk']}, no pause; status ${burstRun.status}, ${(burstRun.ms / 1000).toFixed(1)} s): ` +
    `longest task ${burst.longest.toFixed(1)} ms (target <= 50), rendering ${burst.rendering.toFixed(1)} ms in ${burst.frames} drawings, ` +
    `${burstRun.text.length} characters drawn${burstRun.text === widget.text ? ', the same text' : ', NOT the same text as paced'}`);
} finally {
  await browser.close();
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
