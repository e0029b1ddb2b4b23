#!/usr/bin/env node
// Load on the relay: `confab serve` in front of a local provider, beside nginx proxying to
// the same provider, in the same run, measured with wrk (Debian) over loopback.
//
//   node bench/relay.mjs [--seconds N] [--connections N] [--bin PATH]
//
// The provider is an nginx that answers every POST with the same streamed reply (a 16-event
// chat.completion.chunk stream, text/event-stream, ~2 KB), so neither proxy waits on a
// model and what is measured is the proxy. Three targets get the same wrk runs:
//   direct  wrk -> provider                       (the floor)
//   nginx   wrk -> nginx (proxy_buffering off, keepalive to the provider) -> provider
//   confab  wrk -> confab serve --upstream (Release build) -> provider
// Like for like: the nginx proxy writes one access-log line per request to a file, as confab
// writes its JSON line, and both end a client connection after 10,000 requests (confab's
// keep-alive limit; nginx's keepalive_requests), so neither skips work the other does.
// Each target gets a throughput run (--connections, default 32) and a latency run (one
// connection, requests back to back). "Added p99" is the target's p99 minus the direct p99
// of the same kind of run. Targets from the issue: confab >= 0.5 x nginx's requests/s, and
// under 1 ms added p99 for these streamed requests. The CPU each proxied request costs the
// proxy (read from /proc around the load run) is printed too: on a machine shared with other
// work, requests per second swing with that work, and CPU per request much less.
//
// Then the upstream leg alone (bench/upstream-client.cpp, compiled here with g++ and libcurl):
// the CPU a request costs a client that sends it with libcurl as the relay does, beside plain
// socket calls, against the same provider: the part of the relay's cost that its upstream
// library sets, whatever the rest of it does.
//
// Needs: wrk and nginx (scripts/setup installs both), a Release `confab`:
//   cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release && cmake --build build/release --target confab
// Everything runs on 127.0.0.1 as the current user; nginx runs from a temporary prefix.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, connect } from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const seconds = Number(option('--seconds', 10));
const connections = Number(option('--connections', 32));
const candidates = [option('--bin', ''), process.env.CONFAB_BIN ?? '', join(here, '..', 'build', 'release', 'native', 'confab'),
  join(here, '..', 'build', 'dev-serve-release', 'native', 'confab')].filter(Boolean);
const confab = candidates.find((path) => existsSync(path));
if (!confab) {
  console.error('bench/relay: no Release confab binary; build one with\n  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release && cmake --build build/release --target confab');
  process.exit(2);
}
for (const tool of ['wrk', 'nginx']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]);
  } catch {
    console.error(`bench/relay: ${tool} is not installed (Debian package ${tool}; scripts/setup installs it)`);
    process.exit(2);
  }
}
const nginxBin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

async function freePort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

async function waitForPort(port, timeoutMs = 10000) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

// ---- the provider's reply -------------------------------------------------------------
const words = ['The', 'relay', 'passes', 'each', 'chunk', 'on', 'as', 'it', 'arrives,', 'without', 'waiting', 'for', 'the', 'rest.'];
let reply = 'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n';
for (let i = 0; i < 12; i++)
  reply += `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench","choices":[{"index":0,"delta":{"content":"${words[i % words.length]} "},"finish_reason":null}]}\n\n`;
