'use strict';
// Limits and the firewall: bombs refused from their header, size and time limits, policies.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { ImageEngine, ErrorCode } = require('..');
const { fixtures, photoRaw, fromRaw, pngDeclaring } = require('./helpers');

/** A small JPEG whose frame header (SOF) is rewritten to declare width × height. */
async function jpegBomb(width, height) {
  const jpeg = Buffer.from(fs.readFileSync(await fixtures.jpeg()));
  for (let i = 2; i < jpeg.length - 9; ) {
    const marker = jpeg[i + 1];
    if (marker >= 0xc0 && marker <= 0xc2) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker');
}

/** A WebP whose extended header (VP8X) declares a 60000 x 60000 canvas. */
async function webpBomb() {
  const webp = await fromRaw(photoRaw(16, 16, 4)).webp({ quality: 50 }).toBuffer();
  const at = webp.indexOf('VP8X') + 8;
  webp.writeUIntLE(60000 - 1, at + 4, 3);
  webp.writeUIntLE(60000 - 1, at + 7, 3);
  return webp;
}

test('decompression bombs are refused from their header, fast and without memory growth', async () => {
  const bombs = {
    png: pngDeclaring(100000, 100000),
    jpeg: await jpegBomb(65000, 65000),
    webp: await webpBomb(),
  };
  for (const [format, bytes] of Object.entries(bombs)) {
    assert.ok(bytes.length < 20000, `${format} bomb is tiny`);
    const rssBefore = process.memoryUsage().rss;
    const started = process.hrtime.bigint();
    await assert.rejects(ImageEngine.from(bytes).resize(100).toBuffer('png'), (err) => {
      assert.equal(err.code, ErrorCode.LIMIT_EXCEEDED, `${format}: ${err.message}`);
      assert.equal(err.category, 'resource_limit');
      return true;
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 200, `${format}: took ${ms.toFixed(1)} ms`);
    const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.ok(grown < 16, `${format}: RSS grew by ${grown.toFixed(1)} MB`);
  }
});

test('limits({ maxPixels, maxBytes }) refuse before decoding; 0 lifts a limit', async () => {
  const file = await fixtures.jpeg(); // 320 x 240
  const size = fs.statSync(file).size;
  await assert.rejects(ImageEngine.fromPath(file).limits({ maxPixels: 320 * 240 - 1 }).toBuffer('png'), { code: 'LAZY_LIMIT_EXCEEDED' });
  await ImageEngine.fromPath(file).limits({ maxPixels: 320 * 240 }).toBuffer('png');
  await assert.rejects(ImageEngine.fromPath(file).limits({ maxBytes: size - 1 }).toBuffer('png'), { code: 'LAZY_INPUT_TOO_LARGE' });
  await ImageEngine.fromPath(file).limits({ maxBytes: size }).toBuffer('png');
  // A huge but legal header passes the pixel check once the cap is lifted (and then fails to decode).
  await assert.rejects(ImageEngine.from(pngDeclaring(20000, 20000)).limits({ maxPixels: 0 }).resize(10).toBuffer('png'), { code: 'LAZY_CORRUPT_INPUT' });
  await assert.rejects(ImageEngine.from(pngDeclaring(0, 10)).toBuffer('png'), { code: 'LAZY_CORRUPT_INPUT' });
  // dimensions() reports what the header declares; limits apply when pixels are produced.
  assert.deepEqual(ImageEngine.from(pngDeclaring(100000, 100000)).dimensions(), { width: 100000, height: 100000 });
  const engine = ImageEngine.fromPath(file);
  assert.throws(() => engine.limits({ maxPixels: -1 }), RangeError);
  assert.throws(() => engine.limits({ timeoutMs: 1.5 }), RangeError);
  assert.throws(() => engine.limits(5), TypeError);
  assert.throws(() => engine.sanitize({ policy: 'loose' }), RangeError);
});

test('a timeout rejects a long AVIF encode on time and its memory is given back', async () => {
  const big = await fromRaw(photoRaw(800, 600)).png().toBuffer();
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  await assert.rejects(
    ImageEngine.from(big).limits({ timeoutMs: 100 }).toBuffer('avif', { effort: 10 }),
    { code: ErrorCode.TIMEOUT, category: 'resource_limit' },
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1000, `rejected after ${elapsed} ms`);
  // libaom cannot be interrupted: the abandoned encode ends in the background, then frees.
  let grown = Infinity;
  for (let i = 0; i < 120 && grown >= 16; i++) {
    await new Promise((r) => setTimeout(r, 250));
    grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  }
  assert.ok(grown < 16, `RSS is still ${grown.toFixed(1)} MB above where it started`);
  // With time enough the same job succeeds.
  const ok = await ImageEngine.from(big).resize(200).limits({ timeoutMs: 60000 }).toBuffer('avif', { fastMode: true });
  assert.ok(ok.length > 0);
});

test('AVIF outputs one after another do not pile up memory', async () => {
  // libaom starts fresh threads for each encode; what they free stays in glibc arenas of
  // their own unless the pipeline trims them (before it did, RSS rose ~55 MB per output).
  const input = await fromRaw(photoRaw(1280, 800)).png().toBuffer();
  const engine = ImageEngine.from(input);
  await engine.toBuffer('avif', 60);
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 5; i++) await engine.toBuffer('avif', 60);
  const grown = (process.memoryUsage().rss - before) / 2 ** 20;
  assert.ok(grown < 40, `RSS grew ${grown.toFixed(1)} MB over five AVIF outputs`);
});

test('sanitize policies set every limit', async () => {
  const file = await fixtures.jpeg();
  const { metrics } = await ImageEngine.fromPath(file).sanitize({ policy: 'strict' }).toBufferWithMetrics('webp');
  assert.deepEqual(metrics.policyViolations, []);
  await assert.rejects(
    ImageEngine.fromPath(file).sanitize({ policy: 'lenient' }).limits({ maxPixels: 100 }).toBuffer('png'),
    { code: 'LAZY_LIMIT_EXCEEDED' },
  );
});
