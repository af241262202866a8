'use strict';
// lazy-image/http over a real server on 127.0.0.1 and real fetch: format negotiation,
// caching (ETag/304, LRU bound, coalescing), allow-lists, path confinement and the status
// code of every failure. Outputs are decoded with sharp, an independent decoder.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createImageHandler, negotiate } = require('lazy-image/http');
const { sharp } = require('./helpers');
const { listen, rawGet, get, freshDir, imageFolders, filesUnder } = require('./serving');

const CHROME_ACCEPT = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';

let folders;
test.before(async () => {
  folders = await imageFolders();
});

async function serve(options) {
  const handler = createImageHandler({ root: folders.root, ...options });
  const server = await listen(handler);
  return { handler, ...server };
}

async function jsonError(res) {
  assert.match(res.headers.get?.('content-type') ?? res.headers['content-type'], /^application\/json/);
  return JSON.parse(res.body.toString('utf8')).error;
}

test('Accept decides the format: avif, then webp, else the source format; Vary: Accept; sharp decodes each at the asked width', async (t) => {
  const s = await serve({ cacheDir: freshDir('cache'), widths: [320, 640] });
  t.after(s.close);
  const cases = [
    [CHROME_ACCEPT, 'image/avif', 'heif'],
    ['image/webp,*/*', 'image/webp', 'webp'],
    ['image/avif;q=0,image/webp;q=0.9', 'image/webp', 'webp'],
    ['image/webp;q=0.5,image/avif;q=0.8', 'image/avif', 'heif'],
    ['*/*', 'image/jpeg', 'jpeg'],
    ['image/*', 'image/jpeg', 'jpeg'],
    ['', 'image/jpeg', 'jpeg'],
  ];
  for (const [accept, type, sharpFormat] of cases) {
    const res = await get(`${s.url}/photo.jpg?w=640`, accept ? { accept } : {});
    assert.equal(res.status, 200, accept);
    assert.equal(res.headers.get('content-type'), type, accept);
    assert.equal(res.headers.get('vary'), 'Accept');
    assert.equal(Number(res.headers.get('content-length')), res.body.length);
    const meta = await sharp(res.body).metadata();
    assert.equal(meta.format, sharpFormat, accept);
    assert.equal(meta.width, 640);
    assert.equal(meta.height, 480);
  }
  // An explicit format is not negotiated: no Vary.
  const png = await get(`${s.url}/photo.jpg?w=320&f=png`, { accept: CHROME_ACCEPT });
  assert.equal(png.headers.get('content-type'), 'image/png');
  assert.equal(png.headers.get('vary'), null);
  assert.deepEqual([(await sharp(png.body).metadata()).format, (await sharp(png.body).metadata()).width], ['png', 320]);
  // The unit under the handler agrees.
  assert.equal(negotiate('image/webp, image/avif', ['avif', 'webp']), 'avif');
  assert.equal(negotiate('image/*,*/*', ['avif', 'webp']), null);
});

test('a client that takes neither AVIF nor WebP gets JPEG for a WebP source and PNG for a PNG source', async (t) => {
  const s = await serve({ widths: [200, 400] });
  t.after(s.close);
  const webp = await get(`${s.url}/sub/photo.webp?w=400`, { accept: 'image/jpeg,image/png,*/*' });
  assert.equal(webp.headers.get('content-type'), 'image/jpeg');
  assert.deepEqual([(await sharp(webp.body).metadata()).format, (await sharp(webp.body).metadata()).width], ['jpeg', 400]);
  const same = await get(`${s.url}/sub/photo.webp?w=400`, { accept: 'image/webp' });
  assert.equal(same.headers.get('content-type'), 'image/webp');
  const png = await get(`${s.url}/alpha.png?w=200`, { accept: '*/*' });
  const meta = await sharp(png.body).metadata();
  assert.deepEqual([png.headers.get('content-type'), meta.format, meta.width, meta.hasAlpha], ['image/png', 'png', 200, true]);
});

