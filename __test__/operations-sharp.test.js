'use strict';
// The operations sharp users reach for, each compared with sharp's own output for the same
// call on a real photo (sharp's benchmark JPEG) and on a real image with alpha (its
// premultiplication benchmark PNG). Both libraries get the same lossless PNG input, made
// once by sharp at a test size, and give PNG output, so the difference is the operation's.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { ImageEngine, ErrorCode, recipe } = require('..');
const { sharp, tmpPath } = require('./helpers');

const SHARED = path.join(__dirname, '..', '..', 'shared', 'fixtures');
const PHOTO = path.join(SHARED, '2569067123_aca715a2ee_o.jpg');
const ALPHA = path.join(SHARED, 'alpha-premultiply-2048x1536-paper.png');

const inputs = {};
async function input(name, file, width) {
  if (!inputs[name]) {
    const out = tmpPath(`${name}.png`);
    await sharp(file).resize(width).png().toFile(out);
    inputs[name] = out;
  }
  return inputs[name];
}
const photo = () => input('photo-600', PHOTO, 600);
const alpha = () => input('alpha-400', ALPHA, 400);

async function raw(bytes) {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Mean absolute difference per RGBA value; sizes must agree. */
async function diff(ours, theirs) {
  const [a, b] = await Promise.all([raw(ours), raw(theirs)]);
  assert.deepEqual([a.width, a.height], [b.width, b.height], 'sizes agree');
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
  return sum / a.data.length;
}

async function close(ours, theirs, tolerance, what) {
  const d = await diff(ours, theirs);
  assert.ok(d <= tolerance, `${what}: mean difference from sharp ${d.toFixed(3)} > ${tolerance}`);
  return d;
}

test('sharpen(): the mild sharpen and the unsharp mask on lightness look like sharp\'s', async () => {
  const file = await photo();
  const source = fs.readFileSync(file);
  for (const [args, tolerance] of [[[], 0.6], [[{ sigma: 1.5 }], 0.8], [[{ sigma: 2, m1: 0.5, m2: 3, x1: 3, y2: 15, y3: 15 }], 1.0]]) {
    const ours = await ImageEngine.fromPath(file).sharpen(...args).toBuffer('png');
    const theirs = await sharp(file).sharpen(...args).png().toBuffer();
    const d = await close(ours, theirs, tolerance, `sharpen(${JSON.stringify(args)})`);
    // The operation did something: the output is further from its input than from sharp's.
    assert.ok((await diff(ours, source)) > 2 * d, 'sharpened');
  }
  const a = await alpha();
  const ours = await raw(await ImageEngine.fromPath(a).sharpen({ sigma: 1 }).toBuffer('png'));
  const before = await raw(fs.readFileSync(a));
  for (let i = 3; i < ours.data.length; i += 4) assert.equal(ours.data[i], before.data[i], 'alpha untouched');
});

test('blur(): Gaussian and box blur like sharp\'s, alpha premultiplied', async () => {
  for (const [file, args, tolerance] of [[await photo(), [3], 0.8], [await photo(), [], 0.8], [await alpha(), [2], 1.0]]) {
    const ours = await ImageEngine.fromPath(file).blur(...args).toBuffer('png');
    const theirs = await sharp(file).blur(...args).png().toBuffer();
    await close(ours, theirs, tolerance, `blur(${args.join()}) of ${path.basename(file)}`);
  }
  assert.throws(() => ImageEngine.fromPath(PHOTO).blur(-1), (e) => e instanceof RangeError && e.code === ErrorCode.OUT_OF_RANGE);
  assert.throws(() => ImageEngine.fromPath(PHOTO).sharpen({ sigma: 0 }), RangeError);
});

test('flatten({ background }), JPEG output onto a colour, contain padding with a background', async () => {
  const file = await alpha();
  for (const background of ['#ff8000', { r: 10, g: 20, b: 200 }, 'white']) {
    const ours = await ImageEngine.fromPath(file).flatten({ background }).toBuffer('png');
    const theirs = await sharp(file).flatten({ background }).png().toBuffer();
    await close(ours, theirs, 0.6, `flatten(${JSON.stringify(background)})`);
    assert.equal((await sharp(ours).metadata()).channels, 3, 'alpha dropped');
  }
  const jpeg = await ImageEngine.fromPath(file).toBuffer('jpeg', { quality: 95, background: '#00ff00' });
  await close(jpeg, await sharp(file).flatten({ background: '#00ff00' }).jpeg({ quality: 95 }).toBuffer(), 2.5, 'JPEG onto green');
  const padded = await ImageEngine.fromPath(await photo()).resize(300, 300, { fit: 'contain', background: '#123456' }).toBuffer('png');
  const theirs = await sharp(await photo()).resize(300, 300, { fit: 'contain', background: '#123456' }).png().toBuffer();
  await close(padded, theirs, 1.5, 'contain on a colour');
  assert.throws(() => ImageEngine.fromPath(file).flatten({ background: '#12345' }), (e) => e instanceof RangeError && /colour/.test(e.message));
});

test('extend(): every extendWith fills the border as sharp does, exact geometry', async () => {
  const file = await photo();
  const sides = { top: 10, right: 25, bottom: 3, left: 40 };
  for (const extendWith of ['background', 'copy', 'repeat', 'mirror']) {
    const options = { ...sides, extendWith, background: '#ff0000' };
    const ours = await ImageEngine.fromPath(file).extend(options).toBuffer('png');
    const theirs = await sharp(file).extend(options).png().toBuffer();
    const m = await sharp(ours).metadata();
    assert.deepEqual([m.width, m.height], [665, 503]);
    await close(ours, theirs, 0.01, `extendWith ${extendWith}`);
  }
  const all = await ImageEngine.fromPath(file).extend(7).toBuffer('png');
  await close(all, await sharp(file).extend(7).png().toBuffer(), 0.01, 'extend(7)');
  const clear = await ImageEngine.fromPath(file).extend({ left: 5, background: 'transparent' }).toBuffer('png');
  assert.equal((await sharp(clear).metadata()).hasAlpha, true);
  assert.throws(() => ImageEngine.fromPath(file).extend({ top: -1 }), RangeError);
  assert.throws(() => ImageEngine.fromPath(file).extend({ top: 1, extendWith: 'wrap' }), RangeError);
});

test('trim(): removes a one-colour border; the offsets removed are in the metrics and agree with sharp', async () => {
  const framed = tmpPath('framed.png');
  await sharp(await photo()).extend({ top: 12, right: 30, bottom: 5, left: 21, background: '#fafafa' }).png().toFile(framed);
  const { data, metrics } = await ImageEngine.fromPath(framed).trim().toBufferWithMetrics('png');
  const { info } = await sharp(framed).trim().png().toBuffer({ resolveWithObject: true });
  const m = await sharp(data).metadata();
  assert.deepEqual([m.width, m.height], [info.width, info.height]);
  assert.deepEqual([metrics.trimLeft, metrics.trimTop], [-info.trimOffsetLeft, -info.trimOffsetTop]);
  assert.deepEqual([metrics.trimTop, metrics.trimRight, metrics.trimBottom, metrics.trimLeft], [12, 30, 5, 21]);
  await close(data, fs.readFileSync(await photo()), 0.01, 'trimmed back to the photo');
});

test('cover position: the nine gravities and CSS-like names crop where sharp crops', async () => {
  const file = await photo();
  const results = [];
  for (const position of ['centre', 'north', 'northeast', 'east', 'southeast', 'south', 'southwest', 'west', 'northwest', 'right top', 'left']) {
    const ours = await ImageEngine.fromPath(file).resize(200, 300, { fit: 'cover', position }).toBuffer('png');
    const theirs = await sharp(file).resize(200, 300, { fit: 'cover', position }).png().toBuffer();
    results.push([position, await close(ours, theirs, 1.5, `position ${position}`)]);
  }
  // Placement matters: west and east crops differ a lot.
  const west = await ImageEngine.fromPath(file).resize(200, 300, { fit: 'cover', position: 'west' }).toBuffer('png');
  const east = await ImageEngine.fromPath(file).resize(200, 300, { fit: 'cover', position: 'east' }).toBuffer('png');
  assert.ok((await diff(west, east)) > 10);
  const { metrics } = await ImageEngine.fromPath(file).resize(200, 300, { fit: 'cover', position: 'east' }).toBufferWithMetrics('png');
  // As sharp reports them: minus the crop's corner in the resized (367×300) image.
  assert.deepEqual([metrics.cropOffsetLeft, metrics.cropOffsetTop], [-(367 - 200), 0]);
  assert.throws(() => ImageEngine.fromPath(file).resize(10, 10, { fit: 'cover', position: 'upwards' }), (e) => e instanceof RangeError && e.code === ErrorCode.OUT_OF_RANGE && e.message.includes('northeast'));
});

// Entropy follows libvips' description closely and agrees with sharp on the photo too;
// attention agrees where the salient region is clear (the synthetic image), while on the
// photo, whose crop range is only 45 px, libvips' weighting and ours pick different ends.
test('cover position attention and entropy choose the region sharp chooses (within a grid cell)', async () => {
  // A skin-toned face-sized disc and a saturated patch on a textured grey field; and the photo.
  const width = 600;
  const height = 400;
  const field = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const grain = ((x * 7 + y * 13) % 9) - 4;
      const face = (x - 470) ** 2 + (y - 280) ** 2 < 60 ** 2;
      field.set(face ? [224, 172, 140] : [120 + grain, 120 + grain, 120 + grain], i);
    }
  }
  const synthetic = tmpPath('salient.png');
  await sharp(field, { raw: { width, height, channels: 3 } }).png().toFile(synthetic);
  for (const [file, positions] of [[synthetic, ['attention', 'entropy']], [await photo(), ['entropy']]]) {
    for (const position of positions) {
      const { metrics } = await ImageEngine.fromPath(file).resize(200, 200, { fit: 'cover', position }).toBufferWithMetrics('png');
      const { info } = await sharp(file).resize(200, 200, { fit: 'cover', position }).png().toBuffer({ resolveWithObject: true });
      const cell = Math.ceil(Math.max(metrics.widthIn, metrics.heightIn) / 32) * 2;
      const off = [Math.abs(metrics.cropOffsetLeft - info.cropOffsetLeft), Math.abs(metrics.cropOffsetTop - info.cropOffsetTop)];
      assert.ok(metrics.cropOffsetLeft <= 0 && metrics.cropOffsetTop <= 0, 'sharp\'s sign');
      assert.ok(off[0] <= cell && off[1] <= cell, `${position} on ${path.basename(file)}: ours ${metrics.cropOffsetLeft},${metrics.cropOffsetTop}, sharp ${info.cropOffsetLeft},${info.cropOffsetTop}`);
    }
  }
});

