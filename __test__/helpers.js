'use strict';
// Test fixtures are made here, in a temporary folder, with sharp (a devDependency used as an
// independent encoder/decoder): nothing under ../shared is needed.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sharp = require('sharp');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-image-test-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** A photo-like RGB(A) raw frame: gradients plus texture, deterministic. */
function photoRaw(width, height, channels = 3) {
  const data = Buffer.alloc(width * height * channels);
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 21) - 10;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const wave = Math.sin(x / 7) * Math.cos(y / 11) * 30;
      data[i] = clamp((x / width) * 200 + wave + noise());
      data[i + 1] = clamp((y / height) * 220 - wave / 2 + noise());
      data[i + 2] = clamp(((width - x) / width) * 180 + noise());
      if (channels === 4) data[i + 3] = clamp(255 - (y / height) * 200);
    }
  }
  return { data, info: { width, height, channels } };
}

/** Four flat quadrants, red / green / blue / white: any rotation or flip is visible. */
function quadrantsRaw(width, height) {
  const colours = [[255, 0, 0], [0, 200, 0], [0, 0, 255], [255, 255, 255]];
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
      data.set(colours[q], (y * width + x) * 3);
    }
  }
  return { data, info: { width, height, channels: 3 } };
}

function fromRaw({ data, info }) {
  return sharp(data, { raw: info });
}

/** Writes a fixture once per process and returns its path. */
async function fixture(name, make) {
  const file = path.join(tmp, name);
  if (!fs.existsSync(file)) await make().toFile(file);
  return file;
}

const fixtures = {
  jpeg: () => fixture('photo.jpg', () => fromRaw(photoRaw(320, 240)).jpeg({ quality: 90 })),
  png: () => fixture('photo.png', () => fromRaw(photoRaw(320, 240, 4)).png()),
  webp: () => fixture('photo.webp', () => fromRaw(photoRaw(320, 240)).webp({ quality: 90 })),
  webpAlpha: () => fixture('alpha.webp', () => fromRaw(photoRaw(320, 240, 4)).webp({ lossless: true })),
  avif: () => fixture('photo.avif', () => fromRaw(photoRaw(320, 240)).avif({ quality: 90, chromaSubsampling: '4:2:0' })),
  avifAlpha: () => fixture('alpha.avif', () => fromRaw(photoRaw(320, 240, 4)).avif({ quality: 90 })),
  grayJpeg: () => fixture('gray.jpg', () => fromRaw(photoRaw(200, 100)).grayscale().jpeg()),
  progressiveJpeg: () => fixture('progressive.jpg', () => fromRaw(photoRaw(300, 200)).jpeg({ progressive: true })),
  cmykJpeg: () => fixture('cmyk.jpg', () => fromRaw(quadrantsRaw(64, 64)).toColourspace('cmyk').jpeg()),
  cmykPhotoJpeg: () => fixture('cmyk-photo.jpg', () => fromRaw(photoRaw(96, 64)).toColourspace('cmyk').jpeg({ quality: 95 })),
  cmykProfiledJpeg: () => fixture('cmyk-icc.jpg', () => fromRaw(photoRaw(96, 64)).withIccProfile('cmyk').jpeg({ quality: 95 })),
  palettePng: () => fixture('palette.png', () => fromRaw(quadrantsRaw(64, 64)).png({ palette: true, colours: 8 })),
  gray16Png: () => fixture('gray16.png', () => fromRaw(photoRaw(64, 48)).grayscale().toColourspace('grey16').png()),
  interlacedPng: () => fixture('interlaced.png', () => fromRaw(photoRaw(64, 48)).png({ progressive: true })),
  oriented: (orientation) =>
    fixture(`orient-${orientation}.jpg`, () =>
      fromRaw(quadrantsRaw(60, 40)).jpeg({ quality: 95 }).withMetadata({ orientation }),
    ),
};

/** Decodes any encoded image with sharp into raw RGBA (or RGB) pixels. */
async function decode(buf, { alpha = false } = {}) {
  let s = sharp(buf);
  s = alpha ? s.ensureAlpha() : s.removeAlpha();
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true });
  const meta = await sharp(buf).metadata();
  return { data, width: info.width, height: info.height, channels: info.channels, format: meta.format, meta };
}

function pixel(img, x, y) {
  const i = (y * img.width + x) * img.channels;
  return Array.from(img.data.subarray(i, i + img.channels));
}

/** Mean absolute difference per channel value between two decoded images of equal size. */
function meanDiff(a, b) {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
  return sum / a.data.length;
}

function near(actual, expected, tolerance) {
  return actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** One PNG chunk: length, type, data and a correct CRC. */
function pngChunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** A PNG made of `chunks` ([{ type, data }]), each with a correct CRC. */
function pngFrom(chunks) {
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks.map((c) => pngChunk(c.type, c.data))]);
}

/** A well-formed PNG header declaring width x height (8-bit RGBA), with 1 kB of image data. */
function pngDeclaring(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const idat = require('node:zlib').deflateSync(Buffer.alloc(1024));
  return pngFrom([{ type: 'IHDR', data: ihdr }, { type: 'IDAT', data: idat }, { type: 'IEND', data: Buffer.alloc(0) }]);
}

function clamp(v) {
  return Math.max(0, Math.min(255, Math.round(v)));
}

function tmpPath(name) {
  return path.join(tmp, name);
}

module.exports = { sharp, tmp, tmpPath, fixtures, photoRaw, quadrantsRaw, fromRaw, decode, pixel, meanDiff, near, pngFrom, pngDeclaring };
