'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const lazy = require('..');
const { ImageEngine } = lazy;
const { fixtures, decode, fromRaw, photoRaw, meanDiff, tmpPath } = require('./helpers');

test('fromPath maps the file and decodes nothing until an output is asked for', async () => {
  const file = await fixtures.jpeg();
  const engine = ImageEngine.fromPath(file);
  assert.deepEqual(engine.dimensions(), { width: 320, height: 240 });
  assert.equal(engine.hasIccProfile(), false);
  const out = await engine.resize(160).toBuffer('png');
  const img = await decode(out);
  assert.equal(img.format, 'png');
  assert.deepEqual([img.width, img.height], [160, 120]);
});

test('every output format decodes back to the same picture', async () => {
  const source = await fixtures.png();
  const reference = await decode(await fromRaw(photoRaw(320, 240, 4)).resize(100, 75).removeAlpha().png().toBuffer());
  for (const format of lazy.supportedOutputFormats()) {
    const out = await ImageEngine.fromPath(source).resize(100).toBuffer(format, 90);
    const img = await decode(out);
    assert.equal(img.format, format === 'avif' ? 'heif' : format, format);
    assert.deepEqual([img.width, img.height], [100, 75], format);
    // JPEG flattens onto white; compare only the nearly opaque top rows.
    const rows = 8 * 100 * 3;
    const diff = meanDiff({ data: img.data.subarray(0, rows) }, { data: reference.data.subarray(0, rows) });
    assert.ok(diff < 12, `${format}: mean difference ${diff.toFixed(2)}`);
  }
});

test('alpha survives PNG, WebP and AVIF output', async () => {
  const source = await fixtures.png();
  for (const format of ['png', 'webp', 'avif']) {
    const img = await decode(await ImageEngine.fromPath(source).toBuffer(format, 90), { alpha: true });
    assert.equal(img.meta.hasAlpha, true, format);
    const bottom = img.data[((img.height - 1) * img.width + 10) * 4 + 3];
    assert.ok(bottom < 90, `${format}: bottom row alpha ${bottom}`);
  }
});

test('decodes JPEG variants, PNG variants, WebP and AVIF', async () => {
  // CMYK without a profile: both sides apply the same public-domain profile (libvips' default).
  const cases = [
    ['jpeg', [320, 240]], ['grayJpeg', [200, 100]], ['progressiveJpeg', [300, 200]], ['cmykJpeg', [64, 64]], ['cmykPhotoJpeg', [96, 64]],
    ['png', [320, 240]], ['palettePng', [64, 64]], ['gray16Png', [64, 48]], ['interlacedPng', [64, 48]],
    ['webp', [320, 240]], ['webpAlpha', [320, 240]], ['avif', [320, 240]], ['avifAlpha', [320, 240]],
  ];
  for (const [name, [w, h], tolerance = 3] of cases) {
    const file = await fixtures[name]();
    const img = await decode(await ImageEngine.fromPath(file).toBuffer('png'));
    assert.deepEqual([img.width, img.height], [w, h], name);
    const expected = await decode(fs.readFileSync(file));
    const diff = meanDiff(img, expected);
    assert.ok(diff < tolerance, `${name}: differs from sharp's decode by ${diff.toFixed(2)}`);
  }
});

test('from(Buffer), fromBytes(Uint8Array) and fromMemory(ArrayBuffer) read the caller\'s bytes', async () => {
  const bytes = fs.readFileSync(await fixtures.webp());
  const u8 = new Uint8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  for (const engine of [ImageEngine.from(bytes), ImageEngine.fromBytes(u8), ImageEngine.fromMemory(u8.buffer)]) {
    const img = await decode(await engine.resize(32, 32, 'fill').toBuffer('jpeg'));
    assert.deepEqual([img.width, img.height], [32, 32]);
  }
});

test('outputs are non-destructive and clone() branches the pipeline', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg()).resize(200);
  const branch = engine.clone().resize(50);
  const [a, b, c] = await Promise.all([engine.toBuffer('webp'), engine.toBuffer('jpeg'), branch.toBuffer('png')]);
  assert.equal((await decode(a)).width, 200);
  assert.equal((await decode(b)).width, 200);
  assert.equal((await decode(c)).width, 50);
  assert.equal((await decode(await engine.toBuffer('png'))).width, 200, 'the branch did not change its parent');
});

