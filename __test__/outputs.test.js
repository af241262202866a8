'use strict';
// One decode, many outputs (toOutputs, toSrcset), quality chosen per image against a
// SSIMULACRA2 target, and placeholders from the same decode. Outputs are decoded by sharp.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine, ErrorCode, counters, ssimulacra2 } = require('..');
const { sharp, tmpPath } = require('./helpers');

const PHOTO = path.join(__dirname, '..', '..', 'shared', 'fixtures', '2569067123_aca715a2ee_o.jpg');

async function raw(bytes) {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function meanDiff(a, b) {
  const [x, y] = [await raw(a), await raw(b)];
  assert.deepEqual([x.width, x.height], [y.width, y.height]);
  let sum = 0;
  for (let i = 0; i < x.data.length; i++) sum += Math.abs(x.data[i] - y.data[i]);
  return sum / x.data.length;
}

test('toOutputs: one decode feeds every output, each like the same output made alone', async () => {
  const specs = [
    { resize: 1280, format: 'png' },
    { resize: { width: 640 }, format: 'webp', quality: 80 },
    { resize: 320, format: 'jpeg', quality: 80 },
    { resize: { width: 200, height: 200, fit: 'cover' }, format: 'png' },
  ];
  const engine = ImageEngine.fromPath(PHOTO).grayscale();
  const before = counters().decodes;
  const entries = await engine.toOutputs(specs);
  assert.equal(counters().decodes - before, 1, 'one decode for four outputs');
  assert.equal(entries.length, specs.length);
  for (const [i, e] of entries.entries()) {
    assert.equal(e.success, true);
    const s = specs[i];
    const alone = ImageEngine.fromPath(PHOTO).grayscale().resize(s.resize);
    const single = await alone.toBuffer(s.format, s.quality === undefined ? {} : { quality: s.quality });
    const m = await sharp(e.data).metadata();
    assert.deepEqual([m.format, m.width, m.height], [s.format, e.width, e.height]);
    // The largest output is planned as a single run is; the smaller ones resample from its
    // decode instead of their own (lossy ones also differ by their encoder's noise).
    const d = await meanDiff(e.data, single);
    assert.ok(d <= (i === 0 ? 0 : 1.5), `${JSON.stringify(s)}: mean difference ${d.toFixed(3)} from the same output made alone`);
  }
});

test('toOutputs: a failed output fails only its own entry; bad specs are coded errors', async () => {
  const dir = tmpPath('outputs-partial');
  fs.mkdirSync(dir, { recursive: true });
  const blocker = path.join(dir, 'file');
  fs.writeFileSync(blocker, 'x');
  const entries = await ImageEngine.fromPath(PHOTO).toOutputs([
    { resize: 200, format: 'webp', path: path.join(dir, 'a.webp') },
    { resize: 100, format: 'png', path: path.join(blocker, 'b.png') },
    { resize: 150, format: 'jpeg', path: path.join(dir, 'c.jpg') },
  ]);
  assert.deepEqual(entries.map((e) => e.success), [true, false, true]);
  assert.equal(entries[1].code, ErrorCode.OUTPUT_WRITE);
  for (const [e, width] of [[entries[0], 200], [entries[2], 150]]) {
    assert.equal((await sharp(e.path).metadata()).width, width);
    assert.equal(e.bytes, fs.statSync(e.path).size);
  }
  assert.deepEqual(fs.readdirSync(dir).sort(), ['a.webp', 'c.jpg', 'file'], 'no temp file left');
  const engine = ImageEngine.fromPath(PHOTO);
  await assert.rejects(engine.toOutputs([]), TypeError);
  await assert.rejects(engine.toOutputs([{ format: 'tiff' }]), (e) => e instanceof RangeError && e.message.startsWith('outputs[0]'));
  await assert.rejects(engine.toOutputs([{ format: 'webp', qualty: 3 }]), (e) => e instanceof TypeError && /did you mean 'quality'/.test(e.message));
  await assert.rejects(engine.toOutputs([{ format: 'webp', target: 80 }]), (e) => e instanceof TypeError && /quality: 'auto'/.test(e.message));
  await assert.rejects(ImageEngine.from(Buffer.from('no image here')).toOutputs([{ format: 'png' }]), (e) => e.code === ErrorCode.UNSUPPORTED_FORMAT);
});

test("quality: 'auto' reports the quality it chose and a score at or above the target; a higher target costs bytes", async () => {
  const engine = ImageEngine.fromPath(PHOTO);
  const [low, high] = await engine.toOutputs([
    { resize: 480, format: 'webp', quality: 'auto', target: 60 },
    { resize: 480, format: 'webp', quality: 'auto', target: 85 },
  ]);
  for (const [e, target] of [[low, 60], [high, 85]]) {
    assert.equal(e.success, true);
    assert.ok(Number.isInteger(e.quality) && e.quality >= 30 && e.quality <= 95, `${e.quality}`);
    assert.ok(e.score >= target || e.quality === 95, `score ${e.score} for target ${target}`);
  }
  assert.ok(high.quality > low.quality && high.bytes > low.bytes, `${low.quality}/${low.bytes} vs ${high.quality}/${high.bytes}`);
  // The score recomputed against the same resize, lossless; one step lower falls short.
  const reference = await engine.clone().resize(480).toBuffer('png');
  for (const [e, target] of [[low, 60], [high, 85]]) {
    const data = (await engine.toOutputs([{ resize: 480, format: 'webp', quality: e.quality }]))[0].data;
    assert.equal(data.length, e.bytes, 'the chosen output is that quality\'s');
    assert.ok(Math.abs(ssimulacra2(reference, data) - e.score) < 0.01, `${ssimulacra2(reference, data)} vs ${e.score}`);
    if (e.quality > 30) {
      const lower = (await engine.toOutputs([{ resize: 480, format: 'webp', quality: e.quality - 5 }]))[0].data;
      assert.ok(ssimulacra2(reference, lower) < target, `q${e.quality - 5} would have reached ${target}`);
    }
  }
  // The same choice through toBuffer's options.
  const { data, metrics } = await engine.clone().resize(480).toBufferWithMetrics('webp', { quality: 'auto', target: 60 });
  assert.equal(metrics.quality, low.quality);
  assert.equal(data.length, low.bytes);
});

test('placeholder() and a placeholder spec: hashes, dominant colour and a data URI under 1 KB', async () => {
  const p = await ImageEngine.fromPath(PHOTO).placeholder();
  const { width, height } = await sharp(PHOTO).metadata();
  assert.deepEqual([p.width, p.height], [width, height]);
  assert.match(p.dominant, /^#[0-9a-f]{6}$/);
  assert.equal(p.blurhash.length, 28);
  assert.ok(Buffer.from(p.thumbhash, 'base64').length >= 5);
  const uri = /^data:image\/webp;base64,(.+)$/.exec(p.dataUri);
  const preview = Buffer.from(uri[1], 'base64');
  assert.ok(preview.length < 1024, `${preview.length} bytes`);
  const m = await sharp(preview).metadata();
  assert.ok(m.format === 'webp' && Math.max(m.width, m.height) <= 32);
  // Its average colour is the photo's, near enough.
  const [a, b] = [await sharp(preview).resize(1, 1).raw().toBuffer(), await sharp(PHOTO).resize(1, 1).raw().toBuffer()];
  assert.ok([0, 1, 2].every((k) => Math.abs(a[k] - b[k]) < 24), `${[...a]} vs ${[...b]}`);
});

test('toSrcset: files named name-width.ext per format, srcset strings, and the placeholder, from one decode', async () => {
  const outDir = tmpPath('srcset');
  const before = counters().decodes;
  const set = await ImageEngine.fromPath(PHOTO).toSrcset({ widths: [320, 640], formats: ['webp', 'jpeg'], outDir, name: 'photo', quality: 70, placeholder: true, baseUrl: '/img/' });
  assert.equal(counters().decodes - before, 1);
  assert.deepEqual(set.srcset, { webp: '/img/photo-320.webp 320w, /img/photo-640.webp 640w', jpeg: '/img/photo-320.jpg 320w, /img/photo-640.jpg 640w' });
  for (const file of ['photo-320.webp', 'photo-640.webp', 'photo-320.jpg', 'photo-640.jpg']) {
    const m = await sharp(path.join(outDir, file)).metadata();
    assert.equal(m.width, Number(/-(\d+)\./.exec(file)[1]));
  }
  assert.match(set.placeholder.dataUri, /^data:image\/webp;base64,/);
  await assert.rejects(ImageEngine.fromPath(PHOTO).toSrcset({ widths: [], outDir, name: 'x' }), TypeError);
  await assert.rejects(ImageEngine.fromPath(PHOTO).toSrcset({ widths: [100], outDir, name: 'a/b' }), RangeError);
});

test('a recipe carries outputs: its JSON round trip, and engine.apply(recipe).toOutputs() makes the set', async () => {
  const { recipe, createStreamingPipeline } = require('..');
  const specs = [
    { resize: 320, format: 'webp', quality: 70 },
    { resize: { width: 200, height: 200, fit: 'cover' }, format: 'jpeg', quality: 'auto', target: 70 },
    { placeholder: true },
  ];
  const r = recipe().grayscale().toOutputs(specs);
  const json = JSON.parse(JSON.stringify(r));
  assert.deepEqual(json, { version: 1, steps: [{ op: 'grayscale' }], outputs: specs });
  assert.deepEqual(recipe(JSON.stringify(json)).toJSON(), json, 'read back, the same JSON');
  assert.deepEqual(recipe(r).toJSON(), json, 'a copy keeps the outputs');
  specs[0].quality = 10;
  assert.equal(r.toJSON().outputs[0].quality, 70, 'the recipe keeps its own copy of the specs');
  specs[0].quality = 70;
  assert.deepEqual(recipe().grayscale().toJSON(), { version: 1, steps: [{ op: 'grayscale' }] }, 'no outputs key without outputs');

  const engine = ImageEngine.fromPath(PHOTO).apply(json);
  const before = counters().decodes;
  const [made, cloned, direct] = [await engine.toOutputs(), await engine.clone().toOutputs(), await ImageEngine.fromPath(PHOTO).grayscale().toOutputs(specs)];
  assert.equal(counters().decodes - before, 3, 'one decode per call');
  for (const entries of [made, cloned]) {
    assert.deepEqual(entries.map((e) => e.success), [true, true, true]);
    assert.deepEqual(entries[0].data, direct[0].data, 'the same bytes as the specs given to toOutputs');
    assert.deepEqual(entries[1].data, direct[1].data);
    assert.deepEqual(entries[2].placeholder, direct[2].placeholder);
  }
  const [m0, m1] = [await sharp(made[0].data).metadata(), await sharp(made[1].data).metadata()];
  assert.deepEqual([m0.format, m0.width, m1.format, m1.width, m1.height], ['webp', 320, 'jpeg', 200, 200]);
  assert.ok(made[1].score >= 70 || made[1].quality === 95, `${made[1].score}`);
  // Specs given to the call win over the applied recipe's.
  assert.equal((await engine.toOutputs([{ resize: 100, format: 'png' }]))[0].width, 100);

  // Checked when recorded or read, named by their index; no path in a recipe; takers of one output refuse them.
  assert.throws(() => recipe().toOutputs([{ format: 'webp' }, { format: 'tiff' }]), (e) => e instanceof RangeError && /^outputs\[1\]: format/.test(e.message));
  assert.throws(() => recipe({ version: 1, steps: [], outputs: [{ format: 'webp', qualty: 5 }] }), (e) => e instanceof TypeError && /^outputs\[0\]: unknown key 'qualty'.*did you mean 'quality'/.test(e.message));
  assert.throws(() => recipe().toOutputs([{ format: 'webp', path: 'a.webp' }]), (e) => e instanceof TypeError && /take no path/.test(e.message));
  assert.throws(() => recipe().toOutputs([]), TypeError);
  assert.throws(() => createStreamingPipeline({ format: 'webp', recipe: r }), (e) => e.code === ErrorCode.INVALID_ARGUMENT && /carries outputs/.test(e.message));
  await assert.rejects(ImageEngine.fromPath(PHOTO).toOutputs(), (e) => e instanceof TypeError && /non-empty array/.test(e.message), 'no specs and no recipe outputs');
});

test("chromaSubsampling: JPEG '4:4:4' and AVIF '4:2:0' as sharp and avifdec read them; the defaults; other formats refuse it", async () => {
  const engine = ImageEngine.fromPath(PHOTO).resize(320);
  const jpegChroma = async (options) => (await sharp(await engine.clone().toBuffer('jpeg', options)).metadata()).chromaSubsampling;
  assert.equal(await jpegChroma({ quality: 80 }), '4:2:0');
  assert.equal(await jpegChroma({ quality: 80, chromaSubsampling: '4:4:4' }), '4:4:4');
  const avifFormat = async (options) => {
    const file = tmpPath('chroma.avif');
    await engine.clone().toFile(file, 'avif', { quality: 60, fastMode: true, ...options });
    const info = require('node:child_process').execFileSync('avifdec', ['--info', file], { encoding: 'utf8' });
    fs.rmSync(file);
    return /Format\s*:\s*(YUV\d+)/.exec(info)[1];
  };
  assert.equal(await avifFormat({}), 'YUV444');
  assert.equal(await avifFormat({ chromaSubsampling: '4:2:0' }), 'YUV420');
  assert.throws(() => engine.clone().toBuffer('webp', { chromaSubsampling: '4:4:4' }), (e) => e.code === ErrorCode.INVALID_ARGUMENT && /JPEG and AVIF, not webp/.test(e.message));
  assert.throws(() => engine.clone().toBuffer('jpeg', { chromaSubsampling: '4:2:2' }), (e) => e.code === ErrorCode.OUT_OF_RANGE && /one of 4:2:0, 4:4:4; got '4:2:2'/.test(e.message));
  // Batches and streams take every encoder option toBuffer takes.
  const dir = tmpPath('chroma-batch');
  const [entry] = await ImageEngine.fromPath(PHOTO).resize(160).processBatch([PHOTO], dir, { format: 'jpeg', chromaSubsampling: '4:4:4' });
  assert.equal((await sharp(entry.outputPath).metadata()).chromaSubsampling, '4:4:4');
  fs.rmSync(dir, { recursive: true, force: true });
});
