'use strict';
// Conformance: every file of four public corpora, decoded by lazy-image at full size, against
// an independent reference decoder. Corpora are read in place from ../shared/conformance
// (README.md there); the helpers in ./conformance/ walk them and run the references:
//   PngSuite, libjpeg-turbo test images  libvips through sharp
//   libwebp test vectors                 dwebp (Debian package `webp`), PAM output (all decoded
//                                        samples, alpha included)
//   AV1 AVIF test files (Link-U, Apple)  avifdec (Debian package `libavif-bin`), 16-bit PNG
//                                        rounded to 8 bits (its 8-bit path mishandles 8-bit
//                                        monochrome: see conformance/reference.js), with the
//                                        primary item's clap, irot, imir applied here
//
// Each file ends as one of:
//   matched          same size as the reference, and the mean absolute difference per channel
//                    of both 8-bit RGBA rasters, premultiplied by alpha, is at most TOLERANCE
//   rightly refused  the corpus marks it invalid (see conformance/corpus.js) and lazy-image
//                    rejects it with a LAZY_ code other than LAZY_INTERNAL (a caught panic);
//                    or it is a REFERENCE_REFUSES file, refused as that entry says
//   failed           anything else, with the figures: wrong pixels, wrong size, an error on a
//                    valid file, success on an invalid one
//
// lazy-image's side is `ImageEngine.from(bytes).toBuffer('png', { fastMode: true })`: PNG is
// lossless, and fastMode only lowers the zlib effort (the decoded pixels and PNG header were
// checked identical to the default on every decodable file of the corpora, at a quarter of
// the time). Both sides are brought to 8-bit sRGB RGBA by sharp.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine } = require('..');
const { ROOT, entries } = require('./conformance/corpus');
const { reference, toRgba, viaAvifdec, NAMES } = require('./conformance/reference');
const { crop, rotateAnticlockwise, mirror, premultipliedDiff } = require('./conformance/raster');
const { clapRect } = require('./conformance/isobmff');

/** Largest mean absolute difference per channel (8-bit levels, premultiplied) that matches. */
const TOLERANCE = 1;

/** Files decoded at once (each is one lazy-image job plus one reference decode). */
const CONCURRENCY = 2;

/**
 * Files the reference decoder itself refuses although the corpus does not mark them invalid.
 * lazy-image refusing one counts as rightly refused only with a LAZY_ code, and with `code`
 * when an entry names one. An entry the reference decodes again fails as stale.
 */
const REFERENCE_REFUSES = {
  'jpeg/monkey12.jpg': {
    reason:
      'sharp\'s libvips/libjpeg is built for 8-bit samples and refuses it ("Unsupported JPEG data precision 12"); ' +
      'no 12-bit JPEG decoder is at hand as a reference. The file itself is valid (ISO 10918-1 extended ' +
      'sequential, 12-bit, SOF1; listed by the corpus README as a 12-bit test image), so a refusal must say ' +
      'unsupported, not corrupt',
    code: 'LAZY_UNSUPPORTED_FORMAT',
  },
};

/**
 * Files the corpus marks invalid but whose handling it leaves open, and which the reference
 * decodes: matching the reference or a coded refusal both count. Each value is the reason.
 */
const EITHER_OUTCOME = {
  'avif/Apple/edge_case_testing_non_compliant_truncated_elementary_stream.avif':
    'Apple\'s note for this file: "How a parser handles this is undefined"; avifdec decodes the primary item, ' +
    'the 1024x768 base layer, and so does lazy-image',
};

/**
 * Files whose reference alpha is not compared: the bitstream declares no alpha, which the
 * WebP lossless spec calls "a hint only", and `dwebp -pam` still writes the ARGB alpha of
 * out-of-range palette entries (transparent black) where `dwebp -png` and libvips drop it,
 * as lazy-image does. RGB is compared with the reference's alpha set opaque.
 */
const ALPHA_IS_A_HINT = {
  'webp/bad_palette_index.webp': '4096 pixels index past the palette; the header says no alpha',
};

/**
 * Files whose reference is decoded with `avifdec --no-strict`: its strict mode refuses them
 * ("[Strict] crop rect X offset and width must both be even due to this image's YUV
 * subsampling", MIAF's constraint on clap in 4:2:0). Link-U does not mark them invalid (its
 * README gives the expected result); the crop is applied here on whole RGB pixels. Each value
 * is the reason.
 */
const REFERENCE_LENIENT = {
  'avif/Link-U/kimono.crop.avif': 'clap 385x330+272+39 of 722x1024 4:2:0: odd width',
  'avif/Link-U/kimono.mirror-vertical.rotate270.crop.avif': 'clap 330x385+39+272 of the stored 1024x722 4:2:0: odd x offset',
};

