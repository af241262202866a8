'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const lazy = require('..');
const { ImageEngine, ErrorCode, ErrorCategory, getErrorCategory } = lazy;
const { fixtures, tmpPath, tmp } = require('./helpers');

function assertCoded(err, code, category) {
  assert.equal(err.code, code, err.message);
  assert.equal(typeof err.errorCode, 'number');
  assert.equal(err.category, category);
  assert.equal(getErrorCategory(err), category);
  assert.ok(err.message.length > 10, 'message says what went wrong');
  return true;
}

test('ErrorCode and ErrorCategory are exported and consistent', () => {
  assert.equal(ErrorCode.FILE_NOT_FOUND, 'LAZY_FILE_NOT_FOUND');
  assert.equal(ErrorCode.CORRUPT_INPUT, 'LAZY_CORRUPT_INPUT');
  assert.deepEqual(Object.values(ErrorCategory).sort(), ['codec', 'internal', 'resource_limit', 'user_input']);
  assert.equal(getErrorCategory(new Error('foreign')), 'internal');
});

test('missing file, directory and empty file throw synchronously with a code', () => {
  assert.throws(() => ImageEngine.fromPath(tmpPath('nope.jpg')), (e) => assertCoded(e, ErrorCode.FILE_NOT_FOUND, 'user_input'));
  assert.throws(() => ImageEngine.fromPath(tmp), (e) => assertCoded(e, ErrorCode.NOT_A_FILE, 'user_input'));
  const empty = tmpPath('empty.jpg');
  fs.writeFileSync(empty, '');
  assert.throws(() => ImageEngine.fromPath(empty), (e) => assertCoded(e, ErrorCode.EMPTY_INPUT, 'user_input'));
  assert.throws(() => ImageEngine.from(Buffer.alloc(0)), (e) => assertCoded(e, ErrorCode.EMPTY_INPUT, 'user_input'));
  assert.throws(() => lazy.inspectFile(tmpPath('nope.png')), (e) => assertCoded(e, ErrorCode.FILE_NOT_FOUND, 'user_input'));
});

test('truncated, corrupt and random inputs reject with codec codes', async () => {
  const jpeg = fs.readFileSync(await fixtures.jpeg());
  const png = fs.readFileSync(await fixtures.png());
  const webp = fs.readFileSync(await fixtures.webp());
  let seed = 7;
  const random = Buffer.from(Array.from({ length: 4096 }, () => (seed = (seed * 48271) % 2147483647) & 0xff));
  const cases = [
    ['truncated JPEG', jpeg.subarray(0, Math.floor(jpeg.length / 2)), ErrorCode.CORRUPT_INPUT],
    ['JPEG header only', jpeg.subarray(0, 200), ErrorCode.CORRUPT_INPUT],
    ['truncated PNG', png.subarray(0, Math.floor(png.length / 2)), ErrorCode.CORRUPT_INPUT],
    ['PNG signature only', png.subarray(0, 8), ErrorCode.CORRUPT_INPUT],
    ['truncated WebP', webp.subarray(0, Math.floor(webp.length / 2)), ErrorCode.CORRUPT_INPUT],
    ['random bytes', random, ErrorCode.UNSUPPORTED_FORMAT],
    ['text', Buffer.from('hello, not an image at all'), ErrorCode.UNSUPPORTED_FORMAT],
    ['AVIF ftyp box alone', Buffer.from('0000001c6674797061766966000000006d696631', 'hex'), ErrorCode.CORRUPT_INPUT],
  ];
  for (const [name, bytes, code] of cases) {
    const category = code === ErrorCode.UNSUPPORTED_FORMAT || code === ErrorCode.CORRUPT_INPUT ? 'codec' : 'user_input';
    await assert.rejects(ImageEngine.from(bytes).toBuffer('png'), (e) => assertCoded(e, code, category), name);
    // The same file through the memory map.
    const file = tmpPath(`bad-${name.replace(/\W/g, '-')}.bin`);
    fs.writeFileSync(file, bytes);
    await assert.rejects(ImageEngine.fromPath(file).toBuffer('jpeg'), (e) => assertCoded(e, code, category), name);
  }
});

