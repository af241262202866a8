'use strict';
// Argument checks shared by every public method: wrong type → TypeError, wrong value →
// RangeError, both thrown synchronously with a message that names the argument.

const { fileURLToPath } = require('node:url');
const { typeError, rangeError } = require('./errors');

/** Largest width or height accepted anywhere (the core's default limit). */
const MAX_SIDE = 32768;

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string '${value}'` : `${typeof value} ${String(value)}`;
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
    throw rangeError(`${name} must be one of ${allowed.join(', ')}; got '${value}'`);
  }
  return value;
}

function plainObject(name, value) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw typeError(`${name} must be an object, got ${describe(value)}`);
  }
  return value;
}

function string(name, value) {
  if (typeof value !== 'string' || value.length === 0) {
    throw typeError(`${name} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

/** A file path given as a non-empty string or a `file:` URL. */
function path(name, value) {
  return value instanceof URL ? fileURLToPath(value) : string(name, value);
}

module.exports = {
  path,
  MAX_SIDE,
  integer,
  optionalInteger,
  number,
  boolean,
  optionalBoolean,
  oneOf,
  plainObject,
  string,
};
