// The demo model: what `confab serve` answers with when no provider is configured. Its
// streams are read back through the core's own assembler (`confab replay -`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startRelay, postChat, raw, assemble, stopAll } from './helpers.mjs';

after(stopAll);

const tools = [
  { type: 'function', function: { name: 'get_time', description: 'Current time in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'lookup_order', description: 'Status of an order', parameters: { type: 'object', properties: { order_id: { type: 'string' }, verbose: { type: 'boolean' } }, required: ['order_id'] } } },
];

let relay;
test('demo: listed by /v1/models, healthz answers', async () => {
  relay = await startRelay([]);
  const models = JSON.parse((await raw(`${relay.url}/v1/models`)).body);
  const ids = models.data.map((m) => m.id);
  assert.ok(ids.includes('confab-demo') && ids.includes('confab-demo-reasoner'), ids.join());
  assert.equal(models.object, 'list');
  assert.deepEqual(JSON.parse((await raw(`${relay.url}/healthz`)).body), { status: 'ok' });
});

test('demo: a streamed markdown answer, labelled as a demo, with usage', async () => {
  const body = JSON.stringify({ model: 'confab-demo', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'What is this?' }] });
  const reply = await postChat(relay.url, body);
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['content-type'], 'text/event-stream');
  const message = await assemble(reply.body);
  assert.match(message.content, /demo model/);
  assert.match(message.content, /^## /m);
  assert.match(message.content, /\|---\|/);
  assert.match(message.content, /```sh/);
  assert.equal(message.finish_reason, 'stop');
  assert.ok(message.usage.prompt_tokens > 0 && message.usage.completion_tokens > 0);
  assert.equal(message.usage.total_tokens, message.usage.prompt_tokens + message.usage.completion_tokens);
  assert.deepEqual(message.errors, []);
  const again = await postChat(relay.url, body);
  assert.equal((await assemble(again.body)).content, message.content, 'deterministic');
});

test('demo: the reasoner streams reasoning first; stream:false gives one completion', async () => {
  const reasoned = await postChat(relay.url, JSON.stringify({ model: 'confab-demo-reasoner', stream: true, messages: [{ role: 'user', content: 'Think' }] }));
  const message = await assemble(reasoned.body);
  assert.match(message.reasoning, /demo reasoner/);
  const text = reasoned.body.toString();
  assert.ok(text.indexOf('reasoning_content') < text.indexOf('"content":"#'), 'reasoning before content');

  const whole = await postChat(relay.url, JSON.stringify({ model: 'chat', stream: false, messages: [{ role: 'user', content: 'Hi' }] }));
  assert.equal(whole.status, 200);
  assert.match(whole.headers['content-type'], /^application\/json/);
  const completion = JSON.parse(whole.body);
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, 'confab-demo');
  assert.match(completion.choices[0].message.content, /demo model/);
  assert.ok(completion.usage.prompt_tokens > 0);
});

test('demo: the tool loop — a named tool is called with valid arguments, and its result is used', async () => {
  const first = [{ role: 'user', content: 'Please use get_time for Paris' }];
  const call = await assemble((await postChat(relay.url, JSON.stringify({ model: 'confab-demo', stream: true, tools, messages: first }))).body);
  assert.equal(call.finish_reason, 'tool_calls');
  assert.equal(call.tool_calls.length, 1);
  assert.equal(call.tool_calls[0].function.name, 'get_time');
  assert.deepEqual(JSON.parse(call.tool_calls[0].function.arguments), { city: 'Paris' });

  const second = [
    ...first,
    { role: 'assistant', content: null, tool_calls: [{ id: call.tool_calls[0].id, type: 'function', function: call.tool_calls[0].function }] },
    { role: 'tool', tool_call_id: call.tool_calls[0].id, content: '{"time":"14:05","zone":"Europe/Paris"}' },
  ];
  const answer = await assemble((await postChat(relay.url, JSON.stringify({ model: 'confab-demo', stream: true, tools, messages: second }))).body);
  assert.equal(answer.finish_reason, 'stop');
  assert.match(answer.content, /`get_time`/);
  assert.match(answer.content, /14:05/);
  assert.match(answer.content, /\| zone \| Europe\/Paris \|/);

  const order = JSON.parse((await postChat(relay.url, JSON.stringify({ model: 'confab-demo', stream: false, tools, messages: [{ role: 'user', content: 'lookup_order #A-1042 please' }] }))).body);
  const orderCall = order.choices[0].message.tool_calls[0];
  assert.equal(orderCall.function.name, 'lookup_order');
  assert.deepEqual(JSON.parse(orderCall.function.arguments), { order_id: 'A-1042' });
});

test('demo: --demo-pace spreads the reply over time, in many pieces', async () => {
  const paced = await startRelay(['--demo-pace', '5']);
  const { port } = new URL(paced.url);
  const arrivals = await new Promise((resolve, reject) => {
    const times = [];
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.on('data', () => times.push(Date.now()));
      res.on('end', () => resolve(times));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'confab-demo', stream: true, messages: [{ role: 'user', content: 'pace' }] }));
  });
  assert.ok(arrivals.length > 20, `${arrivals.length} reads`);
});
