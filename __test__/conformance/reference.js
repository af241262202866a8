'use strict';
// Reference decoders for the conformance suite, each brought to an 8-bit RGBA raster:
//   PNG, JPEG  libvips through sharp (a devDependency), sharp's default colour handling
//   WebP       dwebp (Debian package `webp`), PAM output
//   AVIF       avifdec (Debian package `libavif-bin`), 16-bit PNG output, then the primary
//              item's clap / irot / imir applied here, since libavif 0.11's avifdec leaves
//              them to the caller
// Tool outputs are cached for the run in a temporary folder, removed when the process exits.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const sharp = require('sharp');
const { primaryTransforms, clapRect } = require('./isobmff');
const { crop, rotateAnticlockwise, mirror, parsePam } = require('./raster');

/** Each tool, found on PATH, and the Debian package that has it. */
const TOOLS = { dwebp: 'webp', avifdec: 'libavif-bin' };

let tmp = null;
function tmpDir() {
  if (!tmp) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-image-conformance-'));
    process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  }
  return tmp;
}

let serial = 0;
function tmpFile(name, ext) {
  return path.join(tmpDir(), `${++serial}-${name.replace(/[^\w.-]/g, '_')}.${ext}`);
}

/** Runs a reference tool; rejects with its stderr's last line when it fails. */
function run(tool, args) {
  const pkg = TOOLS[tool];
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const why = err.code === 'ENOENT'
        ? `${tool} is not installed (Debian package ${pkg})`
        : `${tool} failed: ${String(stderr).trim().split('\n').filter(Boolean).pop() || err.message}`;
      const e = new Error(why);
      e.toolMissing = err.code === 'ENOENT';
      reject(e);
    });
  });
}

/** Any image sharp reads (a path or a Buffer) as 8-bit sRGB RGBA. */
async function toRgba(input, sharpOptions = {}) {
  const { data, info } = await sharp(input, { limitInputPixels: false, ...sharpOptions })
    .toColourspace('srgb')
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`expected 4 channels from sharp, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

/** A 16-bit PNG as 8-bit RGBA, each sample rounded to the nearest 8-bit level, round(v / 257). */
async function rgba16To8(file) {
  const { data, info } = await sharp(file, { limitInputPixels: false })
    .toColourspace('rgb16')
    .ensureAlpha()
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 4) throw new Error(`expected 4 channels from sharp, got ${info.channels}`);
  const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data);
  const wide = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
  const out = Buffer.alloc(wide.length);
  // (v * 255 + 32895) >>> 16 is round(v / 257) for every 16-bit v (checked exhaustively).
  for (let i = 0; i < wide.length; i++) out[i] = (wide[i] * 255 + 32895) >>> 16;
  return { data: out, width: info.width, height: info.height };
}

/**
 * PNG and JPEG: libvips through sharp, with EXIF orientation applied as lazy-image does by
 * default (none of the corpus files carries one). sharp applies no gAMA, cHRM or sBIT, and
 * converts an embedded ICC profile to sRGB.
 */
function viaSharp(file) {
  return toRgba(file, { autoOrient: true });
}

// Tool outputs (PAM, PNG) are kept on disk for the run, one decode per file and options.
const outputs = new Map();
function once(key, make) {
  if (!outputs.has(key)) outputs.set(key, make());
  return outputs.get(key);
}

/**
 * dwebp's PAM output: every decoded sample, alpha included, whatever a VP8L header's
 * alpha_is_used bit says (the lossless spec: "a hint only, and should not impact decoding").
 * Its PNG output differs there: it drops alpha when that hint is 0.
 */
async function viaDwebp(file) {
  const out = await once(`dwebp\0${file}`, async () => {
    const pam = tmpFile(path.basename(file), 'pam');
    await run('dwebp', [file, '-pam', '-o', pam]);
    return pam;
  });
  return parsePam(fs.readFileSync(out));
}

/**
 * avifdec's output for the primary item, then its transforms in ipma order. avifdec is asked
 * for 16-bit samples, brought to 8 bits here by rounding: its 8-bit output takes libyuv's
 * fast paths, and in libavif 0.11 the one for 8-bit 4:0:0 ignores a limited range (it writes
 * the raw luma, 16 stays 16 and 235 stays 235: Link-U's 8-bit monochrome files come out 7
 * levels off on average, 20 at most), whereas the 16-bit output goes through libavif's own
 * conversion, which expands it. On the corpus's other files the two outputs differ by 0.56 of
 * a level on average for kimono's BT.2020 matrix, and 0.21 at most elsewhere.
 */
async function viaAvifdec(file, { lenient = false } = {}) {
  const out = await once(`avifdec\0${lenient}\0${file}`, async () => {
    const png = tmpFile(path.basename(file), 'png');
    await run('avifdec', ['--jobs', '1', '--depth', '16', '--png-compress', '0', ...(lenient ? ['--no-strict'] : []), file, png]);
    return png;
  });
  let img = await rgba16To8(out);
  const applied = [];
  for (const t of primaryTransforms(fs.readFileSync(file))) {
    if (t.type === 'clap') {
      const r = clapRect(t, img.width, img.height);
      img = crop(img, r);
      applied.push(`clap ${r.width}x${r.height}+${r.x}+${r.y}`);
    } else if (t.type === 'irot') {
      img = rotateAnticlockwise(img, t.angle);
      applied.push(`irot ${t.angle * 90}° anticlockwise`);
    } else {
      img = mirror(img, t.axis);
      applied.push(`imir axis ${t.axis} (${t.axis === 0 ? 'top-bottom' : 'left-right'})`);
    }
  }
  img.transforms = applied;
  return img;
}

const NAMES = { png: 'sharp/libvips', jpeg: 'sharp/libvips', webp: 'dwebp', avif: 'avifdec' };

/**
 * The reference decode of a corpus entry (`{ format, file }`) as an RGBA raster (AVIF: with
 * `transforms`, what was applied); rejects with the reference decoder's own error when it
 * refuses the file. `options.lenient` runs avifdec with --no-strict.
 */
function reference(entry, options = {}) {
  if (entry.format === 'webp') return viaDwebp(entry.file);
  if (entry.format === 'avif') return viaAvifdec(entry.file, options);
  return viaSharp(entry.file);
}

module.exports = { reference, toRgba, viaSharp, viaDwebp, viaAvifdec, NAMES };
