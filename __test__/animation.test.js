'use strict';
// Animation end to end (GIF, animated WebP) and palette PNG, against sharp with
// { animated: true } as the independent decoder and encoder: frame count, per-frame delays,
// loop count and per-frame pixels.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { ImageEngine } = require('../index.js');
const { sharp, tmpPath } = require('./helpers');

/** `pages` frames of width × height RGBA: a square moving across a gradient, its corner see-through. */
function framesRaw(width, height, pages) {
  const data = Buffer.alloc(width * height * pages * 4);
  for (let p = 0; p < pages; p++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = ((p * height + y) * width + x) * 4;
        const inSquare = Math.abs(x - (p * width) / pages - width / 8) < width / 8 && Math.abs(y - height / 2) < height / 4;
        data.set(inSquare ? [250, 40, 30, 255] : [Math.round((x / width) * 255), Math.round((y / height) * 200), 120, x < 6 && y < 6 ? 0 : 255], i);
      }
    }
  }
  return data;
}

const DELAYS = [80, 120, 40, 200, 60, 100, 90, 70];
const W = 96;
const H = 64;

/** An animated GIF and WebP written by sharp (libvips' encoders). */
async function sources() {
  const raw = sharp(framesRaw(W, H, DELAYS.length), { raw: { width: W, height: H * DELAYS.length, channels: 4, pageHeight: H } });
  return {
    gif: await raw.clone().gif({ loop: 3, delay: DELAYS }).toBuffer(),
    webp: await raw.clone().webp({ loop: 0, delay: DELAYS, quality: 90 }).toBuffer(),
  };
}

/** Every frame as sharp decodes it: RGBA, stacked. */
async function framesOf(buf) {
  const { data, info } = await sharp(buf, { animated: true }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const meta = await sharp(buf, { animated: true }).metadata();
  return { data, width: info.width, pageHeight: meta.pageHeight ?? info.height, pages: meta.pages ?? 1, meta };
}

/** Mean absolute difference per channel over the visible pixels of each frame (alpha weighted in). */
function frameDiffs(a, b) {
  assert.equal(a.pages, b.pages);
  assert.equal(a.width, b.width);
  const size = a.width * a.pageHeight * 4;
  return Array.from({ length: a.pages }, (_, p) => {
    let sum = 0;
    let n = 0;
    for (let i = p * size; i < (p + 1) * size; i += 4) {
      const seen = Math.max(a.data[i + 3], b.data[i + 3]);
      if (seen === 0) continue;
      for (let c = 0; c < 4; c++) sum += Math.abs(a.data[i + c] - b.data[i + c]);
      n += 4;
    }
    return sum / Math.max(n, 1);
  });
}

test('GIF → animated WebP keeps every frame, delay and the loop count, as sharp makes it', async () => {
  const { gif } = await sources();
  const ours = await ImageEngine.from(gif).toBuffer('webp', { quality: 90 });
  const theirs = await sharp(gif, { animated: true }).webp({ quality: 90 }).toBuffer();
  const [a, b, source] = await Promise.all([framesOf(ours), framesOf(theirs), framesOf(gif)]);
  assert.equal(a.meta.format, 'webp');
  assert.equal(a.pages, DELAYS.length);
  assert.deepEqual(a.meta.delay, b.meta.delay);
  assert.deepEqual(a.meta.delay, DELAYS);
  assert.equal(a.meta.loop, b.meta.loop);
  for (const [p, d] of frameDiffs(a, source).entries()) assert.ok(d < 4, `frame ${p} differs from the GIF by ${d}`);
  const meta = await ImageEngine.from(gif).metadata();
  const expected = source.meta;
  assert.deepEqual([meta.format, meta.pages, meta.loop, meta.delay], ['gif', expected.pages, expected.loop, expected.delay]);
});

test('animated WebP → GIF: frames, delays and loop kept; pixels within the palette error', async () => {
  const { webp } = await sources();
  const ours = await ImageEngine.from(webp).toBuffer('gif');
  const [a, source, theirs] = await Promise.all([framesOf(ours), framesOf(webp), framesOf(await sharp(webp, { animated: true }).gif().toBuffer())]);
  assert.equal(a.meta.format, 'gif');
  assert.equal(a.pages, DELAYS.length);
  assert.deepEqual(a.meta.delay, theirs.meta.delay);
  assert.equal(a.meta.loop, theirs.meta.loop);
  for (const [p, d] of frameDiffs(a, source).entries()) assert.ok(d < 8, `frame ${p} differs by ${d}`);
});

test('GIF → GIF resized to half matches sharp resizing the animation', async () => {
  const { gif } = await sources();
  const ours = await ImageEngine.from(gif).resize(W / 2).toBuffer('gif', { loop: 5, delay: 50 });
  const theirs = await sharp(gif, { animated: true }).resize(W / 2).gif({ loop: 5, delay: 50 }).toBuffer();
  const [a, b] = await Promise.all([framesOf(ours), framesOf(theirs)]);
  assert.deepEqual([a.width, a.pageHeight, a.pages], [W / 2, H / 2, DELAYS.length]);
  assert.deepEqual(a.meta.delay, b.meta.delay);
  assert.deepEqual(a.meta.delay, DELAYS.map(() => 50));
  assert.equal(a.meta.loop, b.meta.loop);
  for (const [p, d] of frameDiffs(a, b).entries()) assert.ok(d < 10, `frame ${p} differs from sharp's by ${d}`);
});

test('still formats and pages: 1 take the first frame; rotation and flips apply to every frame', async () => {
  const { gif } = await sources();
  const first = await framesOf(await sharp(gif).png().toBuffer());
  const still = await framesOf(await ImageEngine.from(gif).toBuffer('png'));
  assert.equal(still.pages, 1);
  assert.ok(frameDiffs(still, first)[0] < 1);
  const one = await ImageEngine.from(gif, { pages: 1 }).toBuffer('webp');
  assert.equal((await sharp(one).metadata()).pages ?? 1, 1);
  // sharp cannot rotate an animation: the reference turns sharp's decoded frames itself.
  const turned = await framesOf(await ImageEngine.from(gif).rotate(90).flipV().toBuffer('webp', { lossless: true }));
  const source = await framesOf(gif);
  const reference = { ...source, width: H, pageHeight: W, data: Buffer.alloc(source.data.length) };
  for (let p = 0; p < source.pages; p++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        // Rotated 90° clockwise, (x, y) goes to (H - 1 - y, x); then flipped top to bottom.
        const [tx, ty] = [H - 1 - y, W - 1 - x];
        source.data.copy(reference.data, ((p * W + ty) * H + tx) * 4, ((p * H + y) * W + x) * 4, ((p * H + y) * W + x) * 4 + 4);
      }
    }
  }
  assert.deepEqual([turned.width, turned.pageHeight, turned.pages], [H, W, DELAYS.length]);
  for (const d of frameDiffs(turned, reference)) assert.ok(d < 3, `${d}`);
});

