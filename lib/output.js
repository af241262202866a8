'use strict';
// Output settings shared by every output call: the format and encoder options, and fsync.

const native = require('../native.js');
const v = require('./validate');
const { optionalColour } = require('./colour');
const { typeError, rangeError, errorOfCode } = require('./errors');

/** SSIMULACRA2 target of `quality: 'auto'` when none is given (its "high quality" level). */
const DEFAULT_TARGET = 75;

const { outputFormats: FORMATS, chromaSubsamplings: CHROMA_SUBSAMPLINGS } = native.vocabulary();

/** The keys of an encoder options object: every output call, batch and stream takes them. */
const OUTPUT_KEYS = Object.freeze(['quality', 'fastMode', 'effort', 'lossless', 'background', 'target', 'palette', 'colours', 'colors', 'dither', 'loop', 'delay', 'chromaSubsampling']);
/** The keys of a file output's options object. */
const FILE_OUTPUT_KEYS = Object.freeze([...OUTPUT_KEYS, 'fsync']);

/** The formats whose chroma resolution can be chosen. */
const CHROMA_FORMATS = Object.freeze(['jpeg', 'jpg', 'avif']);

/** The encoder options of an options object that also holds a caller's own keys. */
function encoderOptions(options) {
  return Object.fromEntries(OUTPUT_KEYS.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
}

/**
 * Normalises `(quality?, fastMode?)` or `({ quality, fastMode, effort, lossless, background,
 * palette, colours, dither, loop, delay, chromaSubsampling })` into the encoder settings the core reads; an
 * options object may hold only `keys` (`what` names the taker in the message).
 * `background` is what alpha is flattened onto for a format without it (JPEG; default
 * white). `palette` (PNG; GIF always has one) quantises to at most `colours` (2–256) with
 * `dither` (0–1); `loop` (0 forever) and `delay` (ms, one number or one per frame) replace
 * an animation's own. `chromaSubsampling` (JPEG, default '4:2:0'; AVIF, default '4:4:4')
 * is '4:2:0' or '4:4:4'; a JPEG's auto quality search keeps it when given.
 */
function encoderSpec(format, qualityOrOptions, fastMode, keys = OUTPUT_KEYS, what = 'the output') {
  const fmt = v.oneOf('format', typeof format === 'string' ? format.toLowerCase() : format, FORMATS);
  let opts;
  if (typeof qualityOrOptions === 'object' && qualityOrOptions !== null) {
    opts = v.knownKeys('options', qualityOrOptions, keys, what);
    if (fastMode !== undefined) throw typeError('pass fastMode inside the options object, not after it');
  } else {
    opts = { quality: qualityOrOptions, fastMode };
  }
  // quality: 'auto' chooses the quality per image against a SSIMULACRA2 `target` (default 75).
  const auto = opts.quality === 'auto';
  if (opts.target !== undefined && !auto) throw typeError("target is the score quality: 'auto' aims at; give quality: 'auto' with it");
  if (opts.colours !== undefined && opts.colors !== undefined) throw typeError('give colours or colors, not both');
  const palette = v.optionalBoolean('palette', opts.palette, false);
  const colours = v.optionalInteger('colours', opts.colours ?? opts.colors, 2, 256);
  const dither = opts.dither === undefined ? undefined : v.number('dither', opts.dither, 0, 1);
  const quantised = palette || fmt === 'gif';
  if (!quantised && (colours !== undefined || dither !== undefined)) {
    throw typeError(`colours and dither shape a palette: give palette: true with them (PNG), or write GIF`);
  }
  if (palette && fmt !== 'png') throw typeError(`palette: true is for PNG (GIF always has a palette), not ${fmt}`);
  const delay = opts.delay === undefined ? undefined : delays(opts.delay);
  const chroma = opts.chromaSubsampling === undefined ? null : v.oneOf('chromaSubsampling', opts.chromaSubsampling, CHROMA_SUBSAMPLINGS);
  if (chroma !== null && !CHROMA_FORMATS.includes(fmt)) {
    throw typeError(`chromaSubsampling is for JPEG and AVIF, not ${fmt} (WebP's lossy frames are always 4:2:0)`);
  }
  return {
    format: fmt === 'jpg' ? 'jpeg' : fmt,
    quality: auto ? null : v.optionalInteger('quality', opts.quality, 1, 100) ?? null,
    fastMode: v.optionalBoolean('fastMode', opts.fastMode, false),
    effort: v.optionalInteger('effort', opts.effort, 0, 10) ?? null,
    lossless: v.optionalBoolean('lossless', opts.lossless, false),
    background: optionalColour('background', opts.background)?.slice(0, 3) ?? null,
    target: auto ? v.number('target', opts.target ?? DEFAULT_TARGET, 1, 100) : null,
    palette: quantised ? { colours: colours ?? 256, dither: dither ?? 1 } : null,
    loop: v.optionalInteger('loop', opts.loop, 0, 65535) ?? null,
    delay: delay ?? null,
    chromaSubsampling: chroma,
  };
}

/** `delay`: milliseconds for every frame, or a non-empty list of them, one per frame. */
function delays(delay) {
  const list = Array.isArray(delay) ? delay : [delay];
  if (list.length === 0) throw typeError('delay takes milliseconds, or a non-empty list of them (one per frame)');
  return list.map((ms, i) => v.integer(Array.isArray(delay) ? `delay[${i}]` : 'delay', ms, 0, 65535 * 10));
}

/** The native output arguments: the encoder settings as the JSON the core reads. */
function outputArgs(format, qualityOrOptions, fastMode, keys, what) {
  return [JSON.stringify(encoderSpec(format, qualityOrOptions, fastMode, keys, what))];
}

/** What `toFile(path)` takes the format from: the extension, case ignored. */
const EXTENSION_FORMATS = Object.freeze({ '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png', '.webp': 'webp', '.avif': 'avif', '.gif': 'gif' });

/** The output format a file name's extension gives, or a coded RangeError naming it. */
function formatOfPath(filePath) {
  const ext = require('node:path').extname(filePath).toLowerCase();
  if (!Object.hasOwn(EXTENSION_FORMATS, ext)) {
    const named = ext === '' ? 'has no extension' : `has the extension ${v.quoted(ext)}`;
    throw rangeError(`toFile(path) without a format takes it from the extension, and ${v.quoted(filePath)} ${named}; use one of ${Object.keys(EXTENSION_FORMATS).join(', ')}, or pass the format`);
  }
  return EXTENSION_FORMATS[ext];
}

/** `fsync` of a file output's options object: flush to disk before resolving (default true). */
function fsyncOption(options) {
  return typeof options === 'object' && options !== null ? v.optionalBoolean('fsync', options.fsync, true) : true;
}

/** Creates the folder `dir` (and its parents), or throws LAZY_OUTPUT_WRITE saying why. */
function makeFolder(dir) {
  try {
    require('node:fs').mkdirSync(dir, { recursive: true });
  } catch (err) {
    const reason = err.code === 'ENOTDIR' || err.code === 'EEXIST' ? 'a part of that path is a file' : err.message;
    throw errorOfCode('LAZY_OUTPUT_WRITE', `cannot create the output folder ${v.quoted(dir)}: ${reason}`);
  }
}

module.exports = { outputArgs, encoderSpec, encoderOptions, fsyncOption, formatOfPath, makeFolder, OUTPUT_KEYS, FILE_OUTPUT_KEYS, FORMATS, DEFAULT_TARGET };
