// The desktop harness run headless under Xvfb, as CI runs it: it sends a message to an upstream
// on 127.0.0.1, waits for the turn, writes a PNG of its window and prints what it drew. The
// upstream is `confab serve --replay` with a recorded stream when this build's confab has the
// relay, else a small Node server that streams the same recording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';

const desktop = process.env.CONFAB_DESKTOP_BIN;
const confab = process.env.CONFAB_BIN;
if (!desktop) throw new Error('CONFAB_DESKTOP_BIN must name the confab-desktop binary (CTest sets it)');
const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'fixtures');
const fixture = join(fixtures, 'openai-text-plain.sse');
const expected = JSON.parse(readFileSync(join(fixtures, 'openai-text-plain.expected.json'), 'utf8'));
const screenshot = process.env.CONFAB_DESKTOP_SCREENSHOT ?? join(mkdtempSync(join(tmpdir(), 'confab-shot-')), 'desktop-screenshot.png');
const windows = ['Chat', 'Request', 'Stream', 'Tools', 'Cost', 'Settings'];

// GL and X libraries keep allocations for the life of the process; LeakSanitizer would report
// them as ours. Everything else the sanitizers check stays on.
const env = { ...process.env, ASAN_OPTIONS: `${process.env.ASAN_OPTIONS ?? ''}:detect_leaks=0` };

function relayAvailable() {
  if (!confab) return false;
  const probe = spawnSync(confab, ['serve', '--help'], { encoding: 'utf8', timeout: 5000 });
  return probe.status === 0 && /--replay/.test(probe.stdout + probe.stderr);
}

// `confab serve --port 0 --replay FILE` answers each request with the recorded stream.
async function startRelay(file) {
  const child = spawn(confab, ['serve', '--port', '0', '--replay', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        try {
          const first = JSON.parse(line);
          if (first.event === 'listening') resolve(first.url);
          else reject(new Error(`unexpected first line: ${line}`));
        } catch (e) {
          reject(new Error(`not JSON: ${line}`));
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`confab serve exited ${code}: ${err}`)));
  });
  return { url: `${url}/v1`, model: 'confab-demo', seen: null, kind: 'confab serve --replay', close: () => child.kill('SIGTERM') };
}

// The stand-in: streams the recording in 13-byte pieces, as a provider would.
async function startNodeUpstream(file) {
  const bytes = readFileSync(file);
  const seen = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      seen.push({ url: req.url, body: JSON.parse(body) });
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      for (let at = 0; at < bytes.length; at += 13) {
        res.write(bytes.subarray(at, at + 13));
        await new Promise((r) => setTimeout(r, 1));
      }
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, model: 'gpt-test', seen, kind: 'node upstream', close: () => server.close() };
}

function runDesktop(args) {
  // The X authority file is ours (-f): with its own temporary folder, xvfb-run removes that
  // folder while Xvfb and xauth may still touch it, and now and then fails with exit status 5
  // ("problem while cleaning up temporary directory") after the desktop itself exited cleanly.
  const xauth = mkdtempSync(join(tmpdir(), 'confab-xauth-'));
  return new Promise((resolve) => {
    const child = spawn('xvfb-run', ['-a', '-f', join(xauth, 'Xauthority'), '-s', '-screen 0 1280x1024x24', desktop, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(xauth, { recursive: true, force: true, maxRetries: 5 });
      const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      resolve({ code, stdout, stderr, facts: line ? JSON.parse(line) : null });
    });
  });
}