test('composite(): gravity, offset, tile and blend modes like sharp; opacity; premultiplied', async () => {
  const base = await photo();
  const mark = tmpPath('mark.png');
  await sharp(await alpha()).resize(160).png().toFile(mark);
  const cases = [
    [{ gravity: 'southeast' }, 1.0],
    [{ gravity: 'north', blend: 'multiply' }, 1.0],
    [{ top: -20, left: 500, blend: 'screen' }, 1.0],
    [{ tile: true, blend: 'overlay' }, 1.5],
    [{ gravity: 'west', blend: 'darken' }, 1.0],
    [{ gravity: 'east', blend: 'lighten' }, 1.0],
    [{ gravity: 'centre', blend: 'dest-in' }, 1.0],
    [{ gravity: 'centre', blend: 'dest-out' }, 1.0],
  ];
  for (const [layer, tolerance] of cases) {
    const ours = await ImageEngine.fromPath(base).composite([{ input: mark, ...layer }]).toBuffer('png');
    const theirs = await sharp(base).composite([{ input: mark, ...layer }]).png().toBuffer();
    await close(ours, theirs, tolerance, `composite ${JSON.stringify(layer)}`);
  }
  // opacity 0.5 equals sharp compositing the overlay with its alpha halved.
  const { data, info } = await sharp(mark).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  for (let i = 3; i < data.length; i += 4) data[i] = Math.round(data[i] / 2);
  const halved = await sharp(data, { raw: info }).png().toBuffer();
  const ours = await ImageEngine.fromPath(base).composite([{ input: fs.readFileSync(mark), gravity: 'southeast', opacity: 0.5 }]).toBuffer('png');
  await close(ours, await sharp(base).composite([{ input: halved, gravity: 'southeast' }]).png().toBuffer(), 1.0, 'opacity 0.5');
  // Another engine as the input, its own operations applied first; several layers in order.
  const small = ImageEngine.fromPath(mark).resize(80);
  const layered = await ImageEngine.fromPath(base).composite([{ input: small, gravity: 'northwest' }, { input: mark, gravity: 'southwest' }]).toBuffer('png');
  const smallBuf = await sharp(mark).resize(80).png().toBuffer();
  await close(layered, await sharp(base).composite([{ input: smallBuf, gravity: 'northwest' }, { input: mark, gravity: 'southwest' }]).png().toBuffer(), 1.5, 'two layers');
});

