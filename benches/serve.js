'use strict';
// The HTTP handler under load, side by side (docs/PERFORMANCE.md, "Serving"):
//   npm install --prefix benches          # once: autocannon and sharp
//   node benches/serve.js --fixtures <dir> [--seconds 20] [--connections 8]
//   node benches/serve.js --fixtures <dir> --mode warm [--seconds 10] [--runs 5]
//   node benches/serve.js --fixtures <dir> --mode soak [--minutes 5] [--sample 2] [--touch 3]
//        [--server-env NAME=VALUE ...] [--memory-cache <MiB>] [--soak-server handler|static]
//   node benches/serve.js --samples .cache/bench-serve/soak-samples.json   # a soak's tables again
// (<dir>: the folder of sharp's benchmark images.)
//
// 20 source photos × 3 widths × f=auto (a Chromium Accept header, so AVIF), over loopback.
// --mode all (the default):
//   cold   every one of the 60 URLs once, on an empty cache: conversion throughput
//   warm   the same 60 URLs in turn for --seconds, all cached: the serving overhead
// against the same handler with sharp doing the conversion (`convert` injected, every
// other line of the handler shared), and, warm, a plain static-file server (node:http and
// fs.createReadStream) sending the same cached bytes. Each server runs in a process of its
// own (peak RSS is that process's); autocannon runs in this one, on the same cores.
// sharp converts at its AVIF default (effort 4) and, cold only, at effort 3 (libaom speed 6,
// lazy-image's setting).
// --mode warm: the lazy-image handler's cache hits against the static-file server only,
//   both servers up at once and loaded in turn (--runs rounds of --seconds each, the order
//   swapped every round): each round's ratio of requests/s and of the servers' CPU time per
//   response (all threads, user + system), and their medians.
// --mode soak: the lazy-image handler for --minutes, every minute 30 s of cache hits and
//   then 30 s of the same load while a source file changes every --touch seconds (0: none;
//   its three URLs miss once, are converted and hit again; the entries of its old version
//   age out of an LRU bound of 8 MiB); the server's RSS sampled every --sample seconds with
//   its parts (anonymous and file-backed pages, private dirty, from /proc/<pid>/smaps_rollup;
//   of the anonymous pages, glibc's main heap and its other arenas, from /proc/<pid>/smaps;
//   V8's heap, external and array buffers; the thread count) and what the handler holds (its
//   disk cache's bytes, and of them those kept in memory: handler.stats()); per-minute
//   medians (RSS over all samples and each half's, each part's); then each part at rest (the
//   hits halves' samples with no conversion pending): the medians of minute 1, minute 2 and
//   the last minute, the least-squares slopes of the minutes' medians over the first and the
//   second half of the run in MB/min (under 0.1: flat), the second half's range, and what
//   bounds the part (the memory cache: memoryCacheBytes and the disk bound; the dropped
//   outputs in external memory: V8's next major GC; the young generation: its semi-space
//   size). A slope that stays above 0.1 MB/min over longer runs is a leak to look for.
//   --server-env sets variables in the server's environment only (e.g. an allocator's
//   tunables or LD_PRELOAD); --memory-cache sets the handler's memoryCacheBytes, in MiB.
//   --soak-server static: the same load against the static-file server instead (the
//   handler fills its cache first, as in warm mode, and stops; the static server then sends
//   those files): what any Node HTTP server's memory does under this load. It has no
//   sources to change, so both halves of its minutes are hits (the second still reported as
//   "mixed"), and the handler's columns (memory and disk cache) are '-'.
// With fewer than 20 fixture images, the 20 sources are distinct crops of the ones there.

const fs = require('node:fs');
const { peakRssMb } = require('./peak-rss');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { fork } = require('node:child_process');
const { parseArgs } = require('node:util');

const ROOT = path.join(__dirname, '..');
const WORK = path.join(ROOT, '.cache', 'bench-serve');
const WIDTHS = [320, 640, 1280];
const ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const SOURCES = 20;
/** The soak's cache bound: room for the 60 live entries (about 4 MB) and some dead ones. */
const SOAK_CACHE_BYTES = 8 * 2 ** 20;

