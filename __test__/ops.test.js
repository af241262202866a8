'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { ImageEngine, inspect } = require('..');
const { fixtures, decode, pixel, near, sharp, fromRaw, quadrantsRaw, tmpPath } = require('./helpers');

const RED = [255, 0, 0];
const GREEN = [0, 200, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];

async function quadrantsPng() {
  const file = tmpPath('quadrants.png');
  await fromRaw(quadrantsRaw(60, 40)).png().toFile(file);
  return file;
}

/** Colours at the centres of the four quadrants: top-left, top-right, bottom-left, bottom-right. */
function corners(img) {
  const [w, h] = [img.width, img.height];
  return [
    pixel(img, Math.floor(w / 4), Math.floor(h / 4)),
    pixel(img, Math.floor((3 * w) / 4), Math.floor(h / 4)),
    pixel(img, Math.floor(w / 4), Math.floor((3 * h) / 4)),
    pixel(img, Math.floor((3 * w) / 4), Math.floor((3 * h) / 4)),
  ];
}

function assertCorners(img, expected, tolerance, label) {
  const got = corners(img);
  got.forEach((c, i) => assert.ok(near(c, expected[i], tolerance), `${label}: corner ${i} is ${c}, expected ${expected[i]}`));
}

test('every fit mode gives the documented size', async () => {
  const file = await fixtures.jpeg(); // 320x240
  const cases = [
    [[100, 100, 'inside'], [100, 75]],
    [[100, 100, 'outside'], [133, 100]],
    [[100, 100, 'cover'], [100, 100]],
    [[100, 100, 'contain'], [100, 100]],
    [[100, 30, 'fill'], [100, 30]],
    [[100, undefined, undefined], [100, 75]],
    [[null, 60, 'cover'], [80, 60]],
  ];
  for (const [args, size] of cases) {
    const img = await decode(await ImageEngine.fromPath(file).resize(...args).toBuffer('png'));
    assert.deepEqual([img.width, img.height], size, JSON.stringify(args));
  }
  const big = await decode(await ImageEngine.fromPath(file).resize({ width: 1000, withoutEnlargement: true }).toBuffer('png'));
  assert.deepEqual([big.width, big.height], [320, 240]);
  const nearest = await decode(await ImageEngine.fromPath(file).resize({ width: 640, kernel: 'nearest' }).toBuffer('png'));
  assert.deepEqual([nearest.width, nearest.height], [640, 480]);
});

test('contain pads (black when opaque, transparent with alpha), cover crops the centre', async () => {
  const file = await quadrantsPng(); // 60x40
  const contain = await decode(await ImageEngine.fromPath(file).resize(40, 40, 'contain').toBuffer('png'), { alpha: true });
  assert.deepEqual(pixel(contain, 20, 1), [0, 0, 0, 255], 'opaque padding is black');
  assert.deepEqual(pixel(contain, 10, 10), [...RED, 255]);
  const alpha = await decode(await ImageEngine.fromPath(await fixtures.png()).resize(50, 50, 'contain').toBuffer('png'), { alpha: true });
  assert.equal(pixel(alpha, 25, 1)[3], 0, 'padding of an image with alpha is transparent');
  const cover = await decode(await ImageEngine.fromPath(file).resize(20, 40, 'cover').toBuffer('png'));
  // The middle third of a 60-wide image: left half red/blue, right half green/white.
  assertCorners(cover, [RED, GREEN, BLUE, WHITE], 8, 'cover');
});

test('premultiplied resize keeps transparent colour out of the edge', async () => {
  const raw = Buffer.alloc(16 * 8 * 4);
  for (let i = 0; i < 16 * 8; i++) raw.set((i % 16) < 8 ? [255, 0, 0, 255] : [0, 255, 0, 0], i * 4);
  const src = await sharp(raw, { raw: { width: 16, height: 8, channels: 4 } }).png().toBuffer();
  const out = await decode(await ImageEngine.from(src).resize(4).toBuffer('png'), { alpha: true });
  const edge = pixel(out, 1, 1);
  assert.ok(edge[1] < 8, `green bled into ${edge}`);
});