test('ETag and If-None-Match give 304 without a body; Cache-Control from the options; HEAD has headers only', async (t) => {
  const s = await serve({ cacheDir: freshDir('cache'), widths: [320], cacheControl: 'public, max-age=60' });
  t.after(s.close);
  const first = await get(`${s.url}/photo.jpg?w=320`, { accept: 'image/webp' });
  const etag = first.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{40}"$/);
  assert.equal(first.headers.get('cache-control'), 'public, max-age=60');
  assert.equal(first.headers.get('x-image-cache'), 'MISS');
  const again = await get(`${s.url}/photo.jpg?w=320`, { accept: 'image/webp', 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal(again.headers.get('etag'), etag);
  assert.equal(again.headers.get('vary'), 'Accept');
  const weak = await get(`${s.url}/photo.jpg?w=320`, { accept: 'image/webp', 'if-none-match': `"other", W/${etag}` });
  assert.equal(weak.status, 304);
  // Another negotiated format is another entity.
  const avif = await get(`${s.url}/photo.jpg?w=320`, { accept: 'image/avif', 'if-none-match': etag });
  assert.equal(avif.status, 200);
  assert.notEqual(avif.headers.get('etag'), etag);
  const hit = await get(`${s.url}/photo.jpg?w=320`, { accept: 'image/webp' });
  assert.equal(hit.headers.get('x-image-cache'), 'HIT');
  assert.deepEqual(hit.body, first.body);
  const head = await fetch(`${s.url}/photo.jpg?w=320`, { method: 'HEAD', headers: { accept: 'image/webp' } });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), first.body.length);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const post = await fetch(`${s.url}/photo.jpg?w=320`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  const st = s.handler.stats();
  assert.equal(st.conversions, 2);
  assert.equal(st.notModified, 2);
});

test("values outside the allow-lists, unknown or repeated keys and q=auto without 'auto' in qualities are 400 with a coded JSON body; presets work", async (t) => {
  const s = await serve({ widths: [64, 128], qualities: [50, 80], presets: { card: { width: 128, height: 64, fit: 'cover', quality: 50 } } });
  t.after(s.close);
  const refused = {
    'w=100': 'LAZY_OUT_OF_RANGE',
    'w=64.5': 'LAZY_INVALID_ARGUMENT',
    'w=-64': 'LAZY_INVALID_ARGUMENT',
    'w=0064': 'LAZY_INVALID_ARGUMENT',
    'w=64&q=75': 'LAZY_OUT_OF_RANGE',
    'w=64&q=auto': 'LAZY_OUT_OF_RANGE',
    'w=64&f=gif': 'LAZY_OUT_OF_RANGE',
    'w=64&fit=cover': 'LAZY_INVALID_ARGUMENT',
    'w=64&h=64&fit=squash': 'LAZY_OUT_OF_RANGE',
    'w=64&width=64': 'LAZY_INVALID_ARGUMENT',
    'w=64&w=128': 'LAZY_INVALID_ARGUMENT',
    'preset=card&w=64': 'LAZY_INVALID_ARGUMENT',
    'preset=nope': 'LAZY_OUT_OF_RANGE',
  };
  for (const [query, code] of Object.entries(refused)) {
    const res = await get(`${s.url}/photo.jpg?${query}`);
    assert.equal(res.status, 400, query);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const error = await jsonError(res);
    assert.equal(error.code, code, query);
    assert.ok(error.message.length > 10, query);
  }
  assert.match((await jsonError(await get(`${s.url}/photo.jpg?w=100`))).message, /64, 128/);
  assert.match((await jsonError(await get(`${s.url}/photo.jpg?q=auto`))).message, /q=auto is not allowed.*50, 80.*add 'auto' to qualities/);
  assert.equal(s.handler.stats().conversions, 0);
  const card = await get(`${s.url}/photo.jpg?preset=card&f=webp`);
  const meta = await sharp(card.body).metadata();
  assert.deepEqual([card.status, meta.format, meta.width, meta.height], [200, 'webp', 128, 64]);
  const ok = await get(`${s.url}/photo.jpg?w=128&h=128&fit=cover&q=80&f=jpg`);
  assert.deepEqual([ok.status, ok.headers.get('content-type'), (await sharp(ok.body).metadata()).height], [200, 'image/jpeg', 128]);
});

test("q=auto, with 'auto' in qualities, is the engine's quality: 'auto' (the SSIMULACRA2 target reached), cached as its own entity; target is an option", async (t) => {
  const { ImageEngine, ssimulacra2 } = require('..');
  const sample = path.join(folders.root, 'photo.jpg');
  const resized = () => ImageEngine.fromPath(sample).resize({ width: 320, withoutEnlargement: true });
  const reference = await resized().toBuffer('png');
  const cacheDir = freshDir('cache');
  const s = await serve({ cacheDir, widths: [320], qualities: [60, 'auto'], presets: { small: { width: 320, quality: 'auto' } } });
  t.after(s.close);
  const auto = await get(`${s.url}/photo.jpg?w=320&q=auto`, { accept: 'image/webp' });
  assert.deepEqual([auto.status, auto.headers.get('content-type'), auto.headers.get('vary')], [200, 'image/webp', 'Accept']);
  const engine = await resized().toBufferWithMetrics('webp', { quality: 'auto' });
  assert.ok(auto.body.equals(engine.data), "the bytes of the engine's quality: 'auto'");
  assert.ok(engine.metrics.quality !== 60 && ssimulacra2(reference, auto.body) >= 75, `quality ${engine.metrics.quality}, score ${engine.metrics.score}`);
  // Another entity than q=60 (which no q means here); a hit and a 304 like any other.
  const fixed = await get(`${s.url}/photo.jpg?w=320&q=60`, { accept: 'image/webp' });
  assert.notEqual(fixed.headers.get('etag'), auto.headers.get('etag'));
  assert.equal((await get(`${s.url}/photo.jpg?w=320`, { accept: 'image/webp' })).headers.get('etag'), fixed.headers.get('etag'));
  const hit = await get(`${s.url}/photo.jpg?w=320&q=auto`, { accept: 'image/webp' });
  assert.equal(hit.headers.get('x-image-cache'), 'HIT');
  assert.ok(hit.body.equals(auto.body));
  assert.equal((await get(`${s.url}/photo.jpg?w=320&q=auto`, { accept: 'image/webp', 'if-none-match': auto.headers.get('etag') })).status, 304);
  // A preset may choose 'auto' too: the same entity as w=320&q=auto.
  assert.equal((await get(`${s.url}/photo.jpg?preset=small`, { accept: 'image/webp' })).headers.get('etag'), auto.headers.get('etag'));
  // Negotiated AVIF searches in AVIF.
  const avif = await get(`${s.url}/photo.jpg?w=320&q=auto`, { accept: CHROME_ACCEPT });
  assert.deepEqual([avif.headers.get('content-type'), (await sharp(avif.body).metadata()).width], ['image/avif', 320]);
  assert.ok(avif.body.equals((await resized().toBufferWithMetrics('avif', { quality: 'auto' })).data));
  assert.equal(s.handler.stats().conversions, 3);

  // target: a higher score to reach is another entity, at a higher quality; with 'auto' the only quality, no q means auto.
  const strict = await serve({ cacheDir, widths: [320], qualities: ['auto'], target: 90 });
  t.after(strict.close);
  const high = await get(`${strict.url}/photo.jpg?w=320`, { accept: 'image/webp' });
  assert.equal(high.headers.get('x-image-cache'), 'MISS');
  const engineHigh = await resized().toBufferWithMetrics('webp', { quality: 'auto', target: 90 });
  assert.ok(high.body.equals(engineHigh.data));
  assert.ok(engineHigh.metrics.quality > engine.metrics.quality && high.body.length > auto.body.length);
  assert.equal((await get(`${strict.url}/photo.jpg?w=320&q=auto`, { accept: 'image/webp' })).headers.get('etag'), high.headers.get('etag'));
  const refused = await get(`${strict.url}/photo.jpg?w=320&q=60`);
  assert.deepEqual([refused.status, (await jsonError(refused)).code], [400, 'LAZY_OUT_OF_RANGE']);
  assert.match((await jsonError(refused)).message, /qualities: auto/);
});

test('a source changed after it was served is converted again, never served stale; turned into a symlink out of root it is 404', async (t) => {
  const root = freshDir('changing');
  const outside = freshDir('beyond');
  const file = path.join(root, 'pic.jpg');
  const solid = (width, background) => sharp({ create: { width, height: 100, channels: 3, background } }).jpeg().toBuffer();
  fs.writeFileSync(file, await solid(200, '#f00'));
  fs.writeFileSync(path.join(root, 'other.jpg'), await solid(300, '#ff0'));
  fs.writeFileSync(path.join(outside, 'secret.jpg'), await solid(400, '#0f0'));
  const s = await listen(createImageHandler({ root, cacheDir: freshDir('cache'), widths: [64] }));
  t.after(s.close);
  const look = async (headers = {}) => {
    const res = await get(`${s.url}/pic.jpg?w=64&f=png`, headers);
    if (res.status !== 200) return { status: res.status, body: res.body.toString('utf8') };
    const { data, info } = await sharp(res.body).raw().toBuffer({ resolveWithObject: true });
    return { status: res.status, etag: res.headers.get('etag'), how: res.headers.get('x-image-cache'), rgb: [data[0] > 128, data[1] > 128, data[2] > 128], height: info.height };
  };
  const red = await look();
  assert.deepEqual([red.how, red.rgb, red.height], ['MISS', [true, false, false], 32]);
  assert.equal((await look()).how, 'HIT');
  // Rewritten in place (the same inode): a new entity, the new pixels, the old ETag no longer matches.
  fs.writeFileSync(file, await solid(320, '#00f'));
  const blue = await look({ 'if-none-match': red.etag });
  assert.deepEqual([blue.status, blue.how, blue.rgb, blue.height], [200, 'MISS', [false, false, true], 20]);
  // Replaced by another file (a rename over it).
  fs.writeFileSync(path.join(root, 'next.tmp'), await solid(640, '#fff'));
  fs.renameSync(path.join(root, 'next.tmp'), file);
  const white = await look();
  assert.deepEqual([white.how, white.rgb, white.height], ['MISS', [true, true, true], 10]);
  assert.equal((await look()).how, 'HIT');
  // A symlink to a file outside root: as missing, whatever was resolved before.
  fs.rmSync(file);
  fs.symlinkSync(path.join(outside, 'secret.jpg'), file);
  const out = await look();
  assert.equal(out.status, 404);
  assert.ok(!out.body.includes(outside));
  // A symlink to another image inside root: that image.
  fs.rmSync(file);
  fs.symlinkSync(path.join(root, 'other.jpg'), file);
  const yellow = await look();
  assert.deepEqual([yellow.how, yellow.rgb, yellow.height], ['MISS', [true, true, false], 21]);
  fs.rmSync(file);
  assert.equal((await look()).status, 404);
});

test('a cache file cut short, grown or removed behind the handler is converted again, never served as it is; the index follows', async (t) => {
  const cacheDir = freshDir('cache');
  // Entries read from disk on every hit: none kept in memory.
  const s = await serve({ cacheDir, widths: [128], memoryCacheBytes: 0 });
  t.after(s.close);
  const url = `${s.url}/photo.jpg?w=128`;
  const first = await get(url, { accept: 'image/webp' });
  assert.equal(first.headers.get('x-image-cache'), 'MISS');
  const [entry] = filesUnder(cacheDir);
  const damage = [() => fs.truncateSync(entry.path, entry.size - 10), () => fs.appendFileSync(entry.path, 'trailing'), () => fs.rmSync(entry.path)];
  for (const [i, spoil] of damage.entries()) {
    spoil();
    const res = await get(url, { accept: 'image/webp' });
    assert.equal(res.headers.get('x-image-cache'), 'MISS', `damage ${i}`);
    assert.ok(res.body.equals(first.body), `damage ${i}`);
    assert.equal((await get(url, { accept: 'image/webp' })).headers.get('x-image-cache'), 'HIT');
    assert.deepEqual(filesUnder(cacheDir).map((f) => f.size), [first.body.length]);
  }
  const st = s.handler.stats();
  assert.deepEqual([st.conversions, st.cacheEntries, st.cacheBytes], [4, 1, first.body.length]);
});

test('the most recently used entries are served from memory, up to memoryCacheBytes, with the bytes written', async (t) => {
  const cacheDir = freshDir('cache');
  const s = await serve({ cacheDir, widths: [64, 128] });
  t.after(s.close);
  const small = await get(`${s.url}/photo.jpg?w=64`, { accept: 'image/webp' });
  const [entry] = filesUnder(cacheDir);
  fs.rmSync(entry.path);
  // Kept in memory since it was written: a hit that reads nothing, with the same bytes.
  const hit = await get(`${s.url}/photo.jpg?w=64`, { accept: 'image/webp' });
  assert.equal(hit.headers.get('x-image-cache'), 'HIT');
  assert.ok(hit.body.equals(small.body));
  const large = await get(`${s.url}/photo.jpg?w=128`, { accept: 'image/webp' });
  assert.deepEqual([s.handler.stats().memoryEntries, s.handler.stats().memoryBytes], [2, small.body.length + large.body.length]);
  // A bound smaller than one entry keeps none: the removed file is a miss, converted again.
  const tightDir = freshDir('cache');
  const tight = await serve({ cacheDir: tightDir, widths: [64], memoryCacheBytes: small.body.length - 1 });
  t.after(tight.close);
  await get(`${tight.url}/photo.jpg?w=64`, { accept: 'image/webp' });
  fs.rmSync(filesUnder(tightDir)[0].path);
  const again = await get(`${tight.url}/photo.jpg?w=64`, { accept: 'image/webp' });
  assert.equal(again.headers.get('x-image-cache'), 'MISS');
  assert.ok(again.body.equals(small.body));
  assert.deepEqual([tight.handler.stats().memoryEntries, tight.handler.stats().memoryBytes, tight.handler.stats().cacheEntries], [0, 0, 1]);
});

test('nothing outside root is served: dot segments (encoded too), absolute paths, backslashes, NUL, symlinks out', async (t) => {
  const s = await serve({ cacheDir: freshDir('cache'), widths: [64] });
  t.after(s.close);
  const attempts = [
    '/..%2f..%2fetc/passwd',
    '/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd?w=64',
    '/%2e%2e/outside/secret.jpg',
    '/%2E%2E/outside/passwd',
    '/%2e%2e%2foutside%2fsecret.jpg',
    '/../outside/secret.jpg',
    '/sub/../../outside/secret.jpg',
    '/sub/%2e%2e/%2e%2e/outside/secret.jpg?w=64',
    '/./photo.jpg',
    '//etc/passwd',
    '/%2fetc%2fpasswd',
    `/${encodeURIComponent(path.join(folders.outside, 'secret.jpg'))}`,
    `${path.join(folders.outside, 'secret.jpg')}`.replace(/^\/?/, '/'),
    'http://127.0.0.1/../outside/secret.jpg',
    '/photo.jpg%00.png',
    '/photo.jpg%00',
    '/..\\outside\\secret.jpg',
    '/%5c..%5coutside%5csecret.jpg',
    '/sub%5c..%5c..%5coutside%5csecret.jpg',
    '/C:%5cWindows%5cwin.ini',
    '/escape.jpg',
    '/escape.jpg?w=64',
    '/linkdir/secret.jpg',
    '/linkdir/passwd',
    '/.hidden.jpg',
    '/%2ehidden.jpg',
    '/%ff%fe',
    '/sub/',
    '/sub',
  ];
  for (const target of attempts) {
    const res = await rawGet(s.port, target);
    assert.ok(res.status === 400 || res.status === 404, `${target} → ${res.status}`);
    assert.match(res.headers['content-type'], /^application\/json/, target);
    const body = res.body.toString('latin1');
    assert.ok(!body.includes('SECRET-MARKER') && !body.includes(folders.base), `${target} leaks: ${body}`);
    assert.ok(!res.body.includes(folders.secret.subarray(0, 64)), target);
  }
  assert.equal(s.handler.stats().conversions, 0, 'nothing outside root was converted');
  // A symlink that stays inside root is followed.
  const inside = await rawGet(s.port, '/inside.jpg?w=64', { accept: 'image/webp' });
  assert.equal(inside.status, 200);
  assert.equal((await sharp(inside.body).metadata()).width, 64);
  assert.deepEqual(filesUnder(s.handler === null ? '' : folders.outside).map((f) => f.name).sort(), ['passwd', 'secret.jpg']);
});

test('bad input is 422 with the engine code, limits 413, timeouts 504, a full queue 503; no partial cache file; the server lives on', async (t) => {
  const cacheDir = freshDir('cache');
  const s = await serve({ cacheDir, widths: [64, 128, 256, 384, 640] });
  t.after(s.close);
  const broken = await get(`${s.url}/broken.jpg?w=64`, { accept: 'image/webp' });
  assert.equal(broken.status, 422);
  assert.equal((await jsonError(broken)).code, 'LAZY_CORRUPT_INPUT');
  const garbage = await get(`${s.url}/garbage.jpg?w=64`, { accept: 'image/webp' });
  assert.equal(garbage.status, 422);
  const error = await jsonError(garbage);
  assert.equal(error.code, 'LAZY_UNSUPPORTED_FORMAT');
  assert.ok(!error.message.includes(folders.root), error.message);
  // Negotiation fails too, so the source's header is read first: the same code.
  assert.equal((await jsonError(await get(`${s.url}/garbage.jpg?w=64`))).code, 'LAZY_UNSUPPORTED_FORMAT');
  assert.equal((await get(`${s.url}/missing.jpg?w=64`)).status, 404);
  assert.deepEqual(filesUnder(cacheDir), [], 'nothing cached for failures');

  const limited = await serve({ widths: [64], limits: { maxPixels: 1000 } });
  t.after(limited.close);
  const big = await get(`${limited.url}/photo.jpg?w=64`, { accept: 'image/webp' });
  assert.deepEqual([big.status, (await jsonError(big)).code], [413, 'LAZY_LIMIT_EXCEEDED']);
  const bytes = await serve({ widths: [64], limits: { maxBytes: 1000 } });
  t.after(bytes.close);
  const heavy = await get(`${bytes.url}/photo.jpg?w=64`, { accept: 'image/webp' });
  assert.deepEqual([heavy.status, (await jsonError(heavy)).code], [413, 'LAZY_INPUT_TOO_LARGE']);
  const slow = await serve({ widths: [640], timeoutMs: 1 });
  t.after(slow.close);
  const late = await get(`${slow.url}/photo.jpg?w=640`, { accept: 'image/avif' });
  assert.deepEqual([late.status, (await jsonError(late)).code], [504, 'LAZY_TIMEOUT']);

  const narrow = await serve({ widths: [256, 384, 640], maxPending: 1, cacheDir: freshDir('cache') });
  t.after(narrow.close);
  const burst = await Promise.all([256, 384, 640].map((w) => get(`${narrow.url}/photo.jpg?w=${w}`, { accept: 'image/avif' })));
  const full = burst.filter((r) => r.status === 503);
  assert.ok(full.length >= 1 && burst.some((r) => r.status === 200), burst.map((r) => r.status).join());
  assert.equal((await jsonError(full[0])).code, 'LAZY_QUEUE_FULL');
  assert.equal(full[0].headers.get('retry-after'), '1');

  // Still serving after all of that.
  const fine = await get(`${s.url}/photo.jpg?w=128`, { accept: 'image/webp' });
  assert.equal(fine.status, 200);
  const names = filesUnder(cacheDir).map((f) => f.name);
  assert.equal(names.length, 1);
  assert.match(names[0], /^[0-9a-f]{64}\.webp$/);
});

test('the disk cache stays within maxCacheBytes, evicts the least recently used, and is rebuilt from the folder at start', async (t) => {
  const cacheDir = freshDir('cache');
  const widths = [100, 120, 140, 160, 180, 200, 220, 240, 260, 280, 300, 320];
  const maxCacheBytes = 16_000;
  const s = await serve({ cacheDir, widths, maxCacheBytes });
  t.after(s.close);
  const sizes = new Map();
  for (const w of widths) {
    const res = await get(`${s.url}/photo.jpg?w=${w}`, { accept: 'image/webp' });
    assert.equal(res.status, 200);
    sizes.set(w, res.body.length);
    // Touch the first width each time: it is the most recently used, never evicted.
    assert.equal((await get(`${s.url}/photo.jpg?w=100`, { accept: 'image/webp' })).headers.get('x-image-cache'), 'HIT');
    const total = filesUnder(cacheDir).reduce((sum, f) => sum + f.size, 0);
    assert.ok(total <= maxCacheBytes, `${total} bytes in the cache after w=${w}`);
    // Every entry was written by this handler and the memory bound is larger than the disk's:
    // all are kept in memory, and an evicted one has dropped its bytes.
    const st = s.handler.stats();
    assert.deepEqual([st.memoryEntries, st.memoryBytes], [st.cacheEntries, total], `after w=${w}`);
  }
  assert.ok([...sizes.values()].reduce((a, b) => a + b) > 2 * maxCacheBytes, 'the widths together exceed the bound');
  const cached = filesUnder(cacheDir);
  assert.ok(cached.every((f) => /^[0-9a-f]{64}\.webp$/.test(f.name)), 'no temporary file left');
  assert.equal((await get(`${s.url}/photo.jpg?w=120`, { accept: 'image/webp' })).headers.get('x-image-cache'), 'MISS', 'an old width was evicted');
  const last = await get(`${s.url}/photo.jpg?w=320`, { accept: 'image/webp' });
  assert.equal(last.headers.get('x-image-cache'), 'HIT');

  // A new handler over the same folder starts with what is there.
  const again = await serve({ cacheDir, widths, maxCacheBytes });
  t.after(again.close);
  await again.handler.ready;
  const entries = filesUnder(cacheDir);
  assert.equal(again.handler.stats().cacheEntries, entries.length);
  assert.equal(again.handler.stats().cacheBytes, entries.reduce((sum, f) => sum + f.size, 0));
  assert.deepEqual([again.handler.stats().memoryEntries, again.handler.stats().memoryBytes], [0, 0], 'nothing read yet');
  const hit = await get(`${again.url}/photo.jpg?w=320`, { accept: 'image/webp' });
  assert.equal(hit.headers.get('x-image-cache'), 'HIT');
  assert.deepEqual(hit.body, last.body);
  assert.equal(again.handler.stats().conversions, 0);
  assert.deepEqual([again.handler.stats().memoryEntries, again.handler.stats().memoryBytes], [1, hit.body.length], 'kept once read');
  // A smaller bound at start trims the folder.
  const small = createImageHandler({ root: folders.root, cacheDir, widths, maxCacheBytes: 8_000 });
  await small.ready;
  assert.ok(filesUnder(cacheDir).reduce((sum, f) => sum + f.size, 0) <= 8_000);
});

test('20 concurrent identical requests on a cold cache make one conversion', async (t) => {
  const cacheDir = freshDir('cache');
  const s = await serve({ cacheDir, widths: [1080] });
  t.after(s.close);
  const all = await Promise.all(Array.from({ length: 20 }, () => get(`${s.url}/photo.jpg?w=1080`, { accept: CHROME_ACCEPT })));
  assert.ok(all.every((r) => r.status === 200 && r.headers.get('content-type') === 'image/avif'));
  assert.ok(all.every((r) => r.body.equals(all[0].body)));
  const st = s.handler.stats();
  assert.equal(st.conversions, 1);
  assert.equal(st.coalesced + st.hits, 19);
  assert.ok(st.coalesced >= 1, JSON.stringify(st));
  const meta = await sharp(all[0].body).metadata();
  assert.deepEqual([meta.format, meta.width], ['heif', 1080]);
  assert.equal(filesUnder(cacheDir).length, 1);
});

test('a load(path) source: bytes with an ETag, a file path, null for 404; a throwing loader is a 500 and nothing more', async (t) => {
  const jpeg = fs.readFileSync(path.join(folders.root, 'photo.jpg'));
  let version = 'v1';
  const handler = createImageHandler({
    widths: [64, 128],
    cacheDir: freshDir('cache'),
    basePath: '/img',
    load: async (p) => {
      if (p === '/bucket/photo.jpg') return { data: jpeg, etag: version };
      if (p === '/disk/photo.jpg') return path.join(folders.root, 'photo.jpg');
      if (p === '/boom.jpg') throw new Error('storage is down at /secret/place');
      return null;
    },
  });
  const s = await listen(handler);
  t.after(s.close);
  const a = await get(`${s.url}/img/bucket/photo.jpg?w=128`, { accept: 'image/webp' });
  assert.deepEqual([a.status, (await sharp(a.body).metadata()).width], [200, 128]);
  assert.equal((await get(`${s.url}/img/bucket/photo.jpg?w=128`, { accept: 'image/webp' })).headers.get('x-image-cache'), 'HIT');
  version = 'v2';
  const b = await get(`${s.url}/img/bucket/photo.jpg?w=128`, { accept: 'image/webp', 'if-none-match': a.headers.get('etag') });
  assert.equal(b.status, 200, 'a new object version is a new entity');
  assert.equal(b.headers.get('x-image-cache'), 'MISS');
  const d = await get(`${s.url}/img/disk/photo.jpg?w=64`);
  assert.deepEqual([d.status, d.headers.get('content-type')], [200, 'image/jpeg']);
  assert.equal((await get(`${s.url}/img/none.jpg?w=64`)).status, 404);
  assert.equal((await get(`${s.url}/elsewhere/bucket/photo.jpg?w=64`)).status, 404);
  const boom = await get(`${s.url}/img/boom.jpg?w=64`);
  assert.equal(boom.status, 500);
  const error = await jsonError(boom);
  assert.equal(error.code, 'LAZY_INTERNAL');
  assert.ok(!error.message.includes('secret'));
  assert.equal((await get(`${s.url}/img/bucket/photo.jpg?w=64`)).status, 200);
});

test('options are checked when the handler is made', () => {
  assert.throws(() => createImageHandler({}), /root.*load/);
  assert.throws(() => createImageHandler({ root: folders.root, load: () => null }), /exactly one/);
  assert.throws(() => createImageHandler({ root: folders.root, width: [1] }), /unknown option 'width'/);
  assert.throws(() => createImageHandler({ root: folders.root, widths: [0] }), RangeError);
  assert.throws(() => createImageHandler({ root: folders.root, formats: ['gif'] }), RangeError);
  assert.throws(() => createImageHandler({ root: folders.root, limits: { timeoutMs: 5 } }), /timeoutMs is its own option/);
  assert.throws(() => createImageHandler({ root: folders.root, recipe: { version: 1, steps: [{ op: 'spin' }] } }), /op/);
  assert.throws(() => createImageHandler({ root: path.join(folders.root, 'photo.jpg') }), /folder/);
  assert.throws(() => createImageHandler({ root: folders.root, qualities: [60, 'best'] }), /"best".*'auto'/);
  assert.throws(() => createImageHandler({ root: folders.root, qualities: [] }), TypeError);
  assert.throws(() => createImageHandler({ root: folders.root, target: 80 }), /add 'auto' to qualities/);
  assert.throws(() => createImageHandler({ root: folders.root, qualities: ['auto'], target: 0 }), RangeError);
  assert.throws(() => createImageHandler({ root: folders.root, presets: { p: { quality: 'max' } } }), /'auto'/);
  assert.doesNotThrow(() => createImageHandler({ root: folders.root, presets: { p: { width: 64, quality: 'auto' } }, target: 60 }));
});

test('the recipe option applies to every image before the resize; it is part of the cache key', async (t) => {
  const { recipe } = require('..');
  const cacheDir = freshDir('cache');
  const grey = await serve({ cacheDir, widths: [64], recipe: recipe().grayscale() });
  t.after(grey.close);
  const colour = await serve({ cacheDir, widths: [64] });
  t.after(colour.close);
  const a = await get(`${grey.url}/photo.jpg?w=64&f=png`);
  const b = await get(`${colour.url}/photo.jpg?w=64&f=png`);
  assert.notEqual(a.headers.get('etag'), b.headers.get('etag'));
  assert.equal(b.headers.get('x-image-cache'), 'MISS', 'not served the grey entry');
  const { data, info } = await sharp(a.body).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 64);
  let spread = 0;
  for (let i = 0; i < data.length; i += info.channels) spread = Math.max(spread, Math.abs(data[i] - data[i + 1]), Math.abs(data[i + 1] - data[i + 2]));
  assert.ok(spread <= 2, `grey pixels, channel spread ${spread}`);
  const c = await sharp(b.body).raw().toBuffer({ resolveWithObject: true });
  let colourSpread = 0;
  for (let i = 0; i < c.data.length; i += c.info.channels) colourSpread = Math.max(colourSpread, Math.abs(c.data[i] - c.data[i + 2]));
  assert.ok(colourSpread > 20, 'the other handler kept the colour');
});