reply += 'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
reply += 'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"bench","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}\n\n';
reply += 'data: [DONE]\n\n';
const nginxString = reply.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const dir = mkdtempSync(join(tmpdir(), 'confab-bench-relay-'));
const children = [];
// nginx's master must be asked (SIGTERM) so that it stops its workers; SIGKILL would orphan them.
const cleanup = () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function nginxConfig(name, workers, server) {
  const prefix = join(dir, name);
  execFileSync('mkdir', ['-p', join(prefix, 'logs'), join(prefix, 'tmp')]);
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, `worker_processes ${workers};
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  keepalive_requests 10000;
  ${server}
}
`);
  const child = spawn(nginxBin, ['-p', prefix, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

const upstreamPort = await freePort();
const provider = nginxConfig('provider', 1, `server {
    listen 127.0.0.1:${upstreamPort};
    location /v1/chat/completions {
      default_type text/event-stream;
      return 200 "${nginxString}";
    }
  }`);
await waitForPort(upstreamPort);

const nginxPort = await freePort();
const proxy = nginxConfig('proxy', 'auto', `upstream provider { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  log_format relay escape=json '{"time":"$time_iso8601","client":"$remote_addr","method":"$request_method",'
    '"path":"$uri","status":$status,"bytes_in":$request_length,"bytes_out":$bytes_sent,"total_ms":$request_time}';
  server {
    listen 127.0.0.1:${nginxPort} backlog=1024;
    access_log ${join(dir, 'proxy', 'logs', 'access.log')} relay;
    location / {
      proxy_pass http://provider;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer bench-key";
      proxy_buffering off;
    }
  }`);
await waitForPort(nginxPort);

const confabPort = await freePort();
const logFile = join(dir, 'confab.log');
const logFd = openSync(logFile, 'w');
const relay = spawn(confab, ['serve', '--port', String(confabPort), '--upstream', `http://127.0.0.1:${upstreamPort}/v1`,
  '--api-key-env', 'BENCH_KEY', '--models', 'chat=bench', '--rate-limit', 'off', '--session-rate-limit', 'off',
  '--threads', String(Math.max(64, connections * 2)), '--static', dir],
{ stdio: ['ignore', logFd, 'inherit'], env: { ...process.env, BENCH_KEY: 'bench-key' } });
closeSync(logFd);
children.push(relay);
await waitForPort(confabPort);

// ---- wrk ---------------------------------------------------------------------------------
const script = join(dir, 'post.lua');
writeFileSync(script, `wrk.method = "POST"
wrk.body = '{"model":"chat","stream":true,"messages":[{"role":"user","content":"How does the relay work?"}]}'
wrk.headers["Content-Type"] = "application/json"
`);

function toMs(text) {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) return NaN;
  const value = Number(match[1]);
  return { us: value / 1000, ms: value, s: value * 1000, m: value * 60000 }[match[2]];
}

// CPU time, from /proc: requests per second depend on what else the machine runs; the CPU
// each request costs the proxy (and the provider, and wrk) much less so.
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);  // utime, stime
    } catch { /* gone */ }
  }
  return ticks / ticksPerSecond;
}
function childrenOf(pid) {  // nginx's workers
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((name) => {
    try {
      return readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
    } catch {
      return false;
    }
  });
}

