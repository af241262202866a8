'use strict';
// Calls shaped like sharp's: resize(w, h, options), toFile(path) with the format from the
// extension, toBuffer() keeping the input's format, and jpeg()/png()/webp()/avif()/toFormat().

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { ImageEngine, ErrorCode } = require('..');
const { sharp, fixtures, tmpPath } = require('./helpers');

async function facts(bufOrPath) {
  const m = await sharp(bufOrPath).metadata();
  return { format: m.format === 'heif' ? 'avif' : m.format, width: m.width, height: m.height };
}

test('resize(w, h, { fit, kernel, withoutEnlargement }) as sharp takes it', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg());
  assert.deepEqual(await facts(await engine.clone().resize(200, 200, { fit: 'cover' }).toBuffer('png')), { format: 'png', width: 200, height: 200 });
  assert.deepEqual(await facts(await engine.clone().resize(200, 200).toBuffer('png')), { format: 'png', width: 200, height: 150 });
  assert.deepEqual(await facts(await engine.clone().resize(200, 200, 'fill').toBuffer('png')), { format: 'png', width: 200, height: 200 });
  assert.deepEqual(await facts(await engine.clone().resize(1000, null, { withoutEnlargement: true, kernel: 'nearest' }).toBuffer('png')), { format: 'png', width: 320, height: 240 });
  for (const key of ['gravity', 'width']) {
    assert.throws(() => engine.clone().resize(10, 10, { fit: 'cover', [key]: 'top' }), (e) => e instanceof TypeError && e.code === ErrorCode.INVALID_ARGUMENT && e.message.includes(`unknown key '${key}'`));
  }
  assert.throws(() => engine.clone().resize(10, 10, { fit: 'stretch' }), RangeError);
});

test('toFile(path) takes the format from the extension, case ignored', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg()).resize(64);
  for (const [name, format] of [['a.webp', 'webp'], ['b.PNG', 'png'], ['c.jpeg', 'jpeg'], ['d.Jpg', 'jpeg'], ['e.avif', 'avif']]) {
    const file = tmpPath(name);
    const bytes = await engine.clone().toFile(file);
    assert.equal(bytes, fs.statSync(file).size);
    assert.deepEqual(await facts(file), { format, width: 64, height: 48 });
  }
  const file = tmpPath('q.jpg');
  await engine.clone().toFile(file, { quality: 30, fsync: false });
  assert.equal((await facts(file)).format, 'jpeg');
  for (const bad of ['out', 'out.tiff']) {
    assert.throws(() => engine.toFile(tmpPath(bad)), (e) => e instanceof RangeError && e.code === ErrorCode.OUT_OF_RANGE && /\.jpg, \.jpeg, \.png, \.webp, \.avif/.test(e.message) && e.message.includes(bad));
  }
  // An explicit format still wins over the extension.
  await engine.clone().toFile(tmpPath('forced.png'), 'webp');
  assert.equal((await facts(tmpPath('forced.png'))).format, 'webp');
});

test('toBuffer() without a format keeps the input format', async () => {
  for (const [make, format] of [[fixtures.jpeg, 'jpeg'], [fixtures.png, 'png'], [fixtures.webp, 'webp']]) {
    const engine = ImageEngine.fromPath(await make()).resize(40);
    assert.deepEqual(await facts(await engine.toBuffer()), { format, width: 40, height: 30 });
    assert.equal((await engine.toBufferWithMetrics()).metrics.formatOut, format);
  }
  assert.equal((await facts(await ImageEngine.fromPath(await fixtures.png()).toBuffer({ effort: 1 }))).format, 'png');
  await assert.rejects(ImageEngine.from(Buffer.from('garbage!garbage!')).toBuffer(), (e) => typeof e.code === 'string' && e.code.startsWith('LAZY_'));
});

test('jpeg()/png()/webp()/avif()/toFormat() set the output; an explicit format wins; clone() keeps it', async () => {
  const engine = ImageEngine.fromPath(await fixtures.png()).resize(50);
  assert.equal((await facts(await engine.clone().webp({ quality: 60 }).toBuffer())).format, 'webp');
  assert.equal((await facts(await engine.clone().jpeg().toBuffer())).format, 'jpeg');
  assert.equal((await facts(await engine.clone().avif({ quality: 40 }).toBuffer())).format, 'avif');
  assert.equal((await facts(await engine.clone().toFormat('jpg', { quality: 50 }).toBuffer())).format, 'jpeg');
  const webp = engine.clone().webp({ lossless: true });
  assert.equal((await facts(await webp.clone().toBuffer())).format, 'webp');
  assert.equal((await facts(await webp.toBuffer('png'))).format, 'png');
  const file = tmpPath('set.png');
  await engine.clone().jpeg({ quality: 70 }).toFile(file);
  assert.deepEqual(await facts(file), { format: 'jpeg', width: 50, height: 38 });
  const low = await engine.clone().jpeg({ quality: 10 }).toBuffer();
  const high = await engine.clone().jpeg({ quality: 95 }).toBuffer();
  assert.ok(low.length < high.length, 'the set quality is used');
  const png = await engine.clone().png().toBuffer();
  assert.deepEqual(await facts(png), { format: 'png', width: 50, height: 38 });
  assert.throws(() => engine.toFormat('tiff'), RangeError);
  assert.throws(() => engine.jpeg({ qualty: 5 }), /unknown key 'qualty'.*did you mean 'quality'/);
  assert.throws(() => engine.webp({ quality: 500 }), RangeError);
});