test('frame limits refuse an animation from its header; per-frame nonsense is refused by name', async () => {
  const { gif } = await sources();
  await assert.rejects(ImageEngine.from(gif).limits({ maxFrames: 4 }).toBuffer('webp'), (e) => e.code === 'LAZY_LIMIT_EXCEEDED' && /maxFrames/.test(e.message));
  await assert.rejects(ImageEngine.from(gif).sanitize({ policy: 'strict' }).limits({ maxTotalPixels: W * H * 3 }).toBuffer('webp'), /maxTotalPixels/);
  await assert.rejects(ImageEngine.from(gif).trim().toBuffer('gif'), (e) => e.code === 'LAZY_INVALID_ARGUMENT' && /pages: 1/.test(e.message));
  await assert.rejects(ImageEngine.from(gif).toBuffer('webp', { quality: 'auto' }), (e) => e.code === 'LAZY_INVALID_ARGUMENT');
  assert.ok((await ImageEngine.from(gif, { pages: 1 }).trim().toBuffer('gif')).length > 0);
});

test('a 10 000-frame GIF is refused at once, before any frame is decoded', async () => {
  // 1x1 frames: a tiny file that declares 10 000 frames.
  const frame = Buffer.from([0x21, 0xf9, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00]);
  const head = Buffer.from([...Buffer.from('GIF89a'), 0xe8, 0x03, 0xe8, 0x03, 0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
  const bomb = Buffer.concat([head, ...Array(10_000).fill(frame), Buffer.from([0x3b])]);
  const started = process.hrtime.bigint();
  await assert.rejects(ImageEngine.from(bomb).toBuffer('webp'), (e) => e.code === 'LAZY_LIMIT_EXCEEDED' && /10000 frames/.test(e.message));
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 5000);
  assert.equal((await ImageEngine.from(bomb).metadata()).pages, 10_000);
});

test('hostile GIFs: cut mid-frame, a 65535 x 65535 screen, zero delays, a bad loop block', async () => {
  const { gif } = await sources();
  await assert.rejects(ImageEngine.from(gif.subarray(0, Math.floor(gif.length * 0.6))).toBuffer('webp'), (e) => e.code === 'LAZY_CORRUPT_INPUT');
  const cut = await ImageEngine.from(gif.subarray(0, Math.floor(gif.length * 0.6)), { failOn: 'none' }).toBuffer('webp');
  assert.ok((await sharp(cut).metadata()).pages >= 1);
  const huge = Buffer.from(gif);
  huge.writeUInt16LE(65535, 6);
  huge.writeUInt16LE(65535, 8);
  await assert.rejects(ImageEngine.from(huge).toBuffer('webp'), (e) => e.code === 'LAZY_LIMIT_EXCEEDED');
  const raw = sharp(framesRaw(32, 16, 3), { raw: { width: 32, height: 48, channels: 4, pageHeight: 16 } });
  const zero = await raw.gif({ delay: [0, 0, 0] }).toBuffer();
  const out = await ImageEngine.from(zero).toBuffer('webp');
  assert.equal((await sharp(out).metadata()).pages, 3);
  // A NETSCAPE block whose sub-block says 5 bytes where 3 belong.
  const at = zero.indexOf(Buffer.from('NETSCAPE2.0'));
  assert.ok(at > 0, 'sharp writes a loop block');
  const bad = Buffer.from(zero);
  bad[at + 11] = 5;
  await ImageEngine.from(bad).toBuffer('webp').then((b) => assert.ok(b.length > 0), (e) => assert.ok(e.code.startsWith('LAZY_')));
});

test('palette PNG: few colours, smaller than full colour, colours exact; 2 colours packed at 1 bit', async () => {
  // A screenshot-like image: flat panels, text-like strokes.
  const width = 200;
  const height = 120;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const panel = x < 60 ? [40, 44, 52] : y < 20 ? [30, 120, 220] : [250, 250, 250];
      const stroke = x > 70 && (y % 12 < 2) && (x % 9 < 6) ? [20, 20, 20] : panel;
      data.set(stroke, (y * width + x) * 3);
    }
  }
  const png = await sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
  const full = await ImageEngine.from(png).toBuffer('png');
  const palette = await ImageEngine.from(png).toBuffer('png', { palette: true });
  const meta = await sharp(palette).metadata();
  assert.equal(meta.paletteBitDepth !== undefined || meta.isPalette === true, true, 'written as a palette image');
  assert.ok(palette.length < full.length, `${palette.length} < ${full.length}`);
  const back = await sharp(palette).removeAlpha().raw().toBuffer();
  assert.deepEqual(back, data, 'four colours survive exactly');
  const file = tmpPath('palette.png');
  await ImageEngine.from(png).toFile(file, { palette: true, colours: 2, dither: 0 });
  assert.equal((await sharp(file).metadata()).paletteBitDepth ?? 1, 1);
  assert.throws(() => ImageEngine.from(png).toBuffer('webp', { palette: true }), /palette: true is for PNG/);
  assert.ok(fs.statSync(file).size > 0);
});

