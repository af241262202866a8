'use strict';
// The input contract at the JS edge: streams stop oversize uploads while staging them, a bad
// tmpDir or input shape is a coded error (never a raw ENOENT or a napi status), and messages
// describe a hostile value in a short printable form instead of echoing it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine, createStreamingPipeline, ErrorCode } = require('..');
const { stagingLimit } = require('../lib/stream');
const { fixtures, tmpPath } = require('./helpers');

const MIB = 1024 * 1024;

/** Asserts that `err` is a lazy-image error with `code`, and returns it. */
function coded(err, code) {
  assert.equal(err.code, code, err.message);
  assert.equal(typeof err.errorCode, 'number', 'errorCode');
  assert.equal(typeof err.category, 'string', 'category');
  return err;
}

/** The error thrown by `fn`, checked to be coded with `code` and of class `Ctor`. */
function thrown(fn, code, Ctor = Error) {
  let err;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'it throws');
  assert.ok(err instanceof Ctor, `${err.name}: ${err.message}`);
  return coded(err, code);
}

/** A message is short and holds no control character. */
function printable(message) {
  assert.ok(message.length < 400, `message of ${message.length} characters`);
  assert.doesNotMatch(message, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202e]/);
}

function stagingDir(name) {
  const dir = tmpPath(`contract-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Bytes in the staging file under `dir`, 0 while there is none. */
function stagedBytes(dir) {
  let total = 0;
  for (const sub of fs.readdirSync(dir)) {
    try {
      total += fs.statSync(path.join(dir, sub, 'input')).size;
    } catch {
      // not created yet, or already removed
    }
  }
  return total;
}

async function settle(dir) {
  for (let i = 0; i < 100 && fs.readdirSync(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
}

/** Resolves once `writable` drains or is gone. */
function drained(writable) {
  return new Promise((resolve) => {
    const done = () => {
      writable.off('drain', done);
      writable.off('close', done);
      resolve();
    };
    writable.on('drain', done);
    writable.on('close', done);
  });
}

/**
 * Writes `total` zero bytes in `chunk`-sized writes, honouring backpressure and stopping
 * once the stream fails. Resolves to `{ written, peakStaged }`: bytes handed to `writable`
 * and the largest staging file seen along the way.
 */
async function feedZeros(writable, dir, total, chunk) {
  const block = Buffer.alloc(chunk);
  let failed = false;
  writable.on('error', () => (failed = true));
  let written = 0;
  let peakStaged = 0;
  while (written < total && !failed && !writable.destroyed) {
    const more = writable.write(block);
    written += chunk;
    if (!more) await drained(writable);
    peakStaged = Math.max(peakStaged, stagedBytes(dir));
  }
  if (!failed && !writable.destroyed) writable.end();
  return { written, peakStaged };
}

async function collect(readable) {
  const chunks = [];
  for await (const c of readable) chunks.push(c);
  return Buffer.concat(chunks);
}

test('a strict sanitize stream refuses a 40 MiB upload while staging it, then removes the staging folder', async () => {
  const dir = stagingDir('strict');
  const chunk = MIB;
  const { writable, readable } = createStreamingPipeline({ format: 'png', ops: [['sanitize', { policy: 'strict' }]], tmpDir: dir });
  const refused = assert.rejects(collect(readable), (err) => {
    coded(err, ErrorCode.INPUT_TOO_LARGE);
    assert.equal(err.category, 'resource_limit');
    assert.match(err.message, /33554432 bytes/);
    assert.match(err.message, /'strict' sanitize policy \(ops\[0\]\)/);
    assert.match(err.message, /maxBytes/);
    return true;
  });
  const { written, peakStaged } = await feedZeros(writable, dir, 40 * MIB, chunk);
  await refused;
  assert.ok(peakStaged <= 32 * MIB + chunk, `staged ${peakStaged} bytes`);
  assert.ok(written < 40 * MIB, 'the refusal came before the whole upload was written');
  assert.ok(written <= 32 * MIB + 3 * chunk, `${written} bytes were accepted before the refusal`);
  await settle(dir);
  assert.deepEqual(fs.readdirSync(dir), [], 'the staging folder is gone');
});

test('an explicit maxBytes sets the staging limit, ahead of the ops', async () => {
  const dir = stagingDir('explicit');
  const { writable, readable } = createStreamingPipeline({
    format: 'png',
    ops: [['sanitize', { policy: 'lenient' }]],
    maxBytes: 100000,
    tmpDir: dir,
  });
  const refused = assert.rejects(collect(readable), (err) => {
    coded(err, ErrorCode.INPUT_TOO_LARGE);
    assert.match(err.message, /100000 bytes/);
    assert.match(err.message, /the maxBytes option/);
    return true;
  });
  const { written, peakStaged } = await feedZeros(writable, dir, 4 * MIB, 16384);
  await refused;
  assert.ok(peakStaged <= 100000, `staged ${peakStaged} bytes`);
  assert.ok(written < 4 * MIB);
  await settle(dir);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('stagingLimit: maxBytes, else the last sanitize policy or limits op, else 256 MiB', () => {
  const strict = ['sanitize', { policy: 'strict' }];
  const lenient = ['sanitize', { policy: 'lenient' }];
  const bytes = (options, ops) => stagingLimit(options, ops).bytes;
  assert.equal(bytes({}, []), 268435456);
  assert.equal(bytes(undefined, undefined), 268435456);
  assert.equal(stagingLimit({}, []).from, 'default');
  assert.equal(bytes({}, [['resize', 100], strict]), 33554432);
  assert.equal(bytes({}, [lenient]), 50331648);
  assert.equal(bytes({}, [strict, lenient]), 50331648, 'the later policy wins');
  assert.equal(bytes({}, [strict, ['limits', { maxBytes: 1000 }]]), 1000, 'a later limits op overrides the policy');
  assert.equal(bytes({}, [['limits', { maxBytes: 1000 }], strict]), 33554432, 'a later policy overrides the limits op');
  assert.equal(bytes({}, [strict, ['limits', { maxPixels: 10 }]]), 33554432, 'a limits op without maxBytes keeps it');
  assert.equal(bytes({}, [strict, ['limits', { maxBytes: 0 }]]), 268435456, 'ops that lift the byte limit leave the default cap');
  assert.equal(bytes({ maxBytes: 5 }, [strict]), 5);
  assert.equal(bytes({ maxBytes: 0 }, [strict]), 0, 'maxBytes 0 lifts the staging limit');
  assert.equal(bytes({ maxBytes: null }, [lenient]), 50331648);
  thrown(() => stagingLimit({}, [['sanitize', { policy: 'paranoid' }]]), ErrorCode.OUT_OF_RANGE, RangeError);
  thrown(() => stagingLimit({}, [['limits', { maxBytes: -1 }]]), ErrorCode.OUT_OF_RANGE, RangeError);
  thrown(() => stagingLimit({ maxBytes: '1' }, []), ErrorCode.INVALID_ARGUMENT, TypeError);
  // Bad op arguments are refused when the pipeline is made, before any byte is staged.
  thrown(() => createStreamingPipeline({ format: 'png', ops: [['sanitize', 'strict']] }), ErrorCode.INVALID_ARGUMENT, TypeError);
});

test('a tmpDir that is not an existing writable folder is LAZY_OUTPUT_WRITE, named shortly', () => {
  const missing = thrown(() => createStreamingPipeline({ format: 'png', tmpDir: '/nonexistent' }), ErrorCode.OUTPUT_WRITE);
  assert.match(missing.message, /tmpDir '\/nonexistent'/);
  assert.match(missing.message, /must be an existing writable folder/);
  const file = path.join(stagingDir('tmpdir-file'), 'plain-file');
  fs.writeFileSync(file, 'x');
  const notDir = thrown(() => createStreamingPipeline({ format: 'png', tmpDir: file }), ErrorCode.OUTPUT_WRITE);
  assert.match(notDir.message, /must be an existing writable folder/);
  const long = `/nonexistent/${'d'.repeat(65536)}`;
  const tooLong = thrown(() => createStreamingPipeline({ format: 'png', tmpDir: long }), ErrorCode.OUTPUT_WRITE);
  printable(tooLong.message);
  assert.match(tooLong.message, new RegExp(`…' \\(${long.length} characters\\)`));
});

