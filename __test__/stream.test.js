'use strict';
// The stream API: bytes in through a temporary file, result out through another; temporary
// files gone on success, on error and on destroy; usable from HTTP request to response.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { Readable, Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { createStreamingPipeline, ErrorCode } = require('..');
const { createServer } = require('../examples/stream-server');
const { fixtures, decode, tmpPath, fromRaw, photoRaw } = require('./helpers');

/** A private temporary folder, so leftovers can be counted. */
function stagingDir(name) {
  const dir = tmpPath(`staging-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function leftovers(dir) {
  return fs.readdirSync(dir);
}

async function settle(dir) {
  for (let i = 0; i < 50 && leftovers(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
}

async function collect(readable) {
  const chunks = [];
  for await (const chunk of readable) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('a file streams through and comes out resized; nothing is left behind', async () => {
  const dir = stagingDir('ok');
  const input = await fixtures.jpeg();
  const { writable, readable } = createStreamingPipeline({ format: 'png', ops: [['resize', 100]], tmpDir: dir });
  const [, out] = await Promise.all([pipeline(fs.createReadStream(input, { highWaterMark: 1024 }), writable), collect(readable)]);
  const img = await decode(out);
  assert.deepEqual([img.width, img.height, img.format], [100, 75, 'png']);
  await settle(dir);
  assert.deepEqual(leftovers(dir), []);
});

test('a Duplex form works inside stream.pipeline', async () => {
  const dir = stagingDir('duplex');
  const input = fs.readFileSync(await fixtures.png());
  const chunks = [];
  const sink = new Writable({ write(c, _e, done) { chunks.push(c); done(); } });
  await pipeline(Readable.from([input]), createStreamingPipeline({ format: 'webp', ops: [['rotate', 90]], tmpDir: dir }).toDuplex(), sink);
  const img = await decode(Buffer.concat(chunks));
  assert.deepEqual([img.width, img.height], [240, 320]);
});

test('errors surface on the readable side with the engine codes, and clean up', async () => {
  const dir = stagingDir('errors');
  const bad = createStreamingPipeline({ format: 'png', tmpDir: dir });
  bad.writable.end(Buffer.from('this is not an image'));
  await assert.rejects(collect(bad.readable), { code: ErrorCode.UNSUPPORTED_FORMAT });

  const big = createStreamingPipeline({ format: 'png', maxBytes: 1000, tmpDir: dir });
  big.writable.on('error', () => {});
  big.writable.end(Buffer.alloc(5000));
  await assert.rejects(collect(big.readable), { code: ErrorCode.INPUT_TOO_LARGE });

  const crop = createStreamingPipeline({ format: 'png', ops: [['crop', 0, 0, 5000, 10]], tmpDir: dir });
  crop.writable.end(fs.readFileSync(await fixtures.jpeg()));
  await assert.rejects(collect(crop.readable), { code: ErrorCode.CROP_OUT_OF_BOUNDS });
  await settle(dir);
  assert.deepEqual(leftovers(dir), []);

  assert.throws(() => createStreamingPipeline({ format: 'tiff' }), RangeError);
  assert.throws(() => createStreamingPipeline({ format: 'png', ops: [['unlink', '/']] }), TypeError);
});

test('destroying either side removes the temporary files', async () => {
  const dir = stagingDir('destroy');
  const input = fs.readFileSync(await fixtures.jpeg());
  const early = createStreamingPipeline({ format: 'png', tmpDir: dir });
  early.writable.write(input.subarray(0, 1000));
  early.writable.destroy();
  await assert.rejects(collect(early.readable));

  const late = createStreamingPipeline({ format: 'png', tmpDir: dir });
  late.writable.end(input);
  late.readable.once('data', () => late.readable.destroy());
  await new Promise((r) => late.readable.once('close', r));
  await settle(dir);
  assert.deepEqual(leftovers(dir), []);
});

test('a paused reader holds back the output (backpressure)', async () => {
  const dir = stagingDir('backpressure');
  const raw = photoRaw(1200, 900);
  const input = await fromRaw(raw).png({ compressionLevel: 0 }).toBuffer();
  const { writable, readable } = createStreamingPipeline({ format: 'png', fastMode: true, tmpDir: dir });
  writable.end(input);
  await new Promise((r) => readable.once('readable', r));
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(readable.readableLength <= 4 * readable.readableHighWaterMark + 65536, `buffered ${readable.readableLength}`);
  const out = await collect(readable);
  assert.ok(out.length > 1024 * 1024, 'the output is much larger than what was buffered');
});

test('the example server resizes a real upload over loopback', async () => {
  const dir = stagingDir('http');
  const server = createServer({ tmpDir: dir });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const post = (body) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST' }, (res) => {
        collect(res).then((data) => resolve({ status: res.statusCode, type: res.headers['content-type'], data }), reject);
      });
      req.on('error', reject);
      fs.createReadStream(body).pipe(req);
    });
  try {
    const photo = await fromRaw(photoRaw(1600, 1000)).jpeg().toFile(path.join(dir, '..', 'upload.jpg'));
    assert.ok(photo.size > 0);
    const ok = await post(path.join(dir, '..', 'upload.jpg'));
    assert.equal(ok.status, 200);
    assert.equal(ok.type, 'image/webp');
    const img = await decode(ok.data);
    assert.deepEqual([img.width, img.height, img.format], [800, 500, 'webp']);

    fs.writeFileSync(path.join(dir, '..', 'garbage.bin'), 'garbage');
    const bad = await post(path.join(dir, '..', 'garbage.bin'));
    assert.equal(bad.status, 422);
    assert.equal(JSON.parse(bad.data).code, ErrorCode.UNSUPPORTED_FORMAT);
  } finally {
    server.close();
  }
  await settle(dir);
  assert.deepEqual(leftovers(dir), []);
});