// ---------------------------------------------------------------- server processes

/** glibc's malloc arenas other than the main one live in heaps of this size, aligned to it. */
const ARENA_HEAP = 64 * 2 ** 20;

/**
 * This process's resident memory by kind, in MB, from /proc (empty elsewhere): `anonMb` the
 * anonymous pages (malloc's heaps and mmaps, V8's heap, thread stacks), `fileMb` the resident
 * pages of mapped files (node, the addon, shared libraries), `dirtyMb` the private dirty
 * pages; of the anonymous pages, `mainHeapMb` those of the brk heap (glibc's main arena: the
 * JavaScript thread's allocations, among them Buffers' memory) and `arenasMb` those of the
 * mappings that start on a 64 MiB boundary (glibc's other arenas: the worker threads'
 * allocations, conversions among them); `threads` the process's threads.
 */
function mappings() {
  try {
    const rollup = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)[1]);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
    const rss = kb('Rss');
    const anon = kb('Anonymous');
    let [mainHeap, arenas, kind] = [0, 0, null];
    for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const mapping = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (mapping) {
        const arena = mapping[2] === '' && Number.parseInt(mapping[1], 16) % ARENA_HEAP === 0;
        kind = mapping[2] === '[heap]' ? 'main' : arena ? 'arena' : null;
        continue;
      }
      const pages = kind && /^Anonymous:\s+(\d+) kB/.exec(line);
      if (pages && kind === 'main') mainHeap += Number(pages[1]);
      if (pages && kind === 'arena') arenas += Number(pages[1]);
    }
    const mb = (kib) => kib / 1024;
    return { smapsRssMb: mb(rss), anonMb: mb(anon), fileMb: mb(rss - anon), dirtyMb: mb(kb('Private_Dirty')), mainHeapMb: mb(mainHeap), arenasMb: mb(arenas), threads };
  } catch {
    return {};
  }
}

/** The handler's conversion done by sharp; `effort` for AVIF (sharp's default 4 is libaom speed 5, lazy-image uses speed 6). */
function sharpConvert(sharp, effort) {
  return async (job) => {
    let s = sharp(job.source.path ?? job.source.data, { limitInputPixels: job.limits.maxPixels || 268402689 });
    if (job.timeoutMs) s = s.timeout({ seconds: Math.max(1, Math.ceil(job.timeoutMs / 1000)) });
    s = s.rotate();
    if (job.width !== undefined || job.height !== undefined) s = s.resize({ width: job.width, height: job.height, fit: job.fit, withoutEnlargement: true });
    const extra = job.format === 'avif' && effort !== undefined ? { effort } : {};
    return s.toFormat(job.format, { quality: job.quality, ...extra }).toBuffer();
  };
}

function serveChild(kind, root, cacheDir, mapFile, memoryCacheBytes) {
  let listener;
  if (kind === 'static') {
    // URL → cached file, made by the parent from the lazy-image cache.
    const map = JSON.parse(fs.readFileSync(mapFile, 'utf8'));
    listener = (req, res) => {
      const entry = map[req.url];
      if (!entry) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': entry.type, 'Content-Length': entry.size, 'Cache-Control': 'public, max-age=14400', Vary: 'Accept' });
      fs.createReadStream(entry.file).pipe(res);
    };
  } else {
    const { createImageHandler } = require('../lib/http');
    const options = { root, cacheDir, widths: WIDTHS, maxCacheBytes: kind === 'soak' ? SOAK_CACHE_BYTES : 1 << 30 };
    if (memoryCacheBytes !== undefined) options.memoryCacheBytes = memoryCacheBytes;
    if (kind === 'sharp') options.convert = sharpConvert(require('sharp'));
    if (kind === 'sharp-effort3') options.convert = sharpConvert(require('sharp'), 3);
    listener = createImageHandler(options);
  }
  const server = http.createServer(listener);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'rss') process.send({ reply: m, maxRssMb: peakRssMb() });
    if (m === 'now') {
      const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
      const mb = (bytes) => bytes / 2 ** 20;
      process.send({
        reply: m,
        memory: { rssMb: mb(rss), heapTotalMb: mb(heapTotal), heapMb: mb(heapUsed), externalMb: mb(external), arrayBuffersMb: mb(arrayBuffers), ...mappings() },
        cpu: process.cpuUsage(),
        stats: listener.stats?.(),
      });
    }
  });
}