/**
 * What the PNG and JPEG comparison means, since libvips (sharp) is the reference there:
 * - gAMA, cHRM and sBIT are applied by neither libvips nor lazy-image: PngSuite's g*, cc* and
 *   cs* files are compared as stored samples (a gamma-correcting viewer would show g03..g25
 *   differently; when this was written both sides agreed exactly on every one of them).
 * - No PngSuite or libjpeg-turbo file here carries an ICC profile except monkey12.jpg (sRGB2014,
 *   see REFERENCE_REFUSES); sharp converts an embedded profile to sRGB, as lazy-image does.
 * - 16-bit PNGs: libvips brings the reference to 8 bits (v >> 8); lazy-image writes 8-bit PNG.
 */
const PNG_COLOUR_NOTES = 'gAMA/cHRM/sBIT not applied by either side';

// CONFORMANCE_VERBOSE=1 prints every file's outcome and figures, not only the failures.
const FORMATS = ['png', 'webp', 'jpeg', 'avif'];
const TITLES = { png: 'PngSuite', webp: 'libwebp test vectors', jpeg: 'libjpeg-turbo test images', avif: 'AV1 AVIF test files' };
const results = [];

function size(img) {
  return `${img.width}x${img.height}`;
}

function describe(err) {
  return `${err.code || '(no code)'}: ${String(err.message).split('\n')[0]}`;
}

function isCoded(err) {
  return typeof err.code === 'string' && err.code.startsWith('LAZY_') && err.code !== 'LAZY_INTERNAL';
}

async function lazyDecode(file) {
  try {
    const png = await ImageEngine.from(fs.readFileSync(file)).toBuffer('png', { fastMode: true });
    return { img: await toRgba(png) };
  } catch (error) {
    return { error };
  }
}

/** For a WebP or AVIF that failed on pixels or size: what sharp (libwebp / libheif) makes of it. */
async function secondOpinion(entry, lazy, ref) {
  if (entry.format !== 'webp' && entry.format !== 'avif') return '';
  let other;
  try {
    other = await toRgba(entry.file);
  } catch (err) {
    return `; sharp/libvips refuses it too (${String(err.message).split('\n')[0]})`;
  }
  const vs = (img, name) => (img.width === other.width && img.height === other.height
    ? `${name} mean ${premultipliedDiff(other, img).mean.toFixed(3)}`
    : `${name} size ${size(img)}`);
  return `; sharp/libvips (${size(other)}) vs ${vs(ref, NAMES[entry.format])}, vs ${vs(lazy, 'lazy-image')}`;
}

