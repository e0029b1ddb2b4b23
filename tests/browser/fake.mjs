// A stand-in for `confab serve`, for developing the widget before the relay exists in the tree:
// the same command line contract (--port, --static, --replay, --faults, --allow-origin,
// --demo-pace; first stdout line {"event":"listening","url":...}), static files, the demo
// model and the faults of docs/relay.md as the widget's tests use them. The tests run against
// the real binary whenever CONFAB_BIN names one that has `serve` (helpers.mjs).
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, extname, resolve } from 'node:path';

const args = process.argv.slice(2);
const options = { port: 0, static: null, replay: [], faults: false, allowOrigin: [], pace: 20 };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--port') options.port = Number(args[++i]);
  else if (a === '--static') options.static = resolve(args[++i]);
  else if (a === '--replay') options.replay.push(resolve(args[++i]));
  else if (a === '--faults') options.faults = true;
  else if (a === '--allow-origin') options.allowOrigin.push(args[++i]);
  else if (a === '--demo-pace') options.pace = Number(args[++i]);
}
let nextReplay = 0;  // --replay: each request gets the next file, then the first again
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.css': 'text/css' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cors(req, res) {
  const origin = req.headers.origin;
  if (origin && options.allowOrigin.includes(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
  }
}

const server = createServer(async (req, res) => {
  cors(req, res);
  const url = new URL(req.url, 'http://x');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Confab-Session, X-Confab-Fault');
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'GET' && url.pathname === '/v1/models') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'confab-demo', object: 'model' }, { id: 'confab-demo-reasoner', object: 'model' }] }));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/v1/chat/completions') {
    let body = '';
    for await (const chunk of req) body += chunk;
    return chat(req, res, JSON.parse(body));
  }
  if (req.method === 'GET' && options.static) {
    const file = join(options.static, url.pathname === '/' ? 'shell.html' : decodeURIComponent(url.pathname));
    if (file.startsWith(options.static) && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
      return;
    }
  }
  res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"message":"not found"}}');
});

// X-Confab-Fault, as docs/relay.md specifies it: "drop-after=BYTES,status=429;retry-after=1,...".
function fault(req) {
  if (!options.faults) return {};
  const f = {};
  for (const item of String(req.headers['x-confab-fault'] ?? '').split(',')) {
    for (const part of item.split(';')) {
      const [k, v] = part.split('=').map((s) => s?.trim());
      if (k) f[k] = v;
    }
  }
  return f;
}

async function chat(req, res, request) {
  const f = fault(req);
  if (f.status) {
    const headers = { 'Content-Type': 'application/json' };
    if (f['retry-after']) headers['Retry-After'] = f['retry-after'];
    res.writeHead(Number(f.status), headers);
    res.end(JSON.stringify({ error: { message: `fault injected by X-Confab-Fault: HTTP ${f.status}`, type: 'relay_fault', code: 'fault' } }));
    return;
  }
  const bytes = options.replay.length ? readFileSync(options.replay[nextReplay++ % options.replay.length]) : Buffer.from(demo(request));
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
  const pace = Number(f.slow ?? (options.replay.length ? 0 : options.pace));
  // Events end with a blank line; corrupt-event=N breaks the Nth one's JSON (1-based).
  const events = bytes.toString('latin1').split(/(?<=\n\n|\r\n\r\n)/);
  let sent = 0;
  for (let i = 0; i < events.length; i++) {
    if (res.destroyed) return;
    let piece = Buffer.from(events[i], 'latin1');
    if (f['corrupt-event'] !== undefined && i + 1 === Number(f['corrupt-event'])) piece = Buffer.from(events[i].replace('{', '#'), 'latin1');
    for (const limit of ['drop-after', 'stall-after']) {
      if (f[limit] === undefined || sent + piece.length <= Number(f[limit])) continue;
      res.write(piece.subarray(0, Number(f[limit]) - sent));
      if (limit === 'drop-after') res.socket.destroy();
      return;  // stall: nothing more until the client leaves
    }
    res.write(piece);
    sent += piece.length;
    if (pace) await sleep(pace);
  }
  res.end();
}

function chunk(delta, extra = {}) {
  return 'data: ' + JSON.stringify({ id: 'demo', object: 'chat.completion.chunk', model: 'confab-demo',
    choices: [{ index: 0, delta, finish_reason: null }], ...extra }) + '\n\n';
}

function demo(request) {
  const messages = request.messages ?? [];
  const last = messages[messages.length - 1] ?? {};
  let out = '';
  const done = (reason) => {
    out += 'data: ' + JSON.stringify({ id: 'demo', object: 'chat.completion.chunk', model: 'confab-demo',
      choices: [{ index: 0, delta: {}, finish_reason: reason }] }) + '\n\n';
    out += 'data: ' + JSON.stringify({ id: 'demo', object: 'chat.completion.chunk', choices: [],
      usage: { prompt_tokens: 20, completion_tokens: 30, total_tokens: 50 } }) + '\n\n';
    out += 'data: [DONE]\n\n';
    return out;
  };
  if (request.model === 'confab-demo-reasoner')
    for (const word of 'Let me think about this for a moment.'.split(/(?<= )/)) out += chunk({ reasoning_content: word });
  if (last.role === 'tool') {
    for (const word of `The tool answered: ${last.content}`.split(/(?<= )/)) out += chunk({ content: word });
    return done('stop');
  }
  const text = String(last.content ?? '');
  const tool = (request.tools ?? []).find((t) => text.includes(t.function.name));
  if (tool) {
    const args = {};
    const params = tool.function.parameters ?? {};
    const after = text.slice(text.indexOf(tool.function.name) + tool.function.name.length).trim().split(/\s+/);
    let word = 0;
    for (const name of params.required ?? []) args[name] = after[word++] ?? 'demo';
    const json = JSON.stringify(args);
    out += chunk({ tool_calls: [{ index: 0, id: 'call_demo_1', type: 'function', function: { name: tool.function.name, arguments: '' } }] });
    for (let i = 0; i < json.length; i += 5) out += chunk({ tool_calls: [{ index: 0, function: { arguments: json.slice(i, i + 5) } }] });
    return done('tool_calls');
  }
  const reply = `You said: **${text}**.\n\nHere is what I can do:\n\n- answer questions\n- call tools\n\n` +
    'A table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```js\nconsole.log("hi");\n```\n\nThat is all for now.';
  for (const word of reply.split(/(?<= )/)) out += chunk({ content: word });
  return done('stop');
}

server.listen(options.port, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${server.address().port}` }));
});