test('composite(): bad layers are refused with coded errors; a corrupt overlay fails only its own call', async () => {
  const base = await photo();
  const big = tmpPath('big.png');
  await sharp(base).resize(900).png().toFile(big);
  await assert.rejects(ImageEngine.fromPath(base).composite([{ input: big }]).toBuffer('png'), (e) => e.code === ErrorCode.INVALID_ARGUMENT && /larger than the image/.test(e.message));
  // Tiled, a larger overlay is fine.
  assert.ok((await ImageEngine.fromPath(base).composite([{ input: big, tile: true }]).toBuffer('png')).length > 0);
  const corrupt = Buffer.concat([fs.readFileSync(big).subarray(0, 200)]);
  const [bad, good] = await Promise.allSettled([
    ImageEngine.fromPath(base).composite([{ input: corrupt }]).toBuffer('png'),
    ImageEngine.fromPath(base).composite([{ input: tmpPath('mark.png') }]).toBuffer('png'),
  ]);
  assert.equal(bad.status, 'rejected');
  assert.equal(bad.reason.code, ErrorCode.CORRUPT_INPUT);
  assert.equal(good.status, 'fulfilled');
  const engine = ImageEngine.fromPath(base);
  assert.throws(() => engine.composite([]), TypeError);
  assert.throws(() => engine.composite([{ input: big, gravity: 'up' }]), (e) => e instanceof RangeError && e.message.includes('layer 0'));
  assert.throws(() => engine.composite([{ input: big, opacity: 2 }]), RangeError);
  assert.throws(() => engine.composite([{ input: big, top: 3 }]), (e) => e instanceof TypeError && /both top and left/.test(e.message));
  assert.throws(() => engine.composite([{ input: big, blend: 'add' }]), RangeError);
  assert.throws(() => engine.composite([{ input: 42 }]), TypeError);
  assert.throws(() => engine.composite([{ input: tmpPath('missing.png') }]), (e) => e.code === ErrorCode.FILE_NOT_FOUND);
  // A recipe carries a path layer as JSON; a Buffer layer cannot cross as JSON.
  const json = JSON.parse(JSON.stringify(recipe().composite([{ input: big, tile: true }])));
  assert.equal(json.steps[0].layers[0].input, big);
  assert.throws(() => JSON.stringify(recipe().composite([{ input: corrupt }])), (e) => e instanceof TypeError && /file path/.test(e.message));
});