test('rotate, flips and crop move the right pixels', async () => {
  const file = await quadrantsPng();
  const run = async (f) => decode(await f(ImageEngine.fromPath(file)).toBuffer('png'));
  const r90 = await run((e) => e.rotate(90));
  assert.deepEqual([r90.width, r90.height], [40, 60]);
  assertCorners(r90, [BLUE, RED, WHITE, GREEN], 0, 'rotate 90');
  assertCorners(await run((e) => e.rotate(-90)), [GREEN, WHITE, RED, BLUE], 0, 'rotate -90');
  assertCorners(await run((e) => e.rotate(180)), [WHITE, BLUE, GREEN, RED], 0, 'rotate 180');
  assertCorners(await run((e) => e.rotate(360)), [RED, GREEN, BLUE, WHITE], 0, 'rotate 360');
  assertCorners(await run((e) => e.flipH()), [GREEN, RED, WHITE, BLUE], 0, 'flipH');
  assertCorners(await run((e) => e.flipV()), [BLUE, WHITE, RED, GREEN], 0, 'flipV');
  const crop = await run((e) => e.crop(30, 20, 30, 20));
  assert.deepEqual([crop.width, crop.height], [30, 20]);
  assertCorners(crop, [WHITE, WHITE, WHITE, WHITE], 0, 'crop');
});

test('EXIF orientations 1-8 are applied by default and can be turned off', async () => {
  for (let o = 1; o <= 8; o++) {
    const file = await fixtures.oriented(o);
    const engine = ImageEngine.fromPath(file);
    const ours = await decode(await engine.toBuffer('png'));
    const expected = await decode(await sharp(file).rotate().png().toBuffer());
    assert.deepEqual([ours.width, ours.height], [expected.width, expected.height], `orientation ${o}`);
    assert.deepEqual(engine.dimensions(), { width: ours.width, height: ours.height });
    assertCorners(ours, corners(expected), 12, `orientation ${o}`);
    const raw = await decode(await ImageEngine.fromPath(file).autoOrient(false).toBuffer('png'));
    assertCorners(raw, [RED, GREEN, BLUE, WHITE], 12, `orientation ${o} with autoOrient(false)`);
    // AVIF says how to turn the picture with irot/imir boxes: written from the kept EXIF
    // orientation, read back as that orientation, and shown the way sharp (libheif) shows it.
    const avif = await ImageEngine.fromPath(file).autoOrient(false).keepMetadata({ exif: true }).toBuffer('avif', 90);
    assert.equal(inspect(avif).orientation, o);
    const shown = await decode(await ImageEngine.from(avif).toBuffer('png'));
    const libheif = await decode(avif);
    assert.deepEqual([shown.width, shown.height], [libheif.width, libheif.height], `AVIF with orientation ${o}`);
    assertCorners(shown, corners(libheif), 12, `AVIF with orientation ${o}`);
  }
});

test('grayscale, brightness and contrast', async () => {
  const file = await quadrantsPng();
  const run = async (f) => decode(await f(ImageEngine.fromPath(file)).toBuffer('png'));
  const gray = await run((e) => e.grayscale());
  for (const [r, g, b] of corners(gray)) assert.ok(r === g && g === b, `not grey: ${[r, g, b]}`);
  assert.ok(corners(gray)[0][0] > 40 && corners(gray)[0][0] < 70, 'red has Rec.709 luma ~54');
  assertCorners(await run((e) => e.brightness(-100)), [[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]], 0, 'black');
  const bright = await run((e) => e.brightness(50));
  assert.deepEqual(corners(bright)[1], [0, 255, 0]);
  const flat = await run((e) => e.contrast(-100));
  for (const c of corners(flat)) assert.ok(near(c, [128, 128, 128], 1), `contrast -100 gave ${c}`);
});

test('presets record their resize and pick format and quality', async () => {
  const file = await fixtures.jpeg(); // 320x240
  const engine = ImageEngine.fromPath(file);
  assert.deepEqual(engine.clone().preset('social'), { format: 'jpeg', quality: 80, width: 1200, height: 630 });
  assert.deepEqual(engine.clone().preset('hero'), { format: 'jpeg', quality: 85, width: 1920 });
  const expected = { thumbnail: [150, 150, 'webp'], avatar: [200, 200, 'webp'], hero: [320, 240, 'jpeg'], social: [1200, 630, 'jpeg'] };
  for (const [name, [w, h, format]] of Object.entries(expected)) {
    const img = await decode(await engine.toBufferWithPreset(name));
    assert.deepEqual([img.width, img.height, img.format], [w, h, format], name);
  }
  // The engine itself is untouched by the preset outputs.
  assert.deepEqual((await decode(await engine.toBuffer('png'))).width, 320);
  const out = tmpPath('preset-avatar.webp');
  const bytes = await engine.toFileWithPreset(out, 'avatar');
  assert.equal(fs.statSync(out).size, bytes);
  assert.throws(() => engine.preset('banner'), (err) => err instanceof RangeError && /thumbnail, avatar, hero, social/.test(err.message));
});
