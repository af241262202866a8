'use strict';
// Argument checks shared by every public method: wrong type → TypeError, wrong value →
// RangeError, both thrown synchronously with a message that names the argument.

const { fileURLToPath } = require('node:url');
const { types } = require('node:util');
const { typeError, rangeError } = require('./errors');

/** Largest width or height accepted anywhere (the core's default limit). */
const MAX_SIDE = 32768;

/** Characters of a string value shown in a message; the rest is cut and its length given. */
const SHOWN_CHARS = 80;

// Control characters, invisible format characters, line and paragraph separators, bidi
// overrides and lone surrogates: shown as escapes so a message stays one printable line.
const NON_PRINTABLE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const SHORT_ESCAPES = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', "'": "\\'" };

function escapeChar(ch) {
  if (Object.hasOwn(SHORT_ESCAPES, ch)) return SHORT_ESCAPES[ch];
  if (!NON_PRINTABLE.test(ch)) return ch;
  return ch.length === 1 ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch;
}

/** The printable escaped form of `s`, cut to about `SHOWN_CHARS`: `{ shown, cut }`. */
function shorten(s) {
  let shown = '';
  // By code point, so a surrogate pair is never split (a lone one is escaped).
  for (const ch of s) {
    const next = escapeChar(ch);
    if (shown.length + next.length > SHOWN_CHARS) return { shown, cut: true };
    shown += next;
  }
  return { shown, cut: false };
}

/**
 * Any text in a short printable form for a message: escapes for what cannot be printed, at
 * most about 80 characters, then '…' and the total length when it was cut.
 */
function printable(text) {
  const s = String(text);
  const { shown, cut } = shorten(s);
  return cut ? `${shown}… (${s.length} characters)` : shown;
}

/** Like `printable`, quoted: `'abc'`, or `'abcd…' (65536 characters)` when cut. */
function quoted(text) {
  const s = String(text);
  const { shown, cut } = shorten(s);
  return cut ? `'${shown}…' (${s.length} characters)` : `'${shown}'`;
}

/** The name of an object's class, read without running any of its code, or ''. */
function className(value) {
  try {
    const proto = Object.getPrototypeOf(value);
    if (proto === null) return '';
    const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor');
    if (!ctor || typeof ctor.value !== 'function') return '';
    const name = Object.getOwnPropertyDescriptor(ctor.value, 'name');
    return name && typeof name.value === 'string' ? name.value : '';
  } catch {
    return '';
  }
}

// 'an ArrayBuffer', 'an Int8Array', 'a Uint8Array'.
const article = (word) => (/^[aeio]/i.test(word) ? `an ${word}` : `a ${word}`);

/**
 * What a value is, for a message, in a short printable form: never a long string in full,
 * never the contents of a buffer, never the output of a value's own `toString`.
 */
