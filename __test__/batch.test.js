'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine, processBatch } = require('..');
const { fixtures, decode, meanDiff, tmpPath } = require('./helpers');

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

// A set of outputs per input: widths × formats from one decode each, named <name>-<width>.<ext>.
const SET = [
  { resize: 100, format: 'webp', quality: 70 },
  { resize: { width: 200 }, format: 'webp', quality: 70 },
  { resize: 100, format: 'jpeg' },
  { resize: { width: 60, height: 60, fit: 'cover' }, format: 'png' },
  { placeholder: true },
];

test('processBatch with a set: every input makes every output, named <name>-<size>.<ext>; a failed input fails its entry', async () => {
  const { recipe, counters } = require('..');
  const files = await inputs();
  const out = tmpPath('batch-set');
  const heard = [];
  const r = recipe().rotate(90).toOutputs(SET);
  const before = counters().decodes;
  const results = await processBatch(files, out, { recipe: JSON.stringify(r), concurrency: 2, onProgress: (p) => heard.push(p) });
  assert.deepEqual(results.map((e) => e.source), files);
  assert.deepEqual(results.map((e) => e.success), [true, true, false, false, true, false]);
  assert.deepEqual(results.map((e) => e.code ?? null), [null, null, 'LAZY_FILE_NOT_FOUND', 'LAZY_CORRUPT_INPUT', null, 'LAZY_NOT_A_FILE']);
  // One decode per input that reached decoding: the three good ones and the corrupt one.
  assert.equal(counters().decodes - before, 4);
  assert.deepEqual(heard.map((p) => p.done), files.map((_, i) => i + 1));
  assert.deepEqual(heard.filter((p) => !p.success).map((p) => p.code).sort(), ['LAZY_CORRUPT_INPUT', 'LAZY_FILE_NOT_FOUND', 'LAZY_NOT_A_FILE']);
  // photo.jpg, photo.png and other/photo.jpg share a name: photo, photo-2, photo-3.
  const stems = ['photo', 'photo-2', 'photo-3'];
  const ok = results.filter((e) => e.success);
  for (const [k, e] of ok.entries()) {
    assert.deepEqual(e.outputs.map((o) => o.path && path.basename(o.path)), [`${stems[k]}-100.webp`, `${stems[k]}-200.webp`, `${stems[k]}-100.jpg`, `${stems[k]}-60x60.png`, undefined]);
    assert.equal(e.bytesIn, fs.statSync(e.source).size);
    assert.equal(e.bytesOut, e.outputs.slice(0, 4).reduce((n, o) => n + fs.statSync(o.path).size, 0));
    // Read back by sharp: the recipe's rotation (320×240 → 240×320), then each output's own resize.
    for (const [o, [format, width, height]] of e.outputs.slice(0, 4).map((o, i) => [o, [['webp', 100, 133], ['webp', 200, 267], ['jpeg', 100, 133], ['png', 60, 60]][i]])) {
      const img = await decode(fs.readFileSync(o.path));
      assert.deepEqual([img.format, img.width, img.height], [format, width, height], o.path);
      assert.deepEqual([o.format, o.width, o.height, o.bytes], [format, width, height, fs.statSync(o.path).size]);
    }
    const p = e.outputs[4].placeholder;
    assert.deepEqual([p.width, p.height], [240, 320]);
    assert.match(p.dataUri, /^data:image\/webp;base64,/);
  }
  // The first output equals the same output made alone (the largest output is planned as a single run).
  const alone = await ImageEngine.fromPath(files[0]).rotate(90).resize(200).toBuffer('webp', 70);
  const inSet = await decode(fs.readFileSync(ok[0].outputs[1].path));
  assert.ok(meanDiff(inSet, await decode(alone)) < 1.5);
  assert.deepEqual(fs.readdirSync(out).sort(), ok.flatMap((e) => e.outputs.slice(0, 4).map((o) => path.basename(o.path))).sort(), 'only finished outputs, no temporary files');
});