test('toFile writes atomically and returns the bytes written', async () => {
  const out = tmpPath('written.webp');
  const n = await ImageEngine.fromPath(await fixtures.jpeg()).resize(64).toFile(out, 'webp', 70);
  assert.equal(fs.statSync(out).size, n);
  assert.equal((await decode(fs.readFileSync(out))).width, 64);
  assert.deepEqual(fs.readdirSync(tmpPath('.')).filter((f) => f.endsWith('.tmp')), []);
});

test('toBufferWithMetrics reports stages, sizes and formats', async () => {
  const file = await fixtures.jpeg();
  const { data, metrics } = await ImageEngine.fromPath(file).resize(100).toBufferWithMetrics('webp', { quality: 75 });
  for (const key of ['decodeMs', 'opsMs', 'encodeMs', 'totalMs']) assert.ok(metrics[key] >= 0, key);
  assert.ok(metrics.totalMs >= metrics.decodeMs + metrics.encodeMs - 0.01);
  assert.ok(metrics.peakRss > 10 * 1024 * 1024);
  assert.equal(metrics.bytesIn, fs.statSync(file).size);
  assert.equal(metrics.bytesOut, data.length);
  assert.equal(metrics.formatIn, 'jpeg');
  assert.equal(metrics.formatOut, 'webp');
  assert.equal(metrics.compressionRatio, metrics.bytesIn / metrics.bytesOut);
  assert.deepEqual([metrics.widthOut, metrics.heightOut], [100, 75]);
});

test('quality is monotonic for every lossy format and fastMode', async () => {
  const engine = ImageEngine.fromPath(await fixtures.png()).resize(160);
  for (const [format, fast] of [['jpeg', false], ['jpeg', true], ['webp', false], ['webp', true], ['avif', true]]) {
    const qualities = format === 'avif' ? [30, 60, 90] : [10, 30, 50, 70, 90, 100];
    const sizes = [];
    for (const q of qualities) sizes.push((await engine.toBuffer(format, q, fast)).length);
    for (let i = 1; i < sizes.length; i++) {
      assert.ok(sizes[i] >= sizes[i - 1], `${format} fast=${fast}: ${sizes.join(', ')}`);
    }
  }
});

test('PNG effort runs oxipng: smaller or equal, still lossless', async () => {
  const engine = ImageEngine.fromPath(await fixtures.png()).resize(120);
  const fast = await engine.toBuffer('png');
  const small = await engine.toBuffer('png', { effort: 9 });
  assert.ok(small.length <= fast.length, `${small.length} > ${fast.length}`);
  assert.equal(meanDiff(await decode(fast, { alpha: true }), await decode(small, { alpha: true })), 0);
});

test('50 concurrent outputs all succeed', async () => {
  const file = await fixtures.jpeg();
  const formats = ['jpeg', 'png', 'webp'];
  const outs = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      ImageEngine.fromPath(file).resize(40 + i).toBuffer(formats[i % 3], 70),
    ),
  );
  for (let i = 0; i < outs.length; i++) {
    assert.equal((await decode(outs[i])).width, 40 + i);
  }
});

test('inspect, inspectFile and format lists', async () => {
  const file = await fixtures.webpAlpha();
  const info = lazy.inspectFile(file);
  assert.deepEqual(info, lazy.inspect(fs.readFileSync(file)));
  assert.equal(info.format, 'webp');
  assert.equal(info.hasAlpha, true);
  assert.deepEqual([info.width, info.height, info.orientation], [320, 240, 1]);
  assert.deepEqual(lazy.supportedInputFormats(), ['jpeg', 'png', 'webp', 'avif', 'gif']);
  assert.deepEqual(lazy.supportedOutputFormats(), ['jpeg', 'png', 'webp', 'avif', 'gif']);
  assert.equal(lazy.version(), require('../package.json').version);
});
