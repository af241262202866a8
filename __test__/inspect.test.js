'use strict';
// inspect() takes what ImageEngine.from() takes, and reports the stored size, where
// dimensions() reports the displayed one; sharp's metadata is the oracle.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const lazy = require('..');
const { sharp, fixtures } = require('./helpers');

test('inspect takes a Buffer, a Uint8Array view, an ArrayBuffer and a SharedArrayBuffer alike', async () => {
  const file = fs.readFileSync(await fixtures.png());
  const meta = await sharp(file).metadata();
  const expected = { format: 'png', width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha, orientation: 1, hasIccProfile: false };
  assert.deepEqual(lazy.inspect(file), expected);
  // A view into a larger buffer: only its own bytes are read.
  const padded = new Uint8Array(file.length + 16);
  padded.set(file, 8);
  assert.deepEqual(lazy.inspect(padded.subarray(8, 8 + file.length)), expected);
  const exact = new ArrayBuffer(file.length);
  new Uint8Array(exact).set(file);
  assert.deepEqual(lazy.inspect(exact), expected);
  const shared = new SharedArrayBuffer(file.length);
  new Uint8Array(shared).set(file);
  assert.deepEqual(lazy.inspect(shared), expected);
  // The same inputs from() takes; the same refusals, coded.
  for (const input of [exact, shared]) assert.deepEqual(lazy.ImageEngine.from(input).dimensions(), { width: meta.width, height: meta.height });
  for (const bad of ['photo.png', new Uint16Array(4), null, {}]) {
    assert.throws(() => lazy.inspect(bad), (err) => err instanceof TypeError && err.code === 'LAZY_INVALID_ARGUMENT' && /^inspect\(input\) must be a Buffer, Uint8Array, ArrayBuffer or SharedArrayBuffer/.test(err.message));
  }
});

test('inspect and inspectFile give the stored size, dimensions() the displayed one', async () => {
  const file = await fixtures.oriented(6); // stored 60x40, shown turned a quarter: 40x60
  const meta = await sharp(file).metadata();
  assert.deepEqual([meta.width, meta.height, meta.orientation], [60, 40, 6]);
  for (const info of [lazy.inspect(fs.readFileSync(file)), lazy.inspectFile(file)]) {
    assert.deepEqual([info.width, info.height, info.orientation], [meta.width, meta.height, 6]);
  }
  assert.deepEqual(lazy.ImageEngine.fromPath(file).dimensions(), { width: 40, height: 60 });
  assert.deepEqual(lazy.ImageEngine.fromPath(file).autoOrient(false).dimensions(), { width: 60, height: 40 });
});