test('metadata(): the header\'s facts as sharp reports them, off the JS thread', async () => {
  const oriented = tmpPath('oriented.jpg');
  await sharp(await photo()).withMetadata({ orientation: 6, density: 300 }).withIccProfile('p3').jpeg({ progressive: true }).toFile(oriented);
  const webp = tmpPath('alpha.webp');
  await sharp(await alpha()).webp().toFile(webp);
  const grey = tmpPath('grey.png');
  await sharp(await photo()).grayscale().png({ progressive: true }).toFile(grey);
  for (const file of [PHOTO, oriented, await alpha(), webp, grey]) {
    const ours = await ImageEngine.fromPath(file).metadata({ icc: true, exif: true });
    const theirs = await sharp(file).metadata();
    for (const key of ['format', 'width', 'height', 'channels', 'space', 'depth', 'hasAlpha', 'hasProfile', 'isProgressive', 'density', 'pages']) {
      assert.deepEqual(ours[key], theirs[key] ?? (key === 'pages' ? 1 : undefined), `${path.basename(file)}: ${key}`);
    }
    assert.equal(ours.orientation, theirs.orientation ?? 1);
    assert.deepEqual(ours.autoOrient, theirs.autoOrient ?? { width: theirs.width, height: theirs.height });
    assert.deepEqual(ours.icc, theirs.icc);
    assert.deepEqual(ours.exif, theirs.exif);
    assert.equal(ours.size, fs.statSync(file).size);
  }
  const plain = await ImageEngine.fromPath(oriented).metadata();
  assert.equal(plain.icc, undefined);
  assert.equal(plain.exif, undefined);
  await assert.rejects(ImageEngine.from(Buffer.from('not an image at all')).metadata(), (e) => e.code === ErrorCode.UNSUPPORTED_FORMAT);
  await assert.rejects(() => ImageEngine.fromPath(PHOTO).metadata({ icc: true, xmp: true }), (e) => e instanceof TypeError && e.message.includes("unknown key 'xmp'"));
});
