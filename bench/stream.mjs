#!/usr/bin/env node
// Stream-reading throughput: the core in WebAssembly (SSE parser + chunk assembler, built
// by `cmake --build --preset wasm --target stream_module` as build/wasm/bench/stream_module.cjs)
// against the usual JavaScript
// way, eventsource-parser 3.1.1 + JSON.parse + string accumulation, in the same process
// on the same bytes cut at the same random places.
//
//   node bench/stream.mjs [--rounds N] [--module PATH]
//
// The stream: 20,000 chunks: text with multi-byte UTF-8 (accents, CJK, emoji), then a
// parallel tool call (two calls) whose arguments arrive in thousands of fragments, a finish
// chunk, a usage chunk and [DONE]. Both readers must assemble the same message; the script
// checks that before it prints any figure.
import { createParser } from 'eventsource-parser';
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const rounds = Number(option('--rounds', 7));
const modulePath = resolve(option('--module', join(here, '..', 'build', 'wasm', 'bench', 'stream_module.cjs')));

// ---- the stream ---------------------------------------------------------------------
function makeStream(chunks) {
  const head = '{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1727346172,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_5050236cbd","choices":[{"index":0,';
  const words = ['The ', 'café ', 'naïve ', '你好', '世界 ', 'emoji 😀 ', 'Straße ', 'über ', 'and ', 'so ', 'on. ', '\\n', '\\"quoted\\" '];
  const lines = [`data: ${head}"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`];
  const textChunks = Math.floor(chunks * 0.6);
  for (let i = 0; i < textChunks; i++) {
    lines.push(`data: ${head}"delta":{"content":"${words[i % words.length]}"},"logprobs":null,"finish_reason":null}]}\n\n`);
  }
  const toolChunks = chunks - textChunks - 4;
  for (const index of [0, 1]) {
    lines.push(`data: ${head}"delta":{"tool_calls":[{"index":${index},"id":"call_${index}","type":"function","function":{"name":"search_${index}","arguments":""}}]},"logprobs":null,"finish_reason":null}]}\n\n`);
  }
  const pieces = ['{\\"', 'query', '\\":\\"', 'Zürich ', 'weather ', '東京 ', '\\",\\"', 'n\\":', '12', ',\\"x\\":[1,2]}'];
  for (let i = 0; i < toolChunks; i++) {
    lines.push(`data: ${head}"delta":{"tool_calls":[{"index":${i % 2},"function":{"arguments":"${pieces[i % pieces.length]}"}}]},"logprobs":null,"finish_reason":null}]}\n\n`);
  }
  lines.push(`data: ${head}"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}\n\n`);
  lines.push('data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1727346172,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":120,"completion_tokens":20000,"total_tokens":20120}}\n\n');
  lines.push('data: [DONE]\n\n');
  return new TextEncoder().encode(lines.join(''));
}

function randomCuts(length, seed, maxSize) {
  const cuts = [];
  let state = seed >>> 0;
  for (let at = 0; at < length;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const size = 1 + (state % maxSize);
    cuts.push([at, Math.min(length, at + size)]);
    at += size;
  }
  return cuts;
}

// ---- peer: eventsource-parser + JSON.parse + accumulation ------------------------------
function readWithJs(bytes, cuts) {
  const out = { content: '', reasoning: '', tool_calls: [], finish_reason: null, usage: null, errors: [] };
  const calls = new Map();
  const parser = createParser({
    onEvent(event) {
      if (event.data === '[DONE]') return;
      const chunk = JSON.parse(event.data);
      if (chunk.error != null) out.errors.push(chunk.error);
      if (chunk.usage != null) out.usage = chunk.usage;
      for (const choice of chunk.choices ?? []) {
        if ((choice.index ?? 0) !== 0) continue;
        const delta = choice.delta;
        if (delta) {
          if (typeof delta.content === 'string') out.content += delta.content;
          if (typeof delta.reasoning_content === 'string') out.reasoning += delta.reasoning_content;
          for (const call of delta.tool_calls ?? []) {
            let acc = calls.get(call.index);
            if (!acc) calls.set(call.index, (acc = { index: call.index, id: null, type: 'function', function: { name: '', arguments: '' } }));
            if (call.id) acc.id = call.id;
            if (call.function?.name) acc.function.name = call.function.name;
            if (typeof call.function?.arguments === 'string') acc.function.arguments += call.function.arguments;
          }
        }
        if (choice.finish_reason != null) out.finish_reason = choice.finish_reason;
      }
    },
  });
  const decoder = new TextDecoder();
  for (const [from, to] of cuts) parser.feed(decoder.decode(bytes.subarray(from, to), { stream: true }));
  parser.feed(decoder.decode());
  out.tool_calls = [...calls.values()].sort((a, b) => a.index - b.index);
  return out;
}

// ---- the core in WebAssembly ------------------------------------------------------------
async function loadCore() {
  const factory = createRequire(import.meta.url)(modulePath);
  const core = await factory();
  return (bytes, cuts) => {
    const reader = core._stream_new();
    let capacity = 1 << 16;
    let buffer = core._malloc(capacity);
    for (const [from, to] of cuts) {
      const size = to - from;
      if (size > capacity) {
        core._free(buffer);
        capacity = size;
        buffer = core._malloc(capacity);
      }
      core.HEAPU8.set(bytes.subarray(from, to), buffer);
      core._stream_feed(reader, buffer, size);
    }
    const message = JSON.parse(core.UTF8ToString(core._stream_finish(reader)));
    core._free(buffer);
    core._stream_delete(reader);
    return message;
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const bytes = makeStream(20000);
const cuts = randomCuts(bytes.length, 42, 1024);
const readWithCore = await loadCore();

const fromCore = readWithCore(bytes, cuts);
const fromJs = readWithJs(bytes, cuts);
for (const key of ['content', 'tool_calls', 'finish_reason', 'usage', 'errors']) {
  if (!isDeepStrictEqual(fromCore[key], fromJs[key])) {
    console.error(`stream bench: the two readers disagree on ${key}:\n  core: ${JSON.stringify(fromCore[key]).slice(0, 300)}\n  peer: ${JSON.stringify(fromJs[key]).slice(0, 300)}`);
    process.exit(1);
  }
}

const timings = { core: [], js: [] };
for (let round = 0; round < rounds; round++) {
  // Alternate the order so neither reader always runs on a warmer machine.
  const order = round % 2 ? ['js', 'core'] : ['core', 'js'];
  for (const who of order) {
    const start = performance.now();
    (who === 'core' ? readWithCore : readWithJs)(bytes, cuts);
    timings[who].push(performance.now() - start);
  }
}
const mb = bytes.length / 1e6;
const coreRate = mb / (median(timings.core) / 1000);
const jsRate = mb / (median(timings.js) / 1000);
console.log(`stream: ${bytes.length} bytes, 20000 chunks, ${cuts.length} reads of 1..1024 bytes, median of ${rounds} rounds`);
console.log(`stream: confab core (WebAssembly)           ${coreRate.toFixed(1).padStart(7)} MB/s`);
console.log(`stream: eventsource-parser + JSON.parse     ${jsRate.toFixed(1).padStart(7)} MB/s   (peer)`);
console.log(`stream: ratio core / peer                   ${(coreRate / jsRate).toFixed(2).padStart(7)}x`);