/** `{ id, format, outcome: 'matched' | 'refused' | 'failed', reason }` for one corpus file. */
async function judge(entry) {
  const out = (outcome, reason) => ({ id: entry.id, format: entry.format, outcome, reason });
  const lazy = await lazyDecode(entry.file);

  if (entry.invalid && lazy.error && entry.id in EITHER_OUTCOME && isCoded(lazy.error)) {
    return out('refused', `${describe(lazy.error)}; EITHER_OUTCOME: ${EITHER_OUTCOME[entry.id]}`);
  }
  if (entry.invalid && !(entry.id in EITHER_OUTCOME)) {
    if (!lazy.error) return out('failed', `decoded an invalid file (${entry.invalid}) to ${size(lazy.img)}`);
    if (!isCoded(lazy.error)) return out('failed', `invalid file (${entry.invalid}) refused without a proper code: ${describe(lazy.error)}`);
    return out('refused', `${entry.invalid}; ${describe(lazy.error)}`);
  }

  let ref;
  try {
    ref = await reference(entry, { lenient: entry.id in REFERENCE_LENIENT });
  } catch (err) {
    if (err.toolMissing) return out('failed', `no reference: ${err.message}`);
    const exception = REFERENCE_REFUSES[entry.id];
    const lazySays = lazy.error ? describe(lazy.error) : `decoded to ${size(lazy.img)}`;
    if (!exception) {
      return out('failed', `${NAMES[entry.format]} refuses it (${err.message.split('\n')[0]}) and it is not in REFERENCE_REFUSES; lazy-image ${lazySays}`);
    }
    if (lazy.error && isCoded(lazy.error) && (!exception.code || lazy.error.code === exception.code)) {
      return out('refused', `${describe(lazy.error)}; REFERENCE_REFUSES: ${exception.reason}`);
    }
    const want = exception.code ? `a ${exception.code} refusal` : 'a coded refusal';
    return out('failed', `REFERENCE_REFUSES expects ${want} (${exception.reason}); lazy-image ${lazySays}`);
  }

  if (entry.id in REFERENCE_REFUSES) return out('failed', `stale REFERENCE_REFUSES entry: ${NAMES[entry.format]} now decodes it`);
  if (lazy.error) return out('failed', `error on a valid file: ${describe(lazy.error)}`);
  const transforms = ref.transforms && ref.transforms.length ? ` (reference after ${ref.transforms.join(', ')})` : '';
  if (lazy.img.width !== ref.width || lazy.img.height !== ref.height) {
    return out('failed', `size ${size(lazy.img)}, reference ${size(ref)}${transforms}${await secondOpinion(entry, lazy.img, ref)}`);
  }
  if (entry.id in ALPHA_IS_A_HINT) {
    for (let i = 3; i < ref.data.length; i += 4) ref.data[i] = 255;
  }
  const d = premultipliedDiff(lazy.img, ref);
  const figures = `mean diff ${d.mean.toFixed(3)}, max ${d.max.toFixed(1)}, ${size(ref)}${transforms}`;
  if (d.mean <= TOLERANCE) return out('matched', figures);
  return out('failed', `${figures}${await secondOpinion(entry, lazy.img, ref)}`);
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of `items`. */
async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function table() {
  const rows = [['format', 'files', 'matched', 'rightly refused', 'failed']];
  const count = (list, outcome) => list.filter((r) => r.outcome === outcome).length;
  for (const format of [...FORMATS, 'total']) {
    const list = format === 'total' ? results : results.filter((r) => r.format === format);
    if (list.length === 0) continue;
    rows.push([format, list.length, count(list, 'matched'), count(list, 'refused'), count(list, 'failed')].map(String));
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w, c) => (c === 0 ? ':' : '-') + '-'.repeat(w) + (c === 0 ? '-' : ':')).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

test('the corpora are beside the repository', () => {
  assert.ok(fs.existsSync(ROOT), `the conformance corpora are expected at ${ROOT} (the shared folder beside the checkout)`);
});

test('harness: irot, imir and clap as applied to avifdec output give back the plain kimono', async () => {
  // Link-U's README: every kimono variant, displayed, is kimono.avif (the .crop ones: its crop).
  // Separate encodes differ by ~2 levels; a wrong turn or flip by ~40.
  const tiny = (rows) => ({ data: Buffer.from(rows.flat().flatMap((v) => [v, v, v, 255])), width: rows[0].length, height: rows.length });
  const grid = tiny([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(rotateAnticlockwise(grid, 1), tiny([[3, 6], [2, 5], [1, 4]]));
  assert.deepEqual(rotateAnticlockwise(grid, 2), tiny([[6, 5, 4], [3, 2, 1]]));
  assert.deepEqual(rotateAnticlockwise(grid, 3), tiny([[4, 1], [5, 2], [6, 3]]));
  assert.deepEqual(mirror(grid, 0), tiny([[4, 5, 6], [1, 2, 3]]));
  assert.deepEqual(mirror(grid, 1), tiny([[3, 2, 1], [6, 5, 4]]));
  const crop385 = clapRect({ widthN: 385, widthD: 1, heightN: 330, heightD: 1, horizOffN: 207, horizOffD: 2, vertOffN: -616, vertOffD: 2 }, 722, 1024);
  assert.deepEqual(crop385, { x: 272, y: 39, width: 385, height: 330 });
  const dir = path.join(ROOT, 'avif', 'Link-U');
  const plain = await viaAvifdec(path.join(dir, 'kimono.avif'));
  const cropped = crop(plain, crop385);
  for (const variant of ['rotate90', 'rotate270', 'mirror-horizontal', 'mirror-vertical', 'mirror-vertical.rotate270', 'crop', 'mirror-vertical.rotate270.crop']) {
    const id = `avif/Link-U/kimono.${variant}.avif`;
    const img = await viaAvifdec(path.join(dir, `kimono.${variant}.avif`), { lenient: id in REFERENCE_LENIENT });
    const want = variant.endsWith('crop') ? cropped : plain;
    assert.deepEqual([img.width, img.height], [want.width, want.height], `${variant}: ${img.transforms.join(', ')}`);
    const { mean } = premultipliedDiff(img, want);
    assert.ok(mean < 4, `${variant} after ${img.transforms.join(', ')} differs from kimono.avif by ${mean.toFixed(2)}`);
  }
});

for (const format of FORMATS) {
  test(`${TITLES[format]} decode as their reference does`, async () => {
    const list = entries().filter((e) => e.format === format);
    assert.ok(list.length > 0, `no ${format} files under ${ROOT}`);
    const judged = await mapLimit(list, CONCURRENCY, judge);
    results.push(...judged);
    if (process.env.CONFORMANCE_VERBOSE) for (const r of judged) console.log(`${r.outcome.padEnd(7)} ${r.id}: ${r.reason}`);
    const failed = judged.filter((r) => r.outcome === 'failed');
    assert.equal(failed.length, 0, `${failed.length} of ${judged.length} ${format} files failed:\n${failed.map((r) => `  ${r.id}: ${r.reason}`).join('\n')}`);
  });
}

// The table goes out as the process ends, after every test's report.
process.on('exit', () => {
  if (results.length === 0) return;
  console.log(`\nConformance against the reference decoders (mean diff <= ${TOLERANCE}, premultiplied; PNG: ${PNG_COLOUR_NOTES})\n${table()}\n`);
});