function describe(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return `the string ${quoted(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'bigint':
      return `bigint ${printable(`${value}n`)}`;
    case 'symbol':
      return value.description === undefined ? 'a symbol' : `a symbol ${quoted(value.description)}`;
    case 'function':
      return 'a function';
    default:
      break;
  }
  if (types.isProxy(value)) return 'a Proxy';
  if (Array.isArray(value)) return 'an array';
  const size = byteSize(value);
  if (size !== undefined) {
    const name = Buffer.isBuffer(value) ? 'Buffer' : className(value) || 'binary object';
    return `${article(name)} of ${size} bytes`;
  }
  if (value instanceof URL) {
    try {
      return `the URL ${quoted(URL.prototype.toString.call(value))}`;
    } catch {
      return 'a URL object';
    }
  }
  const name = className(value);
  return name === '' || name === 'Object' ? 'an object' : `${article(name)} object`;
}

// The engines' own accessors, so a value's own properties (a shadowing `byteLength`, say)
// are never believed.
const getter = (proto, key) => Object.getOwnPropertyDescriptor(proto, key).get;
const TYPED = Object.getPrototypeOf(Uint8Array.prototype);
const typedBuffer = getter(TYPED, 'buffer');
const typedOffset = getter(TYPED, 'byteOffset');
const typedLength = getter(TYPED, 'byteLength');
const dataViewLength = getter(DataView.prototype, 'byteLength');
const arrayBufferLength = getter(ArrayBuffer.prototype, 'byteLength');
const sharedBufferLength = getter(SharedArrayBuffer.prototype, 'byteLength');

/** The size in bytes of a typed array, DataView, ArrayBuffer or SharedArrayBuffer; else undefined. */
function byteSize(value) {
  if (types.isProxy(value)) return undefined;
  if (types.isTypedArray(value)) return typedLength.call(value);
  if (types.isDataView(value)) return dataViewLength.call(value);
  if (types.isArrayBuffer(value)) return arrayBufferLength.call(value);
  if (types.isSharedArrayBuffer(value)) return sharedBufferLength.call(value);
  return undefined;
}

/** `[buffer, byteOffset, byteLength]` of a real typed array, read with the engine's accessors. */
function viewParts(view) {
  return [typedBuffer.call(view), typedOffset.call(view), typedLength.call(view)];
}

function integer(name, value, min, max) {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw typeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw rangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function optionalInteger(name, value, min, max) {
  return value === undefined || value === null ? undefined : integer(name, value, min, max);
}

function number(name, value, min, max) {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw typeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw rangeError(`${name} must be from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function boolean(name, value) {
  if (typeof value !== 'boolean') throw typeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

function optionalBoolean(name, value, fallback) {
  return value === undefined || value === null ? fallback : boolean(name, value);
}

function oneOf(name, value, allowed) {
  if (typeof value !== 'string') throw typeError(`${name} must be a string, got ${describe(value)}`);
  if (!allowed.includes(value)) {
    throw rangeError(`${name} must be one of ${allowed.join(', ')}; got ${quoted(value)}`);
  }
  return value;
}

function plainObject(name, value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || byteSize(value) !== undefined) {
    throw typeError(`${name} must be an object, got ${describe(value)}`);
  }
  return value;
}

/** Levenshtein distance between two short strings. */
function editDistance(a, b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The accepted key nearest to `key` (case ignored), if it is at most 2 edits away. */
function nearestKey(key, allowed) {
  let best;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/**
 * The one check for options objects: `value` must be a plain object (not an array, not a
 * Buffer or other binary object) whose own keys are all in `allowed`. An unknown key is a
 * coded TypeError: `<where>: unknown key 'qualty'; <what> takes quality, …; did you mean 'quality'?`.
 * `what` names the taker in the message (default `where`). Returns the object.
 */
function knownKeys(where, value, allowed, what = where) {
  const o = plainObject(where, value);
  for (const key of Object.keys(o)) {
    if (allowed.includes(key)) continue;
    const takes = allowed.length === 0 ? 'takes no other keys' : `takes ${allowed.join(', ')}`;
    const near = nearestKey(key, allowed);
    const hint = near === undefined ? '' : `; did you mean ${quoted(near)}?`;
    throw typeError(`${where}: unknown key ${quoted(key)}; ${what} ${takes}${hint}`);
  }
  return o;
}

function string(name, value) {
  if (typeof value !== 'string' || value.length === 0) {
    throw typeError(`${name} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

/** A file path given as a non-empty string or a `file:` URL. */
function path(name, value) {
  if (!(value instanceof URL)) return string(name, value);
  try {
    return fileURLToPath(value);
  } catch {
    throw typeError(`${name} must be a path or a file: URL, got ${describe(value)}`);
  }
}

/** The encoded bytes `from()` and `inspect()` take, as a Buffer over the caller's memory. */
function toBytes(input, what = 'input') {
  // A Proxy passes Buffer.isBuffer but not the native side's checks: refused here, coded.
  if (types.isProxy(input)) {
    throw typeError(`${what} must be the Buffer itself, got a Proxy: pass the Buffer (or Uint8Array, ArrayBuffer) it wraps`);
  }
  if (types.isUint8Array(input)) {
    if (Buffer.isBuffer(input)) return input;
    // A Buffer over the same memory, bounds read with the real accessors (the native side copies).
    return Buffer.from(...viewParts(input));
  }
  if (types.isArrayBuffer(input) || types.isSharedArrayBuffer(input)) return Buffer.from(input, 0, byteSize(input));
  const hint = types.isArrayBufferView(input)
    ? '; for another view, pass new Uint8Array(view.buffer, view.byteOffset, view.byteLength)'
    : '';
  throw typeError(`${what} must be a Buffer, Uint8Array, ArrayBuffer or SharedArrayBuffer, got ${describe(input)}${hint}`);
}

module.exports = {
  toBytes,
  describe,
  byteSize,
  viewParts,
  printable,
  quoted,
  path,
  MAX_SIDE,
  integer,
  optionalInteger,
  number,
  boolean,
  optionalBoolean,
  oneOf,
  plainObject,
  knownKeys,
  editDistance,
  string,
};
