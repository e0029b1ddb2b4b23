// `confab tokens` through the real binary: its output shape, the chat format's overhead in
// --messages, one answer per line in --lines, and its refusals. The estimate's accuracy is
// measured by bench/tokens.mjs, not here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { confab } from './confab-bin.mjs';

function tokens(args, input) {
  const run = spawnSync(confab, ['tokens', ...args], { input });
  return { status: run.status, stdout: run.stdout.toString('utf8'), stderr: run.stderr.toString('utf8') };
}
const json = (run) => {
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
};

test('tokens: plain text prints tokens, code points and bytes, in that order', () => {
  const run = tokens(['-'], 'Hello world, this is a test. 你好 😀');
  assert.equal(run.status, 0);
  assert.match(run.stdout, /^\{"tokens": \d+, "chars": \d+, "bytes": \d+\}\n$/);
  const out = JSON.parse(run.stdout);
  assert.equal(out.chars, 33);
  assert.equal(out.bytes, 40);
  assert.ok(out.tokens >= 8 && out.tokens <= 16, `tokens ${out.tokens}`);
});

test('tokens: empty input is zero tokens', () => {
  assert.deepEqual(json(tokens(['-'], '')), { tokens: 0, chars: 0, bytes: 0 });
});

test('tokens: invalid UTF-8 is counted, one per bad byte', () => {
  const out = json(tokens(['-'], Buffer.from([0x61, 0xff, 0xfe, 0x62])));
  assert.equal(out.bytes, 4);
  assert.equal(out.chars, 4);
  assert.ok(out.tokens >= 3);
});

test('tokens: --messages adds each message\'s overhead and the reply priming', () => {
  const one = [{ role: 'user', content: 'Hello world, this is a test.' }];
  const text = json(tokens(['-'], one[0].content)).tokens;
  const out = json(tokens(['--messages', '-'], JSON.stringify(one)));
  assert.deepEqual(out, { tokens: text + 4 + 3, messages: 1, per_message: [text + 4] });

  const conversation = [
    { role: 'system', content: 'Be brief.' },
    ...one,
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
  ];
  const all = json(tokens(['--messages', '-'], JSON.stringify(conversation)));
  assert.equal(all.messages, 4);
  assert.equal(all.tokens, all.per_message.reduce((a, b) => a + b, 0) + 3);
});

test('tokens: --lines answers each line in order, and --messages --lines each array', () => {
  const lines = ['"one two three"', '', '"你好，世界"', '"😀😀"'].join('\n');
  const outs = tokens(['--lines', '-'], lines).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(outs.length, 3);
  assert.deepEqual(outs[0], json(tokens(['-'], 'one two three')));
  assert.deepEqual(outs[1], json(tokens(['-'], '你好，世界')));
  const arrays = [[{ role: 'user', content: 'Hi' }], []].map((a) => JSON.stringify(a)).join('\n');
  const answers = tokens(['--messages', '--lines', '-'], arrays).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(answers.length, 2);
  assert.deepEqual(answers[1], { tokens: 3, messages: 0, per_message: [] });
});

test('tokens: invalid input exits 1 with the reason and prints nothing', () => {
  const cases = [
    [['--messages', '-'], '{not json', /not JSON/],
    [['--messages', '-'], '{"role":"user"}', /not a JSON array of messages/],
    [['--messages', '-'], '[{"role":"robot","content":"hi"}]', /messages\[0\]\.role: unknown role "robot"/],
    [['--messages', '-'], '[{"role":"user","content":3}]', /messages\[0\]/],
    [['--lines', '-'], '"ok"\n42\n', /line 2 is not a JSON string/],
    [['--messages', '--lines', '-'], '[]\n[{"role":"robot"}]\n', /line 2: messages\[0\]\.role/],
  ];
  for (const [args, input, reason] of cases) {
    const run = tokens(args, input);
    assert.equal(run.status, 1, `${args} ${input}`);
    assert.match(run.stderr, reason);
    assert.equal(run.stdout, '');
  }
  const missing = spawnSync(confab, ['tokens', 'no-such-file.txt']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr.toString(), /no-such-file\.txt: No such file or directory/);
});

test('tokens: bad usage exits 2', () => {
  assert.equal(tokens([], '').status, 2);
  assert.equal(tokens(['--frobnicate', '-'], '').status, 2);
  assert.equal(tokens(['a', 'b'], '').status, 2);
  assert.equal(tokens(['--help'], '').status, 0);
});

test('tokens: --messages --lines with reported counts calibrates the lines after each report', () => {
  const request = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'How far is the moon from the earth?' }];
  const plain = json(tokens(['--messages', '-'], JSON.stringify(request))).tokens;
  const lines = [
    { messages: request, prompt_tokens: 2 * plain },  // this provider counts twice what we estimate
    request,                                           // a line without a report is estimated, calibrated
    { messages: request, prompt_tokens: 2 * plain },
  ].map((l) => JSON.stringify(l)).join('\n');
  const outs = tokens(['--messages', '--lines', '-'], lines).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(outs.length, 3);
  assert.equal(outs[0].tokens, plain, 'no report before the first line');
  assert.equal(outs[0].uncalibrated, plain);
  assert.equal(outs[1].tokens, 2 * plain, 'calibrated by the first report');
  assert.equal(outs[1].uncalibrated, undefined, 'only lines with a report say it');
  assert.equal(outs[2].tokens, 2 * plain);
  assert.equal(outs[2].uncalibrated, plain);
  const bad = tokens(['--messages', '--lines', '-'], JSON.stringify({ messages: request, prompt_tokens: 'many' }));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /line 1: expected \{"messages": \[\.\.\.\]\[, "tools": \[\.\.\.\]\]\[, "prompt_tokens": N\]\}/);
  const orphan = tokens(['--messages', '--lines', '-'], JSON.stringify({ messages: request, reply: request[1], completion_tokens: 3 }));
  assert.equal(orphan.status, 1);
  assert.match(orphan.stderr, /line 1: "reply" and "completion_tokens" come with "prompt_tokens"/);
});