test('GIF → animated AVIF: an image sequence libavif reads frame by frame, first frame as sharp reads it', async () => {
  const { gif } = await sources();
  const file = tmpPath('animated.avif');
  await ImageEngine.from(gif).resize(W / 2).toFile(file, { quality: 70, fastMode: true });
  const info = require('node:child_process').execFileSync('avifdec', ['--info', file], { encoding: 'utf8' });
  assert.match(info, new RegExp(`Frames\\s*:?\\s*${DELAYS.length}\\b|${DELAYS.length} frames`, 'i'), info);
  const meta = await ImageEngine.fromPath(file).metadata();
  assert.deepEqual([meta.format, meta.pages, meta.delay], ['avif', DELAYS.length, DELAYS]);
  // sharp does not read image sequences: libavif's own decoder gives the first frame.
  const firstPng = tmpPath('animated-first.png');
  require('node:child_process').execFileSync('avifdec', ['--index', '0', file, firstPng]);
  const first = await framesOf(fs.readFileSync(firstPng));
  const expected = await framesOf(await sharp(gif).resize(W / 2).png().toBuffer());
  assert.ok(frameDiffs(first, expected)[0] < 8, `${frameDiffs(first, expected)[0]}`);
  const back = await ImageEngine.fromPath(file).toBuffer('webp');
  assert.equal((await sharp(back).metadata()).pages, DELAYS.length, 'an AVIF sequence reads back as an animation');
});