test('ImageEngine.from refuses a Proxy with a coded TypeError', async () => {
  const buf = fs.readFileSync(await fixtures.jpeg());
  const err = thrown(() => ImageEngine.from(new Proxy(buf, {})), ErrorCode.INVALID_ARGUMENT, TypeError);
  assert.match(err.message, /Buffer itself/);
  thrown(() => ImageEngine.from(new Proxy(new Uint8Array(buf), {})), ErrorCode.INVALID_ARGUMENT, TypeError);
  thrown(() => ImageEngine.from(new Proxy(buf.buffer, {})), ErrorCode.INVALID_ARGUMENT, TypeError);
});

test('ImageEngine.from takes a SharedArrayBuffer and views over one', async () => {
  const buf = fs.readFileSync(await fixtures.jpeg());
  const shared = new SharedArrayBuffer(buf.length + 16);
  new Uint8Array(shared).set(buf, 16);
  const whole = new SharedArrayBuffer(buf.length);
  new Uint8Array(whole).set(buf);
  for (const input of [whole, new Uint8Array(shared, 16), Buffer.from(shared, 16)]) {
    assert.deepEqual(ImageEngine.from(input).dimensions(), { width: 320, height: 240 });
  }
  const out = await ImageEngine.from(new Uint8Array(shared, 16)).resize(32).toBuffer('png');
  assert.deepEqual([...out.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
});

test('a view whose own properties lie is read through its real bounds', async () => {
  const buf = fs.readFileSync(await fixtures.jpeg());
  const padded = new Uint8Array(buf.length + 8);
  padded.set(buf, 8);
  const view = padded.subarray(8);
  Object.defineProperty(view, 'byteOffset', { value: 0 });
  Object.defineProperty(view, 'byteLength', { value: 10 ** 9 });
  assert.deepEqual(ImageEngine.from(view).dimensions(), { width: 320, height: 240 });
});

test('typed arrays other than Uint8Array and other values are coded TypeErrors', () => {
  for (const [input, named] of [
    [new Float32Array(16), /a Float32Array of 64 bytes/],
    [new Uint16Array(4), /a Uint16Array of 8 bytes/],
    [new DataView(new ArrayBuffer(8)), /a DataView of 8 bytes/],
    ['not bytes', /the string 'not bytes'/],
    [null, /got null/],
    [{ length: 3 }, /an object/],
  ]) {
    const err = thrown(() => ImageEngine.from(input), ErrorCode.INVALID_ARGUMENT, TypeError);
    assert.match(err.message, /Buffer, Uint8Array, ArrayBuffer or SharedArrayBuffer/);
    assert.match(err.message, named);
  }
});

test('processBatch checks every index of inputs, holes included', async () => {
  const engine = ImageEngine.from(fs.readFileSync(await fixtures.jpeg()));
  const out = stagingDir('batch-holes');
  const first = thrown(() => engine.processBatch([, 'a.jpg'], out, { format: 'png' }), ErrorCode.INVALID_ARGUMENT, TypeError);
  assert.match(first.message, /inputs\[0\]/);
  const middle = thrown(() => engine.processBatch(['a.jpg', , 'b.jpg'], out, { format: 'png' }), ErrorCode.INVALID_ARGUMENT, TypeError);
  assert.match(middle.message, /inputs\[1\]/);
  const trailing = ['a.jpg'];
  trailing.length = 2;
  assert.match(thrown(() => engine.processBatch(trailing, out, 'png'), ErrorCode.INVALID_ARGUMENT, TypeError).message, /inputs\[1\]/);
  assert.match(thrown(() => engine.processBatch('a.jpg', out, 'png'), ErrorCode.INVALID_ARGUMENT, TypeError).message, /the string 'a\.jpg'/);
  assert.deepEqual(fs.readdirSync(out), [], 'nothing was written');
});

test('messages show a Buffer by its size and a long or unprintable string cut and escaped', async () => {
  const asPath = thrown(() => ImageEngine.fromPath(Buffer.alloc(263649, 0x41)), ErrorCode.INVALID_ARGUMENT, TypeError);
  assert.match(asPath.message, /got a Buffer of 263649 bytes/);
  assert.doesNotMatch(asPath.message, /AAAA/);
  printable(asPath.message);

  const engine = ImageEngine.from(fs.readFileSync(await fixtures.jpeg()));
  const long = thrown(() => engine.toBuffer('a'.repeat(65536)), ErrorCode.OUT_OF_RANGE, RangeError);
  printable(long.message);
  assert.match(long.message, /got 'a{60,90}…' \(65536 characters\)$/);

  const control = thrown(() => engine.toBuffer('png\u0000\n\u001b[31m\u202e'), ErrorCode.OUT_OF_RANGE, RangeError);
  printable(control.message);
  assert.ok(control.message.includes("'png\\u0000\\n\\u001b[31m\\u202e'"), control.message);

  // A short string is shown whole, as before.
  assert.match(thrown(() => engine.toBuffer('tiff'), ErrorCode.OUT_OF_RANGE, RangeError).message, /got 'tiff'$/);
  assert.match(thrown(() => engine.rotate('90'), ErrorCode.INVALID_ARGUMENT, TypeError).message, /got the string '90'$/);
});

test('objects are described by their class, without running their code', async () => {
  const engine = ImageEngine.from(fs.readFileSync(await fixtures.jpeg()));
  class Evil {
    toString() {
      throw new Error('toString ran');
    }
  }
  assert.match(thrown(() => engine.rotate(new Evil()), ErrorCode.INVALID_ARGUMENT, TypeError).message, /got an Evil object$/);
  assert.match(thrown(() => engine.rotate(new Map()), ErrorCode.INVALID_ARGUMENT, TypeError).message, /got a Map object$/);
  assert.match(thrown(() => engine.rotate({}), ErrorCode.INVALID_ARGUMENT, TypeError).message, /got an object$/);
  assert.match(thrown(() => engine.rotate([1]), ErrorCode.INVALID_ARGUMENT, TypeError).message, /got an array$/);
  const trap = () => {
    throw new Error('trap ran');
  };
  const hostile = new Proxy({}, { get: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap, ownKeys: trap });
  assert.match(thrown(() => engine.rotate(hostile), ErrorCode.INVALID_ARGUMENT, TypeError).message, /got a Proxy$/);
  assert.match(thrown(() => ImageEngine.fromPath(new URL('http://example.com/a.jpg')), ErrorCode.INVALID_ARGUMENT, TypeError).message, /file: URL/);
});
