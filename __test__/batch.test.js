'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine } = require('..');
const { fixtures, decode, tmpPath } = require('./helpers');

async function inputs() {
  const dir = tmpPath('batch-inputs');
  fs.mkdirSync(path.join(dir, 'other'), { recursive: true });
  const jpeg = await fixtures.jpeg();
  const png = await fixtures.png();
  fs.copyFileSync(jpeg, path.join(dir, 'other', 'photo.jpg'));
  fs.writeFileSync(path.join(dir, 'cut.png'), fs.readFileSync(png).subarray(0, 100));
  return [jpeg, png, path.join(dir, 'missing.webp'), path.join(dir, 'cut.png'), path.join(dir, 'other', 'photo.jpg'), dir];
}

test('processBatch converts every file, in input order, and isolates failures', async () => {
  const files = await inputs();
  const out = tmpPath('batch-out/nested');
  const engine = ImageEngine.fromPath(files[0]).resize(100);
  const results = await engine.processBatch(files, out, { format: 'webp', quality: 70 });
  assert.deepEqual(results.map((r) => r.source), files);
  assert.deepEqual(results.map((r) => r.success), [true, true, false, false, true, false]);
  assert.deepEqual(results.map((r) => r.code ?? null), [
    null, null, 'LAZY_FILE_NOT_FOUND', 'LAZY_CORRUPT_INPUT', null, 'LAZY_NOT_A_FILE',
  ]);
  for (const r of results.filter((r) => !r.success)) {
    assert.equal(typeof r.error, 'string');
    assert.equal(typeof r.errorCode, 'number');
    assert.ok(['user_input', 'codec'].includes(r.errorCategory));
    assert.equal(r.outputPath, undefined);
  }
  const written = results.filter((r) => r.success);
  // Two inputs named photo.jpg and one photo.png: three distinct outputs.
  assert.equal(new Set(written.map((r) => r.outputPath)).size, 3);
  for (const r of written) {
    assert.equal(path.dirname(r.outputPath), out);
    assert.equal(fs.statSync(r.outputPath).size, r.bytesOut);
    assert.equal(fs.statSync(r.source).size, r.bytesIn);
    const img = await decode(fs.readFileSync(r.outputPath));
    assert.equal(img.format, 'webp');
    assert.deepEqual([img.width, img.height], [100, 75]);
  }
  assert.deepEqual(fs.readdirSync(out).sort(), written.map((r) => path.basename(r.outputPath)).sort());
});

test('processBatch takes the positional form and an explicit concurrency', async () => {
  const files = (await inputs()).slice(0, 2);
  for (const concurrency of [1, 2, 0, undefined]) {
    const results = await ImageEngine.fromPath(files[0])
      .grayscale()
      .processBatch(files, tmpPath(`batch-positional-${concurrency}`), 'png', undefined, true, concurrency);
    assert.ok(results.every((r) => r.success), JSON.stringify(results));
    const img = await decode(fs.readFileSync(results[0].outputPath));
    assert.deepEqual([img.width, img.height, img.format], [320, 240, 'png']);
  }
  assert.deepEqual(await ImageEngine.fromPath(files[0]).processBatch([], tmpPath('batch-empty'), 'jpeg'), []);
});

test('processBatch reports each input as it finishes', async () => {
  const files = await inputs();
  const heard = [];
  const results = await ImageEngine.fromPath(files[0]).resize(50)
    .processBatch(files, tmpPath('batch-progress'), { format: 'png', concurrency: 2, onProgress: (p) => heard.push(p) });
  assert.equal(heard.length, files.length);
  assert.deepEqual(heard.map((p) => p.done), files.map((_, i) => i + 1));
  assert.ok(heard.every((p) => p.total === files.length));
  for (const r of results) {
    const p = heard.find((h) => h.source === r.source && h.success === r.success);
    assert.ok(p, `no progress for ${r.source}`);
    assert.equal(p.code, r.code);
  }
  assert.throws(() => ImageEngine.fromPath(files[0]).processBatch(files, tmpPath('x'), { format: 'png', onProgress: 5 }), TypeError);
  const failing = () => { throw new Error('progress display broke'); };
  await assert.rejects(
    ImageEngine.fromPath(files[0]).processBatch(files, tmpPath('batch-throws'), { format: 'png', onProgress: failing }),
    /progress display broke/,
  );
});

test('processBatch checks its arguments synchronously', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg());
  assert.throws(() => engine.processBatch('a.jpg', tmpPath('x'), 'jpeg'), TypeError);
  assert.throws(() => engine.processBatch([42], tmpPath('x'), 'jpeg'), TypeError);
  assert.throws(() => engine.processBatch([], 7, 'jpeg'), TypeError);
  assert.throws(() => engine.processBatch([], tmpPath('x'), 'tiff'), RangeError);
  assert.throws(() => engine.processBatch([], tmpPath('x'), { format: 'jpeg', concurrency: 2000 }), RangeError);
  assert.throws(() => engine.processBatch([], tmpPath('x'), { format: 'jpeg', concurrency: 1.5 }), RangeError);
  assert.throws(() => engine.processBatch([], tmpPath('x'), 'jpeg', 80, false, -1), RangeError);
});

test('processBatch rejects when the output folder cannot be created', async () => {
  const file = await fixtures.jpeg();
  await assert.rejects(ImageEngine.fromPath(file).processBatch([file], path.join(file, 'sub'), 'jpeg'), {
    code: 'LAZY_OUTPUT_WRITE',
  });
});