function wrk(port, conns, threads) {
  const out = execFileSync('wrk', ['-t', String(threads), '-c', String(conns), '-d', `${seconds}s`, '--latency', '-s', script,
    `http://127.0.0.1:${port}/v1/chat/completions`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const pct = (p) => toMs(new RegExp(`\\s${p}%\\s+(\\S+)`).exec(out)?.[1] ?? '');
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1] ?? '';
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  return { rps, requests, p50: pct(50), p90: pct(90), p99: pct(99), non2xx: Number(errors), socketErrors, raw: out };
}

// The relay must really relay: one request, checked, before any figure.
const check = execFileSync('curl', ['-s', '-X', 'POST', '-H', 'Content-Type: application/json', '--data-binary',
  '{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}', `http://127.0.0.1:${confabPort}/v1/chat/completions`]);
if (check.toString() !== reply) {
  console.error('bench/relay: the relay did not pass the provider\'s reply through unchanged');
  process.exit(1);
}

const threads = Math.min(2, cpus().length);
const results = {};
const loadAtStart = loadavg()[0];
const providerPids = childrenOf(provider.pid);
const proxyPids = { direct: [], nginx: childrenOf(proxy.pid), confab: [relay.pid] };
for (const [name, port] of [['direct', upstreamPort], ['nginx', nginxPort], ['confab', confabPort]]) {
  const before = { proxy: cpuSeconds(proxyPids[name]), provider: cpuSeconds(providerPids) };
  const load = wrk(port, connections, threads);
  const perRequest = (now, then) => ((now - then) * 1e6) / load.requests;
  load.cpu_us = { proxy: perRequest(cpuSeconds(proxyPids[name]), before.proxy), provider: perRequest(cpuSeconds(providerPids), before.provider) };
  results[name] = { load, single: wrk(port, 1, 1) };
  results[name].loadavg = loadavg()[0];
  console.error(`measured ${name}: ${results[name].load.rps.toFixed(0)} req/s under load, p99 ${results[name].single.p99} ms alone (load average ${results[name].loadavg.toFixed(2)})`);
  for (const run of Object.values(results[name])) {
    if (run.non2xx > 0 || run.socketErrors) console.error(`${name}: ${run.non2xx} non-2xx, socket errors: ${run.socketErrors}`);
  }
}

// The upstream leg alone (bench/upstream-client.cpp): the CPU one request costs a client that
// sends it with libcurl as the relay does, and one that uses plain socket calls. Skipped, with
// a note, where g++ or libcurl's headers are missing.
const client = { n: 9000 };  // under the provider's keepalive_requests (10,000), so one connection serves them all
try {
  const binary = join(dir, 'upstream-client');
  execFileSync('g++', ['-O2', '-std=c++20', join(here, 'upstream-client.cpp'), '-o', binary, '-lcurl'], { stdio: ['ignore', 'ignore', 'pipe'] });
  for (const mode of ['curl', 'socket'])
    client[mode] = Number(execFileSync(binary, [mode, String(upstreamPort), String(client.n)], { encoding: 'utf8' }));
} catch (error) {
  client.error = String(error.stderr ?? error.message).split('\n')[0];
}

const fmt = (n, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
console.log(`relay bench: ${seconds} s per run, wrk -c ${connections} (load) and -c 1 (latency), ${cpus().length} CPUs, ${reply.length}-byte streamed reply`);
console.log(`confab binary: ${resolve(confab)}`);
console.log('like for like: nginx and confab each log one line per request and end a client connection after 10,000 requests');
console.log(`load average (1 min): ${loadAtStart.toFixed(2)} at the start, ${Object.entries(results).map(([k, v]) => `${v.loadavg.toFixed(2)} after ${k}`).join(', ')} (other work on the machine skews every figure)`);
console.log('');
console.log('target   load req/s   load p50 ms  load p99 ms   single req/s  single p50 ms  single p99 ms');
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(8)} ${fmt(r.load.rps, 0).padStart(11)}  ${fmt(r.load.p50).padStart(11)}  ${fmt(r.load.p99).padStart(11)}   ${fmt(r.single.rps, 0).padStart(12)}  ${fmt(r.single.p50, 3).padStart(13)}  ${fmt(r.single.p99, 3).padStart(13)}`);
}
console.log('');
console.log('CPU per request under load (µs, from /proc; steadier than req/s on a shared machine):');
for (const [name, r] of Object.entries(results)) {
  const proxyCpu = name === 'direct' ? '-' : fmt(r.load.cpu_us.proxy, 0);
  console.log(`${name.padEnd(8)} proxy ${proxyCpu.padStart(5)}   provider ${fmt(r.load.cpu_us.provider, 0).padStart(5)}`);
}
const ratio = results.confab.load.rps / results.nginx.load.rps;
const addedConfab = results.confab.single.p99 - results.direct.single.p99;
const addedNginx = results.nginx.single.p99 - results.direct.single.p99;
console.log('');
console.log(`throughput ratio confab/nginx: ${fmt(ratio)} (target >= 0.5); CPU per proxied request confab/nginx: ${fmt(results.confab.load.cpu_us.proxy / results.nginx.load.cpu_us.proxy)}`);
if (client.error) {
  console.log(`upstream client alone: not measured (${client.error})`);
} else {
  console.log(`upstream client alone (bench/upstream-client.cpp, ${client.n} requests on one connection, CPU per request): ` +
    `libcurl as the relay uses it ${fmt(client.curl, 1)} µs, plain socket calls ${fmt(client.socket, 1)} µs; ` +
    `libcurl's own share ${fmt(client.curl - client.socket, 1)} µs, against ${fmt(results.nginx.load.cpu_us.proxy, 0)} µs for all of nginx's proxying`);
}
console.log(`added p99, one connection: confab ${fmt(addedConfab, 3)} ms, nginx ${fmt(addedNginx, 3)} ms (target for confab < 1 ms)`);
console.log(`added p99 under load (-c ${connections}): confab ${fmt(results.confab.load.p99 - results.direct.load.p99)} ms, nginx ${fmt(results.nginx.load.p99 - results.direct.load.p99)} ms`);
console.log(JSON.stringify({
  seconds, connections, ratio, added_p99_ms: { confab: addedConfab, nginx: addedNginx }, loadavg_at_start: loadAtStart,
  upstream_client_cpu_us: client.error ? null : { curl: client.curl, socket: client.socket },
  results: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, {
    load: { rps: v.load.rps, p50: v.load.p50, p90: v.load.p90, p99: v.load.p99, cpu_us: v.load.cpu_us },
    single: { rps: v.single.rps, p50: v.single.p50, p90: v.single.p90, p99: v.single.p99 },
    loadavg: v.loadavg,
  }])),
}));
const lines = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
console.log(`logged lines (one per request): confab ${lines(logFile)}, nginx ${lines(join(dir, 'proxy', 'logs', 'access.log'))}`);
process.exit(0);  // the servers started here would keep the event loop alive