test('tokens: --messages counts a request body\'s tool definitions, written flat or in the wire shape', () => {
  const messages = [{ role: 'user', content: 'What is the weather like in Lisbon?' }];
  const weather = { name: 'get_weather', description: 'Get the current weather in a given location.',
    parameters: { type: 'object', required: ['location'], properties: {
      location: { type: 'string', description: 'The city and country, e.g. Lisbon, Portugal' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } } } };
  const plain = json(tokens(['--messages', '-'], JSON.stringify(messages)));
  assert.equal(plain.tools, undefined, 'an array of messages says nothing of tools');
  const flat = json(tokens(['--messages', '-'], JSON.stringify({ model: 'gpt-4o', messages, tools: [weather] })));
  assert.ok(flat.tools > 30 && flat.tools < 80, `tools ${flat.tools}`);
  assert.equal(flat.tokens, plain.tokens + flat.tools);
  assert.deepEqual(flat.per_message, plain.per_message);
  const wire = json(tokens(['--messages', '-'], JSON.stringify({ messages, tools: [{ type: 'function', function: weather }] })));
  assert.deepEqual(wire, flat);
  assert.equal(json(tokens(['--messages', '-'], JSON.stringify({ messages, tools: [] }))).tools, 0);
  // Told the tools, a provider's count of request and tools as estimated teaches a factor of 1:
  // the next, grown request is the count plus the new messages, uncalibrated.
  const grown = [...messages, { role: 'assistant', content: 'Sunny, 21 °C.' }, { role: 'user', content: 'And tomorrow?' }];
  const told = tokens(['--messages', '--lines', '-'], [{ messages, tools: [weather], prompt_tokens: flat.tokens }, { messages: grown, tools: [weather] }]
    .map((l) => JSON.stringify(l)).join('\n')).stdout.trim().split('\n').map((l) => JSON.parse(l));
  const grownPlain = json(tokens(['--messages', '-'], JSON.stringify({ messages: grown, tools: [weather] })));
  assert.equal(told[1].tokens, grownPlain.tokens);
  const bad = tokens(['--messages', '-'], JSON.stringify({ messages, tools: { weather } }));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /"tools" is not an array of tool definitions/);
});

test('tokens: --messages --lines with a reply and its completion_tokens: the reply teaches the factor and is counted as reported', () => {
  const request = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'How far is the moon from the earth?' }];
  const reply = { role: 'assistant', content: 'About 384,400 km on average: it varies from about 363,000 km at perigee to 405,000 km at apogee, so light takes a little over a second to cross it.' };
  const text = json(tokens(['-'], reply.content)).tokens;
  const grown = [...request, reply, { role: 'user', content: 'And the sun?' }];
  const lines = [
    // 300 tokens of tools beside a short request: no factor from that; the reply's count is 1.5 times our estimate.
    { messages: request, prompt_tokens: 300, reply, completion_tokens: Math.round(1.5 * text) },
    grown,
  ].map((l) => JSON.stringify(l)).join('\n');
  const outs = tokens(['--messages', '--lines', '-'], lines).stdout.trim().split('\n').map((l) => JSON.parse(l));
  const rest = json(tokens(['--messages', '-'], JSON.stringify(grown))).tokens - json(tokens(['--messages', '-'], JSON.stringify(request))).tokens - text;
  assert.equal(outs[1].tokens, 300 + Math.round(1.5 * text) + Math.ceil(rest * (Math.round(1.5 * text) / text)));
  for (const wrong of [{ reply }, { completion_tokens: 10 }, { reply, completion_tokens: 'ten' }]) {
    const bad = tokens(['--messages', '--lines', '-'], JSON.stringify({ messages: request, prompt_tokens: 300, ...wrong }));
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /line 1: "reply" and "completion_tokens" \(an integer\) go together/);
  }
});

test('tokens: --profile adds what the estimate counted, and is for plain text only', () => {
  const out = json(tokens(['--profile', '-'], 'Déjà vu: 程序员 🎉 ┌ 为什么'));
  assert.deepEqual(Object.keys(out), ['tokens', 'chars', 'bytes', 'profile']);
  assert.equal(out.profile.ascii_words, 2);      // "Déjà" (accents go on the word) and "vu"
  assert.equal(out.profile.latin_letters, 2);
  assert.equal(out.profile.han_chars, 6);
  assert.equal(out.profile.han_pairs, 1);        // 程序 is one o200k_base token
  assert.equal(out.profile.han_triples, 1);      // and so is 为什么
  assert.equal(out.profile.emoji, 1);
  assert.equal(out.profile.emoji_tokens, 2);     // 🎉 is two
  assert.equal(out.profile.symbol_tokens, 2);    // so is ┌
  assert.ok(Object.values(out.profile).every(Number.isInteger));
  const lines = tokens(['--profile', '--lines', '-'], '"a"\n"b c"').stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.profile.ascii_words), [1, 2]);
  assert.equal(tokens(['--messages', '--profile', '-'], '[]').status, 2);
});

test('core/o200k_tables.h is what scripts/token-tables.mjs derives from the pinned js-tiktoken', () => {
  const script = fileURLToPath(new URL('../../scripts/token-tables.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [script, '--check']);
  assert.equal(run.status, 0, run.stderr.toString());
});