test('processBatch with a set: an unwritable output fails only its own entry and leaves no partial file', async () => {
  const jpeg = await fixtures.jpeg();
  const dir = tmpPath('batch-set-isolation');
  fs.mkdirSync(path.join(dir, 'photo-200.webp'), { recursive: true });
  const input = tmpPath('batch-set-isolation-in/photo.webp');
  fs.mkdirSync(path.dirname(input), { recursive: true });
  fs.copyFileSync(await fixtures.webp(), input);
  // A folder is in the way of photo-200.webp.
  const outputs = [{ resize: 100, format: 'webp' }, { resize: 200, format: 'webp' }, { format: 'webp' }, { resize: 100, format: 'png' }];
  const results = await processBatch([jpeg, input], dir, { outputs });
  assert.ok(results.every((e) => e.success), 'both inputs were read');
  const [photo, own] = results.map((e) => e.outputs);
  assert.deepEqual(photo.map((o) => o.success), [true, false, true, true]);
  assert.equal(photo[1].code, 'LAZY_OUTPUT_WRITE');
  assert.equal(photo[1].path, path.join(dir, 'photo-200.webp'));
  assert.equal(photo[1].category, 'user_input');
  assert.equal(typeof photo[1].error, 'string');
  // The second input's stem is taken by the first input's outputs: photo-2.
  assert.deepEqual(own.map((o) => path.basename(o.path)), ['photo-2-100.webp', 'photo-2-200.webp', 'photo-2.webp', 'photo-2-100.png']);
  assert.ok(own.every((o) => o.success));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'photo-200.webp')), [], 'nothing written into the folder in the way');
  assert.equal((await decode(fs.readFileSync(path.join(dir, 'photo.webp')))).width, 320, 'without a resize: the full size');
  assert.equal(results[0].bytesOut, [photo[0], photo[2], photo[3]].reduce((n, o) => n + o.bytes, 0));
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');

  // An output naming its own input fails that output only, and the input is untouched.
  const same = tmpPath('batch-set-same');
  fs.mkdirSync(same, { recursive: true });
  const own2 = path.join(same, 'own.webp');
  fs.copyFileSync(await fixtures.webp(), own2);
  const original = fs.readFileSync(own2);
  const [entry] = await processBatch([own2], same, { outputs: [{ format: 'webp' }, { resize: 50, format: 'webp' }] });
  assert.deepEqual(entry.outputs.map((o) => o.code ?? null), ['LAZY_OUTPUT_IS_INPUT', null]);
  assert.deepEqual(fs.readFileSync(own2), original);
  assert.deepEqual(fs.readdirSync(same).sort(), ['own-50.webp', 'own.webp']);
});

test("engine.processBatch with a set: the engine's own steps on every input, from the outputs option or an applied recipe", async () => {
  const { recipe } = require('..');
  const files = (await inputs()).slice(0, 2);
  const engine = ImageEngine.fromPath(files[0]).grayscale().rotate(90);
  const byOption = await engine.processBatch(files, tmpPath('batch-set-engine'), { outputs: [{ resize: 120, format: 'png' }] });
  const applied = ImageEngine.fromPath(files[0]).grayscale().apply(recipe().rotate(90).toOutputs([{ resize: 120, format: 'png' }]));
  const byRecipe = await applied.processBatch(files, tmpPath('batch-set-applied'), {});
  for (const results of [byOption, byRecipe]) {
    for (const e of results) {
      const img = await decode(fs.readFileSync(e.outputs[0].path));
      assert.deepEqual([img.width, img.height], [120, 160]);
      // Grey: the three channels equal everywhere.
      for (let i = 0; i < img.data.length; i += 3) assert.ok(img.data[i] === img.data[i + 1] && img.data[i + 1] === img.data[i + 2], `pixel ${i / 3} is not grey`);
    }
  }
  assert.deepEqual(fs.readFileSync(byOption[1].outputs[0].path), fs.readFileSync(byRecipe[1].outputs[0].path));
});

test('processBatch with a set checks its arguments synchronously', async () => {
  const { recipe } = require('..');
  const file = await fixtures.jpeg();
  const dir = tmpPath('batch-set-args');
  const set = [{ resize: 100, format: 'webp' }];
  const withSet = recipe().toOutputs(set);
  const thrown = (fn) => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    assert.fail('did not throw');
  };
  const cases = [
    [() => processBatch([file], dir, { outputs: set, format: 'webp' }), TypeError, /^format: a batch with outputs takes each output's format/],
    [() => processBatch([file], dir, { recipe: withSet, quality: 80 }), TypeError, /^quality: a batch with outputs/],
    [() => processBatch([file], dir, { recipe: withSet, outputs: set }), TypeError, /outputs given twice/],
    [() => processBatch([file], dir, { outputs: [{ resize: 100, format: 'webp', path: 'x.webp' }] }), TypeError, /^outputs\[0\]: .*take no path/],
    [() => processBatch([file], dir, { outputs: [{ resize: 100, format: 'webp' }, { resize: { width: 100, kernel: 'cubic' }, format: 'webp', quality: 20 }] }), RangeError, /^outputs\[1\] would be written as <name>-100\.webp like outputs\[0\]/],
    [() => processBatch([file], dir, { outputs: [] }), TypeError, /non-empty array/],
    [() => processBatch([file], dir, { outputs: [{ resize: 0, format: 'webp' }] }), RangeError, /^outputs\[0\]: width must be/],
    [() => ImageEngine.fromPath(file).apply(withSet).processBatch([file], dir, 'webp'), TypeError, /^format: a batch with outputs/],
  ];
  for (const [fn, Ctor, message] of cases) {
    const err = thrown(fn);
    assert.ok(err instanceof Ctor, `${err}`);
    assert.match(err.message, message);
    assert.ok(err.code === 'LAZY_INVALID_ARGUMENT' || err.code === 'LAZY_OUT_OF_RANGE', err.code);
  }
  assert.equal(fs.existsSync(dir), false, 'nothing created before the checks passed');
  await assert.rejects(processBatch([file], path.join(file, 'sub'), { outputs: set }), { code: 'LAZY_OUTPUT_WRITE' });
});
