'use strict';
// The HTTP handler under load, side by side (docs/PERFORMANCE.md, "Serving"):
//   npm install --prefix benches          # once: autocannon and sharp
//   node benches/serve.js --fixtures <dir of sharp's benchmark images> [--seconds 20] [--connections 8]
//
// 20 source photos × 3 widths × f=auto (a Chromium Accept header, so AVIF), over loopback:
//   cold   every one of the 60 URLs once, on an empty cache: conversion throughput
//   warm   the same 60 URLs in turn for --seconds, all cached: the serving overhead
// against the same handler with sharp doing the conversion (`convert` injected, every
// other line of the handler shared), and, warm, a plain static-file server (node:http and
// fs.createReadStream) sending the same cached bytes. Each server runs in a process of its
// own (peak RSS is that process's); autocannon runs in this one, on the same cores.
// sharp converts at its AVIF default (effort 4) and, cold only, at effort 3 (libaom speed 6,
// lazy-image's setting).
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

// ---------------------------------------------------------------- server processes

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

function serveChild(kind, root, cacheDir, mapFile) {
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
    const options = { root, cacheDir, widths: WIDTHS, maxCacheBytes: 1 << 30 };
    if (kind === 'sharp') options.convert = sharpConvert(require('sharp'));
    if (kind === 'sharp-effort3') options.convert = sharpConvert(require('sharp'), 3);
    listener = createImageHandler(options);
  }
  const server = http.createServer(listener);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'rss') process.send({ maxRssMb: peakRssMb() });
  });
}

// ---------------------------------------------------------------- the driver

function startServer(kind, root, cacheDir, mapFile) {
  const child = fork(__filename, ['--child', kind, '--root', root, '--cache', cacheDir, '--map', mapFile ?? ''], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', ({ port }) => {
      resolve({
        port,
        rss: () => new Promise((done) => { child.once('message', (m) => done(m.maxRssMb)); child.send('rss'); }),
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

async function main() {
  const { values: args } = parseArgs({ options: { fixtures: { type: 'string' }, seconds: { type: 'string', default: '20' }, connections: { type: 'string', default: '8' } } });
  if (!args.fixtures) throw new Error("--fixtures <dir> is required: the folder holding sharp's benchmark images");
  const autocannon = require('autocannon');
  const seconds = Number(args.seconds);
  const connections = Number(args.connections);
  const src = await sources(args.fixtures);
  const urls = src.names.flatMap((n) => WIDTHS.map((w) => `/${n}?w=${w}&f=auto`));
  console.log(`sources: ${src.note}; ${urls.length} URLs; ${connections} connections; warm runs ${seconds} s; ${os.cpus().length} cores, Node ${process.version}`);
  const rows = [];
  let map = null;
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
    // Every URL cached before the warm run, whatever the cold run left unfinished.
    for (const url of urls) await fetch(`http://127.0.0.1:${server.port}${url}`, { headers: { accept: ACCEPT } }).then((r) => r.arrayBuffer());
    const warm = await cannon(autocannon, server.port, urls, { seconds, connections });
    rows.push(row(`handler + ${kind}`, 'warm', warm, await server.rss()));
    if (kind === 'lazy-image') {
      // The static server sends the same bytes: each URL's cache file, found by its ETag.
      map = {};
      for (const url of urls) {
        const res = await fetch(`http://127.0.0.1:${server.port}${url}`, { headers: { accept: ACCEPT } });
        const body = Buffer.from(await res.arrayBuffer());
        const tag = res.headers.get('etag').replace(/"/g, '');
        const file = fs.readdirSync(cacheDir).find((f) => f.startsWith(tag));
        map[url] = { file: path.join(cacheDir, file), size: body.length, type: res.headers.get('content-type') };
      }
    }
    await server.stop();
  }
  const mapFile = path.join(WORK, 'static-map.json');
  fs.writeFileSync(mapFile, JSON.stringify(map));
  const plain = await startServer('static', src.dir, '', mapFile);
  const warm = await cannon(autocannon, plain.port, urls, { seconds, connections });
  rows.push(row('static files (node:http + createReadStream)', 'warm', warm, await plain.rss()));
  await plain.stop();
  console.table(rows);
  const cols = Object.keys(rows[0]);
  console.log(`\n| ${cols.join(' | ')} |\n|${cols.map(() => ' --- ').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
}

const childAt = process.argv.indexOf('--child');
if (childAt !== -1) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { child: { type: 'string' }, root: { type: 'string' }, cache: { type: 'string' }, map: { type: 'string' } } });
  serveChild(values.child, values.root, values.cache, values.map);
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
