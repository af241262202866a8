'use strict';
// Status codes by error category: the engine's `code` decides, and the JSON body carries it.
//   400 bad parameters · 404 no source · 413 over a limit · 422 input that cannot be read
//   503 too many conversions waiting · 504 a conversion over its time limit · 500 the rest

const { isLazyImageError } = require('../errors');

/** An error the handler answers with `status` and `{ error: { code, message } }`. */
class HttpError extends Error {
  constructor(status, code, message, headers) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const STATUS_OF_CODE = Object.freeze({
  LAZY_INVALID_ARGUMENT: 400,
  LAZY_OUT_OF_RANGE: 400,
  LAZY_CROP_OUT_OF_BOUNDS: 400,
  LAZY_FILE_NOT_FOUND: 404,
  LAZY_NOT_A_FILE: 404,
  LAZY_LIMIT_EXCEEDED: 413,
  LAZY_INPUT_TOO_LARGE: 413,
  LAZY_EMPTY_INPUT: 422,
  LAZY_CORRUPT_INPUT: 422,
  LAZY_UNSUPPORTED_FORMAT: 422,
  LAZY_QUEUE_FULL: 503,
  // The file changed while it was read: trying again reads the new one.
  LAZY_SOURCE_CHANGED: 503,
  LAZY_TIMEOUT: 504,
});

/** `{ status, code, message, headers }` for any error a request met. */
function describeError(err) {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, headers: err.headers };
  if (isLazyImageError(err)) {
    const status = STATUS_OF_CODE[err.code] ?? 500;
    const headers = status === 503 ? { 'Retry-After': '1' } : undefined;
    return { status, code: err.code, message: status === 500 ? 'the image could not be made' : err.message, headers };
  }
  // Not ours (a loader's error, a bug): no detail leaves the process.
  return { status: 500, code: 'LAZY_INTERNAL', message: 'internal error', headers: undefined };
}

module.exports = { HttpError, describeError, STATUS_OF_CODE };