// ---------------------------------------------------------------- the driver

/**
 * `env`: variables added to the server process's environment only (not this one's);
 * `memoryCacheBytes`: the handler's option (its default when undefined).
 */
function startServer(kind, root, cacheDir, mapFile, env = {}, memoryCacheBytes = undefined) {
  const memory = memoryCacheBytes === undefined ? [] : ['--memory', String(memoryCacheBytes)];
  const child = fork(__filename, ['--child', kind, '--root', root, '--cache', cacheDir, '--map', mapFile ?? '', ...memory], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // A question to the server process, answered by a message naming it.
    const ask = (what) =>
      new Promise((done) => {
        const on = (m) => {
          if (m.reply !== what) return;
          child.off('message', on);
          done(m);
        };
        child.on('message', on);
        child.send(what);
      });
    child.once('message', ({ port }) => {
      resolve({
        port,
        rss: () => ask('rss').then((m) => m.maxRssMb),
        now: () => ask('now'),
        stop: () => new Promise((done) => { child.once('exit', done); child.kill('SIGTERM'); }),
      });
    });
  });
}

function cannon(autocannon, port, urls, { amount, seconds, connections }) {
  let next = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        // A cold AVIF conversion may wait behind several others: no client timeout.
        timeout: 600,
        ...(amount ? { amount } : { duration: seconds }),
        headers: { accept: ACCEPT },
        requests: [{ setupRequest: (req) => ({ ...req, path: urls[next++ % urls.length] }) }],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function sources(fixtures) {
  const sharp = require('sharp');
  const dir = path.join(WORK, 'sources');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const found = fs.readdirSync(fixtures).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
  if (found.length === 0) throw new Error(`no images in ${fixtures}`);
  const names = [];
  if (found.length >= SOURCES) {
    for (const f of found.slice(0, SOURCES)) {
      fs.copyFileSync(path.join(fixtures, f), path.join(dir, f));
      names.push(f);
    }
    return { dir, names, note: `${SOURCES} fixture images` };
  }
  // Distinct crops (offset and size differ) of the images there, each kept in its format.
  for (let i = 0; i < SOURCES; i++) {
    const f = found[i % found.length];
    const input = path.join(fixtures, f);
    const { width, height } = await sharp(input).metadata();
    const k = Math.floor(i / found.length);
    const w = Math.round(width * (0.7 + 0.03 * k));
    const h = Math.round(height * (0.7 + 0.03 * k));
    const left = Math.round((width - w) * ((k % 3) / 2));
    const top = Math.round((height - h) * ((Math.floor(k / 3) % 3) / 2));
    const ext = path.extname(f).toLowerCase();
    const name = `src-${String(i).padStart(2, '0')}${ext}`;
    let s = sharp(input).extract({ left, top, width: w, height: h });
    s = ext === '.png' ? s.png() : s.jpeg({ quality: 90 });
    await s.toFile(path.join(dir, name));
    names.push(name);
  }
  return { dir, names, note: `${SOURCES} distinct crops of the ${found.length} fixture image(s) (${found.join(', ')})` };
}

function row(name, phase, r, rss) {
  return {
    server: name,
    run: phase,
    requests: r.requests.total,
    's': Math.round(r.duration * 10) / 10,
    'req/s': Math.round(r.requests.average * 10) / 10,
    'p50 ms': r.latency.p50,
    'p99 ms': r.latency.p99,
    errors: r.errors + r.non2xx + r.timeouts,
    'avg bytes': Math.round(r.throughput.total / Math.max(1, r.requests.total)),
    'peak RSS MB': Math.round(rss),
  };
}

/** Every URL fetched until cached (a cold run may leave some unfinished). */
async function fillCache(port, urls) {
  for (const url of urls) await fetch(`http://127.0.0.1:${port}${url}`, { headers: { accept: ACCEPT } }).then((r) => r.arrayBuffer());
}

/** URL → the cache file the handler serves for it (found by its ETag), for the static server. */
async function staticMap(port, urls, cacheDir) {
  const map = {};
  const names = fs.readdirSync(cacheDir);
  for (const url of urls) {
    const res = await fetch(`http://127.0.0.1:${port}${url}`, { headers: { accept: ACCEPT } });
    const body = Buffer.from(await res.arrayBuffer());
    const tag = res.headers.get('etag').replace(/"/g, '');
    const file = names.find((f) => f.startsWith(tag));
    map[url] = { file: path.join(cacheDir, file), size: body.length, type: res.headers.get('content-type') };
  }
  const mapFile = path.join(WORK, 'static-map.json');
  fs.writeFileSync(mapFile, JSON.stringify(map));
  return mapFile;
}

function markdown(rows) {
  const cols = Object.keys(rows[0]);
  console.log(`\n| ${cols.join(' | ')} |\n|${cols.map(() => ' --- ').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function allMode(autocannon, src, urls, { seconds, connections }) {
  const rows = [];
  let mapFile = null;
  for (const kind of ['lazy-image', 'sharp', 'sharp-effort3']) {
    const cacheDir = path.join(WORK, `cache-${kind}`);
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const server = await startServer(kind, src.dir, cacheDir);
    const cold = await cannon(autocannon, server.port, urls, { amount: urls.length, connections });
    rows.push(row(`handler + ${kind}`, 'cold', cold, await server.rss()));
    // The warm run does not depend on the encoder's effort: one sharp warm run is enough.
    if (kind === 'sharp-effort3') {
      await server.stop();
      continue;
    }
    await fillCache(server.port, urls);
    const warm = await cannon(autocannon, server.port, urls, { seconds, connections });
    rows.push(row(`handler + ${kind}`, 'warm', warm, await server.rss()));
    // The static server sends the same bytes: the lazy-image run's cache files.
    if (kind === 'lazy-image') mapFile = await staticMap(server.port, urls, cacheDir);
    await server.stop();
  }
  const plain = await startServer('static', src.dir, '', mapFile);
  const warm = await cannon(autocannon, plain.port, urls, { seconds, connections });
  rows.push(row('static files (node:http + createReadStream)', 'warm', warm, await plain.rss()));
  await plain.stop();
  console.table(rows);
  markdown(rows);
}

async function warmMode(autocannon, src, urls, { seconds, connections, runs }) {
  const cacheDir = path.join(WORK, 'cache-lazy-image');
  fs.rmSync(cacheDir, { recursive: true, force: true });
  const handler = await startServer('lazy-image', src.dir, cacheDir);
  await cannon(autocannon, handler.port, urls, { amount: urls.length, connections });
  await fillCache(handler.port, urls);
  const plain = await startServer('static', src.dir, '', await staticMap(handler.port, urls, cacheDir));
  // Both warmed up (JIT, connections) before the first measured round.
  for (const s of [handler, plain]) await cannon(autocannon, s.port, urls, { seconds: 3, connections });
  const rounds = [];
  // Server CPU time (all its threads, user + system) per response, in µs.
  const measured = async (s) => {
    const before = (await s.now()).cpu;
    const r = await cannon(autocannon, s.port, urls, { seconds, connections });
    const after = (await s.now()).cpu;
    r.cpuUs = (after.user - before.user + after.system - before.system) / Math.max(1, r.requests.total);
    return r;
  };
  for (let i = 0; i < runs; i++) {
    const result = {};
    for (const [name, s] of i % 2 === 0 ? [['handler', handler], ['static', plain]] : [['static', plain], ['handler', handler]]) {
      result[name] = await measured(s);
    }
    const h = result.handler;
    const p = result.static;
    rounds.push({
      round: i + 1,
      'handler req/s': Math.round(h.requests.average * 10) / 10,
      'static req/s': Math.round(p.requests.average * 10) / 10,
      ratio: Math.round((h.requests.average / p.requests.average) * 1000) / 1000,
      'handler p50/p99 ms': `${h.latency.p50}/${h.latency.p99}`,
      'static p50/p99 ms': `${p.latency.p50}/${p.latency.p99}`,
      'handler CPU µs/req': Math.round(h.cpuUs),
      'static CPU µs/req': Math.round(p.cpuUs),
      'CPU ratio': Math.round((h.cpuUs / p.cpuUs) * 100) / 100,
      errors: h.errors + h.non2xx + h.timeouts + p.errors + p.non2xx + p.timeouts,
    });
  }
  const peak = [Math.round(await handler.rss()), Math.round(await plain.rss())];
  await handler.stop();
  await plain.stop();
  console.table(rounds);
  markdown(rounds);
  const med = (col) => median(rounds.map((r) => r[col]));
  console.log(
    `\nmedian ratio ${med('ratio')} (handler ${med('handler req/s')} req/s, static ${med('static req/s')} req/s; ` +
      `server CPU per response: handler ${med('handler CPU µs/req')} µs, static ${med('static CPU µs/req')} µs, median ratio ${med('CPU ratio')}); peak RSS handler ${peak[0]} MB, static ${peak[1]} MB`,
  );
}

async function soakMode(autocannon, src, urls, { connections, minutes, sample, touch, serverEnv, memoryCacheBytes, soakServer }) {
  const cacheDir = path.join(WORK, 'cache-soak');
  fs.rmSync(cacheDir, { recursive: true, force: true });
  const handler = await startServer('soak', src.dir, cacheDir, null, soakServer === 'static' ? {} : serverEnv, memoryCacheBytes);
  // The cold fill's time: what an allocator setting costs the conversions.
  const cold = await cannon(autocannon, handler.port, urls, { amount: urls.length, connections });
  await fillCache(handler.port, urls);
  let server = handler;
  if (soakServer === 'static') {
    // The static server sends the handler's cache files; no sources change under it.
    const mapFile = await staticMap(handler.port, urls, cacheDir);
    await handler.stop();
    server = await startServer('static', src.dir, '', mapFile, serverEnv);
    touch = 0;
  }
  // Each sample is tagged with the minute and the half (hits or mixed) it was taken in.
  const samples = [];
  const now = { minute: 0, phase: 'hits' };
  const sampler = setInterval(async () => {
    const at = { ...now };
    const { memory, stats } = await server.now();
    // What the handler holds: its disk cache, and of it the bytes kept in memory.
    const held = stats && { diskCacheMb: stats.cacheBytes / 2 ** 20, memoryCacheMb: stats.memoryBytes / 2 ** 20, conversions: stats.conversions, pending: stats.pending };
    samples.push({ ...at, time: Date.now(), ...memory, ...held });
  }, sample * 1000);
  const totals = { requests: 0, errors: 0 };
  let touched = 0;
  for (let minute = 0; minute < minutes; minute++) {
    Object.assign(now, { minute, phase: 'hits' });
    const hits = await cannon(autocannon, server.port, urls, { seconds: 30, connections });
    // The same load while sources change: each change makes its three URLs miss once.
    Object.assign(now, { phase: 'mixed' });
    const toucher = touch > 0 && setInterval(() => {
      const file = path.join(src.dir, src.names[touched++ % src.names.length]);
      const when = new Date();
      fs.utimesSync(file, when, when);
    }, touch * 1000);
    const mixed = await cannon(autocannon, server.port, urls, { seconds: 30, connections });
    clearInterval(toucher);
    for (const r of [hits, mixed]) {
      totals.requests += r.requests.total;
      totals.errors += r.errors + r.non2xx + r.timeouts;
    }
  }
  clearInterval(sampler);
  const end = await server.now();
  const peak = await server.rss();
  await server.stop();
  const samplesFile = path.join(WORK, 'soak-samples.json');
  fs.writeFileSync(samplesFile, JSON.stringify(samples));
  soakReport(samples);
  const st = end.stats;
  const held = st
    ? `${st.conversions} conversions, ${st.hits} hits, ` +
      `cache ${st.cacheEntries} entries / ${Math.round(st.cacheBytes / 1024)} KiB (bound ${SOAK_CACHE_BYTES / 1024} KiB), ` +
      `${st.memoryEntries} of them / ${Math.round(st.memoryBytes / 1024)} KiB in memory (bound ${memoryCacheBytes === undefined ? 'the default' : `${memoryCacheBytes / 1024} KiB`}); `
    : 'the static-file server sending the handler\'s cache files; ';
  console.log(
    `${soakServer} server: peak RSS ${Math.round(peak)} MB` +
      `${Object.keys(serverEnv).length ? ` (server environment: ${Object.entries(serverEnv).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}; ` +
      `cold fill of ${urls.length} URLs ${Math.round(cold.duration * 10) / 10} s; ${totals.requests} requests, ${totals.errors} errors, ${touched} source changes, ${held}` +
      `samples in ${path.relative(ROOT, samplesFile)} (reprinted by --samples <file>)`,
  );
}

/** The least-squares slope of `y` against `x`. */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

/** Below this last-half slope, in MB per minute (6 MB an hour), a part counts as flat. */
const FLAT_MB_PER_MIN = 0.1;

/**
 * The per-minute medians of RSS and its parts, then each part's trend at rest: the medians
 * of minute 1, minute 2 and the last minute, the least-squares slopes of the minutes'
 * medians over the run's first and second half, the second half's range, and what bounds
 * the part.
 */
function soakReport(recorded) {
  // Two differences worth a row: external memory beyond the memory cache (outputs dropped
  // from the cache, freed at V8's next major GC, and responses in flight), and the arenas
  // beyond external memory (the outputs are allocated by the conversion threads, so both the
  // cache's bytes and the dropped ones are arena memory).
  const samples = recorded.map((x) => (x.memoryCacheMb === undefined ? x : { ...x, droppedMb: x.externalMb - x.memoryCacheMb, arenasBeyondMb: x.arenasMb - x.externalMb }));
  const minutes = Math.max(...samples.map((x) => x.minute)) + 1;
  const mb = (values) => Math.round(median(values) * 10) / 10;
  const perMinute = [];
  for (let m = 0; m < minutes; m++) {
    const inMinute = samples.filter((x) => x.minute === m);
    const rss = (phase) => inMinute.filter((x) => phase === undefined || x.phase === phase).map((x) => x.rssMb);
    // The medians of RSS's parts (each part's own median: they need not add up exactly).
    const part = (key) => (inMinute.some((x) => x[key] !== undefined) ? mb(inMinute.map((x) => x[key])) : '-');
    perMinute.push({
      minute: m + 1,
      samples: inMinute.length,
      'median RSS MB': mb(rss()),
      'hits half': mb(rss('hits')),
      'mixed half': mb(rss('mixed')),
      'max RSS MB': Math.round(Math.max(...rss()) * 10) / 10,
      'anon MB': part('anonMb'),
      'main heap MB': part('mainHeapMb'),
      'arenas MB': part('arenasMb'),
      'file MB': part('fileMb'),
      'private dirty MB': part('dirtyMb'),
      'heap used MB': part('heapMb'),
      'heap total MB': part('heapTotalMb'),
      'external MB': part('externalMb'),
      'array buffers MB': part('arrayBuffersMb'),
      'memory cache MB': part('memoryCacheMb'),
      'disk cache MB': part('diskCacheMb'),
      threads: part('threads'),
    });
  }
  console.table(perMinute);
  markdown(perMinute);
  // Each part's trend at rest: the samples of the hits halves taken with no conversion
  // pending (a sample may otherwise land on a conversion's working memory, and a minute's
  // median then depends on how many did). The slopes are least-squares fits of the minutes'
  // medians (robust to the odd sample), over the first and the second half of the run.
  const half = Math.floor(minutes / 2);
  const rest = (x) => x.phase === 'hits' && !(x.pending > 0);
  const round = (v, d = 10) => Math.round(v * d) / d;
  const parts = [
    ['RSS, all samples', 'rssMb', null, 'the sum of the parts below, and conversions in flight'],
    ['RSS', 'rssMb', rest, 'the sum of the parts below'],
    ['anonymous', 'anonMb', rest, 'V8 heap + malloc (external memory is malloc)'],
    ['main heap (brk)', 'mainHeapMb', rest, "the JS thread's malloc"],
    ['other arenas', 'arenasMb', rest, "the worker threads' malloc: conversions' leftovers and their outputs (the memory cache's bytes among them)"],
    ['file-backed', 'fileMb', rest, 'the mapped code'],
    ['V8 heap total', 'heapTotalMb', rest, 'the young generation: --max-semi-space-size'],
    ['V8 heap used', 'heapMb', rest, 'live JS objects + the young generation\'s garbage'],
    // Over all the minute's samples: the one taken nearest after a GC.
    ["V8 heap used, the minute's least (all samples)", 'heapMb', null, 'live JS objects (what a GC leaves)', (values) => Math.min(...values)],
    ['external', 'externalMb', rest, 'the memory cache + dropped outputs until a major GC'],
    ['external − memory cache', 'droppedMb', rest, "V8's next major GC (external memory's growth is one of its triggers)"],
    ['arenas − external', 'arenasBeyondMb', rest, "conversions' leftovers: the addon trims the heap after its last running job"],
    ['memory cache', 'memoryCacheMb', rest, `memoryCacheBytes, and the disk bound (${SOAK_CACHE_BYTES / 2 ** 20} MiB): an evicted entry drops its bytes`],
    ['disk cache', 'diskCacheMb', rest, `maxCacheBytes (${SOAK_CACHE_BYTES / 2 ** 20} MiB)`],
  ].filter(([, key]) => samples.some((x) => x[key] !== undefined));
  const lateCol = `slope, minutes ${half + 1}–${minutes}, MB/min`;
  const trend = parts.map(([name, key, filter, bound, of = median]) => {
    const medians = perMinute.map((_, m) => {
      const values = samples.filter((x) => x.minute === m && (filter === null || filter(x))).map((x) => x[key]);
      return values.length ? of(values) : undefined;
    });
    const fit = (from, to) => round(slope(medians.slice(from, to).flatMap((y, i) => (y === undefined ? [] : [{ x: from + i, y }]))), 100);
    const perMin = fit(half, minutes);
    const shown = (m) => (medians[m] === undefined ? '-' : round(medians[m]));
    const lateMedians = medians.slice(half).filter((y) => y !== undefined);
    return {
      part: name,
      'minute 1': shown(0),
      'minute 2': shown(Math.min(1, minutes - 1)),
      [`minute ${minutes}`]: shown(minutes - 1),
      [`slope, minutes 1–${half}, MB/min`]: fit(0, half),
      [lateCol]: perMin,
      [`range, minutes ${half + 1}–${minutes}`]: `${round(Math.min(...lateMedians))}–${round(Math.max(...lateMedians))}`,
      trend: Math.abs(perMin) < FLAT_MB_PER_MIN ? 'flat' : perMin > 0 ? 'growing' : 'falling',
      'bounded by': bound,
    };
  });
  console.log(`\nAt rest (the hits halves' samples with no conversion pending; the first row: all samples): the medians of minute 1, 2 and ${minutes}, and the slopes of the minutes' medians (flat: under ${FLAT_MB_PER_MIN} MB/min):`);
  console.table(trend);
  markdown(trend);
  const [all, still] = trend;
  const ratio = (t, from) => `${t[from]} → ${t[`minute ${minutes}`]} MB (${round(t[`minute ${minutes}`] / t[from], 1000)}×)`;
  const growing = trend.slice(1).filter((t) => t.trend === 'growing');
  console.log(
    `\nmedian RSS, all samples: minute 1 → ${minutes} ${ratio(all, 'minute 1')}, minute 2 → ${minutes} ${ratio(all, 'minute 2')}; ` +
      `at rest: minute 1 → ${minutes} ${ratio(still, 'minute 1')}, minute 2 → ${minutes} ${ratio(still, 'minute 2')}; ` +
      `slope at rest ${still[`slope, minutes 1–${half}, MB/min`]} MB/min over minutes 1–${half}, ${still[lateCol]} MB/min over minutes ${half + 1}–${minutes} ` +
      `(${round(still[lateCol] * 60, 1)} MB an hour at that rate; the minutes' medians ${still[`range, minutes ${half + 1}–${minutes}`]} MB): ${still.trend}` +
      `${growing.length ? `; growing over the second half: ${growing.map((t) => `${t.part} ${t[lateCol]} MB/min`).join(', ')}` : ''}`,
  );
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      fixtures: { type: 'string' },
      mode: { type: 'string', default: 'all' },
      seconds: { type: 'string' },
      connections: { type: 'string', default: '8' },
      runs: { type: 'string', default: '5' },
      minutes: { type: 'string', default: '5' },
      sample: { type: 'string', default: '2' },
      touch: { type: 'string', default: '3' },
      'server-env': { type: 'string', multiple: true, default: [] },
      'memory-cache': { type: 'string' },
      'soak-server': { type: 'string', default: 'handler' },
      samples: { type: 'string' },
    },
  });
  if (args.samples) {
    // A finished soak's tables again, from the samples it saved.
    soakReport(JSON.parse(fs.readFileSync(args.samples, 'utf8')));
    return;
  }
  if (!args.fixtures) throw new Error("--fixtures <dir> is required: the folder holding sharp's benchmark images");
  if (!['all', 'warm', 'soak'].includes(args.mode)) throw new Error('--mode is all, warm or soak');
  if (!['handler', 'static'].includes(args['soak-server'])) throw new Error('--soak-server is handler or static');
  const autocannon = require('autocannon');
  const options = {
    seconds: Number(args.seconds ?? (args.mode === 'warm' ? 10 : 20)),
    connections: Number(args.connections),
    runs: Number(args.runs),
    minutes: Number(args.minutes),
    sample: Number(args.sample),
    touch: Number(args.touch),
    soakServer: args['soak-server'],
    // In MiB, as the handler's memoryCacheBytes (0: every hit reads its file).
    memoryCacheBytes: args['memory-cache'] === undefined ? undefined : Math.round(Number(args['memory-cache']) * 2 ** 20),
    // NAME=VALUE, repeatable: the server process's environment only (an allocator preloaded
    // or tuned there does not change the load generator in this process).
    serverEnv: Object.fromEntries(
      args['server-env'].map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`--server-env takes NAME=VALUE, not ${pair}`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
  };
  const src = await sources(args.fixtures);
  const urls = src.names.flatMap((n) => WIDTHS.map((w) => `/${n}?w=${w}&f=auto`));
  console.log(`mode ${args.mode}; sources: ${src.note}; ${urls.length} URLs; ${options.connections} connections; ${os.cpus().length} cores, Node ${process.version}`);
  if (args.mode === 'all') await allMode(autocannon, src, urls, options);
  if (args.mode === 'warm') await warmMode(autocannon, src, urls, options);
  if (args.mode === 'soak') await soakMode(autocannon, src, urls, options);
}

const childAt = process.argv.indexOf('--child');
if (childAt !== -1) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { child: { type: 'string' }, root: { type: 'string' }, cache: { type: 'string' }, map: { type: 'string' }, memory: { type: 'string' } } });
  serveChild(values.child, values.root, values.cache, values.map, values.memory === undefined ? undefined : Number(values.memory));
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