// A PNG reader for what stb writes (8-bit RGBA or RGB, not interlaced): the pixels, to look at.
function readPng(path) {
  const data = readFileSync(path);
  assert.deepEqual([...data.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let at = 8;
  let width = 0, height = 0, channels = 0;
  const idat = [];
  while (at < data.length) {
    const length = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    const body = data.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8, 'bit depth');
      channels = { 2: 3, 6: 4 }[body[9]];
      assert.ok(channels, `colour type ${body[9]}`);
      assert.equal(body[12], 0, 'not interlaced');
    } else if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; ++y) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; ++x) {
      const value = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

function distinctColours({ width, height, channels, pixels }, x0 = 0, y0 = 0, x1 = width, y1 = height) {
  const colours = new Set();
  for (let y = y0; y < y1; ++y)
    for (let x = x0; x < x1; ++x) {
      const i = (y * width + x) * channels;
      colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
    }
  return colours.size;
}

test('desktop: --send streams one turn from the upstream, and the screenshot shows every window', async (t) => {
  const upstream = relayAvailable() ? await startRelay(fixture) : await startNodeUpstream(fixture);
  t.diagnostic(`upstream: ${upstream.kind} at ${upstream.url}`);
  const dir = mkdtempSync(join(tmpdir(), 'confab-desktop-'));
  try {
    const run = await runDesktop(['--config', join(dir, 'desktop.json'), '--sessions', join(dir, 'sessions'),
      '--endpoint', upstream.url, '--model', upstream.model, '--send', 'Say hello in one sentence.',
      '--screenshot', screenshot]);
    assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    const facts = run.facts;
    assert.ok(facts, run.stdout);
    assert.deepEqual(facts.turns.map((turn) => turn.status), ['done']);
    assert.equal(facts.messages, 2);
    assert.deepEqual(facts.windows, windows);
    assert.equal(facts.screenshot, screenshot);
    if (upstream.seen) {
      assert.equal(upstream.seen.length, 1);
      assert.equal(upstream.seen[0].url, '/v1/chat/completions');
      assert.equal(upstream.seen[0].body.messages.at(-1).content, 'Say hello in one sentence.');
    }

    // The picture: the size the app reports, and far from blank, in every part of the window.
    assert.ok(existsSync(screenshot));
    const png = readPng(screenshot);
    assert.equal(png.width, facts.width);
    assert.equal(png.height, facts.height);
    const colours = distinctColours(png);
    assert.ok(colours > 200, `only ${colours} colours`);
    const left = distinctColours(png, 0, 0, png.width >> 1, png.height);
    const right = distinctColours(png, png.width >> 1, 0, png.width, png.height);
    assert.ok(left > 50 && right > 50, `left ${left}, right ${right} colours`);
    t.diagnostic(`screenshot: ${screenshot} (${png.width}x${png.height}, ${colours} colours)`);

    // The session was saved in the widget's format, with the reply the recording holds.
    const files = readdirSync(join(dir, 'sessions')).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, 1);
    const session = JSON.parse(readFileSync(join(dir, 'sessions', files[0]), 'utf8'));
    assert.equal(session.format, 'confab.session');
    assert.equal(session.messages[1].content, expected.content);
  } finally {
    upstream.close();
  }
});

test('desktop: a script opens a session, replays a stream, shows a window, and checks the turn', async (t) => {
  const upstream = await startNodeUpstream(fixture);
  const dir = mkdtempSync(join(tmpdir(), 'confab-desktop-'));
  try {
    const session = {
      format: 'confab.session', version: 1, id: 'from-the-widget', title: 'Exported from the browser',
      messages: [{ id: 'w1', role: 'user', content: 'Earlier question' }, { id: 'w2', role: 'assistant', content: '**Earlier** answer' }],
    };
    writeFileSync(join(dir, 'exported.json'), JSON.stringify(session));
    writeFileSync(join(dir, 'script.txt'), [
      '# a scripted run',
      `endpoint ${upstream.url}`,
      'model gpt-test',
      `open ${join(dir, 'exported.json')}`,
      'send And now?',
      'wait 20',
      'expect done',
      `replay ${join(fixtures, 'deepseek-reasoner-reasoning-content.sse')} 7`,
      'draft A draft for the Request window',
      'window Stream',
      'frames 2',
      `export ${join(dir, 'out.json')}`,
    ].join('\n'));
    const run = await runDesktop(['--config', join(dir, 'desktop.json'), '--sessions', join(dir, 'sessions'),
      '--script', join(dir, 'script.txt'), '--screenshot', join(dir, 'script.png')]);
    assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    assert.equal(run.facts.script_error, null);
    assert.equal(run.facts.messages, 4);
    assert.equal(upstream.seen[0].body.messages.length, 3);  // the opened history went along
    const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
    assert.equal(out.id, 'from-the-widget');
    assert.equal(out.messages.length, 4);
    assert.equal(out.messages[3].content, expected.content);
    t.diagnostic(`script screenshot: ${join(dir, 'script.png')}`);
  } finally {
    upstream.close();
  }
});

test('desktop: a turn that fails exits non-zero, saying why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'confab-desktop-'));
  // A port that was open a moment ago and is closed now; one attempt, so no backoff to wait for.
  const closed = createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  writeFileSync(join(dir, 'desktop.json'), JSON.stringify({ retry: { max_attempts: 1 } }));
  const run = await runDesktop(['--config', join(dir, 'desktop.json'), '--sessions', join(dir, 'sessions'),
    '--endpoint', `http://127.0.0.1:${port}/v1`, '--model', 'm', '--send', 'Hello?', '--screenshot', join(dir, 'failed.png')]);
  assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
  assert.deepEqual(run.facts.turns.map((turn) => turn.status), ['failed']);
  assert.ok(existsSync(join(dir, 'failed.png')), 'the picture is written even when the turn failed');
});
