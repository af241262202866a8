'use strict';
// Error codes come from the Rust core's table (one source of truth); argument errors
// raised here carry the same `code`, `errorCode` and `category` as errors from Rust.

const native = require('../native.js');

const entries = native.errorCodes();

/** `ErrorCode.CORRUPT_INPUT === 'LAZY_CORRUPT_INPUT'`, and so on. */
const ErrorCode = Object.freeze(Object.fromEntries(entries.map((e) => [e.name, e.code])));

/** `ErrorCategory.USER_INPUT === 'user_input'`, and so on. */
const ErrorCategory = Object.freeze({
  USER_INPUT: 'user_input',
  CODEC: 'codec',
  RESOURCE_LIMIT: 'resource_limit',
  INTERNAL: 'internal',
});

const byCode = new Map(entries.map((e) => [e.code, e]));

function codedError(Ctor, name, message) {
  const entry = entries.find((e) => e.name === name);
  const err = new Ctor(message);
  err.code = entry.code;
  err.errorCode = entry.errorCode;
  err.category = entry.category;
  return err;
}

/** An Error carrying `code` (a `LAZY_*` string), as the native side raises it. */
function errorOfCode(code, message) {
  return codedError(Error, byCode.get(code).name, message);
}

/** A TypeError for an argument of the wrong type. */
function typeError(message) {
  return codedError(TypeError, 'INVALID_ARGUMENT', message);
}

/** A RangeError for an argument outside its allowed values. */
function rangeError(message) {
  return codedError(RangeError, 'OUT_OF_RANGE', message);
}

/**
 * Runs `fn`; a coded error it throws is thrown again, same class and code, with its message
 * prefixed by `where` (`steps[2] (rotate): degrees must be …`). Other errors pass as they are.
 */
function withContext(where, fn) {
  try {
    return fn();
  } catch (err) {
    const entry = err instanceof Error && typeof err.code === 'string' ? byCode.get(err.code) : undefined;
    if (entry === undefined) throw err;
    throw codedError(err.constructor, entry.name, `${where}: ${err.message}`);
  }
}

/** True for an error raised by lazy-image: an Error whose `code` is in the core's code table. */
function isLazyImageError(err) {
  return err instanceof Error && typeof err.code === 'string' && byCode.has(err.code);
}

/**
 * The category of any error thrown or rejected by lazy-image: one of `ErrorCategory`'s
 * values. Errors that did not come from lazy-image are reported as `internal`.
 */
function getErrorCategory(err) {
  if (err && typeof err.code === 'string' && byCode.has(err.code)) {
    return byCode.get(err.code).category;
  }
  if (err instanceof TypeError || err instanceof RangeError) return ErrorCategory.USER_INPUT;
  return ErrorCategory.INTERNAL;
}

module.exports = { ErrorCode, ErrorCategory, getErrorCategory, isLazyImageError, codedError, errorOfCode, typeError, rangeError, withContext };
