'use strict';
// Output settings shared by every output call: the format and encoder options, and fsync.

const native = require('../native.js');
const v = require('./validate');
const { typeError } = require('./errors');

const { outputFormats: FORMATS } = native.vocabulary();

/** Normalises `(quality?, fastMode?)` or `({ quality, fastMode, effort, lossless })`. */
function outputArgs(format, qualityOrOptions, fastMode) {
  const fmt = v.oneOf('format', typeof format === 'string' ? format.toLowerCase() : format, FORMATS);
  let opts;
  if (typeof qualityOrOptions === 'object' && qualityOrOptions !== null) {
    if (fastMode !== undefined) throw typeError('pass fastMode inside the options object, not after it');
    opts = qualityOrOptions;
  } else {
    opts = { quality: qualityOrOptions, fastMode };
  }
  return [
    fmt,
    v.optionalInteger('quality', opts.quality, 1, 100),
    v.optionalBoolean('fastMode', opts.fastMode, false),
    v.optionalInteger('effort', opts.effort, 0, 10),
    v.optionalBoolean('lossless', opts.lossless, false),
  ];
}

/** `fsync` of a file output's options object: flush to disk before resolving (default true). */
function fsyncOption(options) {
  return typeof options === 'object' && options !== null ? v.optionalBoolean('fsync', options.fsync, true) : true;
}

module.exports = { outputArgs, fsyncOption };