/** A tiny, well-formed PNG whose header declares `width`x`height` pixels. */
test('crop outside the image rejects with CROP_OUT_OF_BOUNDS', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg()).crop(300, 200, 100, 100);
  await assert.rejects(engine.toBuffer('png'), (e) => assertCoded(e, ErrorCode.CROP_OUT_OF_BOUNDS, 'user_input'));
});

test('wrong argument types throw TypeError, wrong values RangeError, synchronously', async () => {
  const e = ImageEngine.fromPath(await fixtures.jpeg());
  const typeErrors = [
    () => ImageEngine.fromPath(42),
    () => ImageEngine.from('not a buffer'),
    () => e.resize('100'),
    () => e.resize(),
    () => e.resize({ width: 10, fit: 5 }),
    () => e.crop(0, 0, '10', 10),
    () => e.rotate('90'),
    () => e.brightness(null),
    () => e.autoOrient('yes'),
    () => e.toBuffer(5),
    () => e.toBuffer('jpeg', '80'),
    () => e.toBuffer('jpeg', 80, 'fast'),
    () => e.toFile(undefined, 'png'),
  ];
  for (const f of typeErrors) {
    assert.throws(f, (err) => err instanceof TypeError && assertCoded(err, ErrorCode.INVALID_ARGUMENT, 'user_input'), f.toString());
  }
  const rangeErrors = [
    () => e.resize(0),
    () => e.resize(100.5),
    () => e.resize(100, 100, 'stretch'),
    () => e.resize({ width: 10, kernel: 'bicubic' }),
    () => e.resize(40000),
    () => e.crop(-1, 0, 10, 10),
    () => e.crop(0, 0, 0, 10),
    () => e.rotate(45),
    () => e.brightness(101),
    () => e.contrast(-101),
    () => e.toBuffer('tiff'),
    () => e.toBuffer('jpeg', 0),
    () => e.toBuffer('jpeg', 101),
    () => e.toBuffer('png', { effort: 11 }),
  ];
  for (const f of rangeErrors) {
    assert.throws(f, (err) => err instanceof RangeError && assertCoded(err, ErrorCode.OUT_OF_RANGE, 'user_input'), f.toString());
  }
});

test('unwritable output path rejects and leaves no file behind', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg()).resize(50);
  const dir = tmpPath('out-dir');
  fs.mkdirSync(dir, { recursive: true });
  await assert.rejects(engine.toFile(tmpPath('no/such/dir/out.png'), 'png'), (e) => assertCoded(e, ErrorCode.OUTPUT_WRITE, 'user_input'));
  // The target is a non-empty directory: the temp file is written, the rename fails.
  fs.mkdirSync(`${dir}/taken.png/inner`, { recursive: true });
  await assert.rejects(engine.toFile(`${dir}/taken.png`, 'png'), (e) => assertCoded(e, ErrorCode.OUTPUT_WRITE, 'user_input'));
  assert.deepEqual(fs.readdirSync(dir), ['taken.png']);
});

test('a failed call does not affect the next one', async () => {
  const bad = ImageEngine.from(Buffer.from('garbage!garbage!'));
  await assert.rejects(bad.toBuffer('png'));
  const good = await ImageEngine.fromPath(await fixtures.png()).resize(10).toBuffer('png');
  assert.ok(good.length > 0);
});

test('isLazyImageError: true for coded errors from the core and the JS layer, false otherwise', async () => {
  let thrown;
  try {
    lazy.ImageEngine.fromPath(tmpPath('missing.jpg'));
  } catch (err) {
    thrown = err;
  }
  assert.equal(lazy.isLazyImageError(thrown), true);
  assert.throws(() => lazy.recipe().rotate(45), (e) => e instanceof RangeError && lazy.isLazyImageError(e));
  await assert.rejects(lazy.ImageEngine.from(Buffer.from('garbage!garbage!')).toBuffer('png'), (e) => lazy.isLazyImageError(e));
  for (const other of [new Error('x'), Object.assign(new Error('x'), { code: 'ENOENT' }), { code: 'LAZY_INTERNAL' }, null, undefined, 'LAZY_INTERNAL']) {
    assert.equal(lazy.isLazyImageError(other), false);
  }
});
