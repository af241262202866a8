'use strict';
// Output settings shared by every output call: the format and encoder options, and fsync.

const native = require('../native.js');
const v = require('./validate');
const { optionalColour } = require('./colour');
const { typeError, rangeError } = require('./errors');

/** SSIMULACRA2 target of `quality: 'auto'` when none is given (its "high quality" level). */
const DEFAULT_TARGET = 75;

const { outputFormats: FORMATS } = native.vocabulary();

/** The keys of an encoder options object. */
const OUTPUT_KEYS = Object.freeze(['quality', 'fastMode', 'effort', 'lossless', 'background', 'target']);
/** The keys of a file output's options object. */
const FILE_OUTPUT_KEYS = Object.freeze([...OUTPUT_KEYS, 'fsync']);

/**
 * Normalises `(quality?, fastMode?)` or `({ quality, fastMode, effort, lossless, background })`
 * into the native output arguments; an options object may hold only `keys` (`what` names
 * the taker in the message). `background` is what alpha is flattened onto for a format
 * without it (JPEG; default white).
 */
function outputArgs(format, qualityOrOptions, fastMode, keys = OUTPUT_KEYS, what = 'the output') {
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
  return [
    fmt,
    auto ? undefined : v.optionalInteger('quality', opts.quality, 1, 100),
    v.optionalBoolean('fastMode', opts.fastMode, false),
    v.optionalInteger('effort', opts.effort, 0, 10),
    v.optionalBoolean('lossless', opts.lossless, false),
    optionalColour('background', opts.background)?.slice(0, 3) ?? null,
    auto ? v.number('target', opts.target ?? DEFAULT_TARGET, 1, 100) : null,
  ];
}

/** What `toFile(path)` takes the format from: the extension, case ignored. */
const EXTENSION_FORMATS = Object.freeze({ '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png', '.webp': 'webp', '.avif': 'avif' });

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

module.exports = { outputArgs, fsyncOption, formatOfPath, OUTPUT_KEYS, FILE_OUTPUT_KEYS, FORMATS, DEFAULT_TARGET };
