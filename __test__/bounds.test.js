'use strict';
// Resource bounds under hostile inputs and load, second round: memory pulled from under
// `from()`, a path swapped for a FIFO, abandoned work, header bombs, the per-job memory
// estimate, the job queue beside libuv's pool, and outputs that would replace their input.
// Cases that could crash or hang run in a child process with a time bound.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');
const lazy = require('..');
const { sharp, fixtures, fromRaw, photoRaw, pngFrom, tmpPath, decode } = require('./helpers');
const { animatedWebp } = require('./webp-container');

const { ImageEngine, ErrorCode: C } = lazy;
const ROOT = path.join(__dirname, '..');

/** Runs `script` in a fresh Node with --expose-gc; resolves to { code, signal, stdout, stderr }. */
function child(script, env = {}, timeout = 30_000) {
  return new Promise((resolve) => {
    const opts = { timeout, env: { ...process.env, LAZY_ROOT: ROOT, ...env }, maxBuffer: 1 << 20 };
    execFile(process.execPath, ['--expose-gc', '-e', script], opts, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, signal: err ? err.signal : null, stdout: stdout.trim(), stderr }),
    );
  });
}

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (err) => {
    assert.equal(err.code, code, err.message);
    assert.equal(typeof err.errorCode, 'number');
    assert.ok(err.category);
    return true;
  });
}

test('memory detached, transferred or shrunk under from() is never read: the engine keeps its own copy', async () => {
  const jpeg = await fixtures.jpeg();
  const script = `
    const { ImageEngine } = require(process.env.LAZY_ROOT);
    const bytes = require('fs').readFileSync(process.env.JPEG);
    const fresh = () => { const ab = new ArrayBuffer(bytes.length); new Uint8Array(ab).set(bytes); return ab; };
    (async () => {
      const seen = [];
      for (const wrap of [(ab) => ab, (ab) => new Uint8Array(ab), (ab) => Buffer.from(ab)]) {
        const ab = fresh();
        const engine = ImageEngine.from(wrap(ab));
        structuredClone(ab, { transfer: [ab] });
        gc();
        seen.push(engine.dimensions());
      }
      const resizable = new ArrayBuffer(bytes.length, { maxByteLength: bytes.length });
      new Uint8Array(resizable).set(bytes);
      const shrunk = ImageEngine.from(resizable);
      resizable.resize(0);
      seen.push(shrunk.dimensions());
      const ab = fresh();
      const busy = ImageEngine.from(new Uint8Array(ab));
      const jobs = Array.from({ length: 6 }, () => busy.toBuffer('png'));
      structuredClone(ab, { transfer: [ab] });
      gc();
      const outs = await Promise.all(jobs);
      console.log(JSON.stringify({ seen, outs: outs.map((o) => o.toString('base64')) }));
    })();`;
  const r = await child(script, { JPEG: jpeg });
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const { seen, outs } = JSON.parse(r.stdout);
  assert.deepEqual(seen, Array(4).fill({ width: 320, height: 240 }));
  const expected = await decode(fs.readFileSync(jpeg));
  for (const out of outs) {
    const got = await decode(Buffer.from(out, 'base64'));
    assert.equal(got.data.compare(expected.data), 0, 'every job decoded the original bytes (PNG is lossless)');
  }
});

test('a path swapped for a FIFO while fromPath runs never blocks the JS thread', async () => {
  const dir = fs.mkdtempSync(tmpPath('swap-'));
  fs.copyFileSync(await fixtures.jpeg(), path.join(dir, 'img.jpg'));
  execFileSync('mkfifo', [path.join(dir, 'pipe')]);
  const script = `
    const { ImageEngine } = require(process.env.LAZY_ROOT);
    const { spawn } = require('child_process');
    const dir = process.env.DIR;
    // Swaps a regular file and a FIFO under one name as fast as the kernel renames.
    // It ends with its parent, even if the parent is killed for hanging.
    const swap = "const fs = require('fs'); const parent = process.ppid; process.chdir(process.argv[1]); " +
      "for (let i = 0; ; i++) { fs.linkSync('img.jpg', 'a'); fs.renameSync('a', 'target'); fs.linkSync('pipe', 'b'); fs.renameSync('b', 'target'); " +
      "if (i % 1000 === 0 && process.ppid !== parent) process.exit(); }";
    const swapper = spawn(process.execPath, ['-e', swap, dir]);
    setTimeout(() => {
      const codes = {};
      for (let i = 0; i < 20000; i++) {
        try { ImageEngine.fromPath(dir + '/target'); codes.ok = (codes.ok || 0) + 1; }
        catch (e) { codes[e.code] = (codes[e.code] || 0) + 1; }
      }
      swapper.kill();
      console.log(JSON.stringify(codes));
    }, 100);`;
  const r = await child(script, { DIR: dir }, 20_000);
  assert.equal(r.signal, null, `the child hung (killed by ${r.signal})`);
  const codes = JSON.parse(r.stdout);
  assert.ok(codes[C.NOT_A_FILE] > 0 && codes.ok > 0, `both kinds were met: ${r.stdout}`);
  assert.deepEqual(Object.keys(codes).filter((c) => !['ok', C.NOT_A_FILE, C.FILE_NOT_FOUND].includes(c)), []);
});

test('a timed-out job answers at its deadline, keeps its slot until its encode really ends, and threads do not pile up', async () => {
  const before = lazy.concurrency();
  const png = tmpPath('abandon.png');
  await fromRaw(photoRaw(900, 700)).png().toFile(png);
  const threads = () => Number(fs.readFileSync('/proc/self/status', 'utf8').match(/Threads:\s+(\d+)/)[1]);
  try {
    lazy.concurrency(1);
    const started = Date.now();
    // libaom cannot be interrupted: effort 10 on 0.6 MP takes seconds.
    const slow = ImageEngine.fromPath(png).limits({ timeoutMs: 200 }).toBuffer('avif', { effort: 10 });
    await rejectsWith(slow, C.TIMEOUT);
    assert.ok(Date.now() - started < 2000, `answered at ${Date.now() - started} ms`);
    const c = lazy.counters();
    assert.equal(c.running, 1, 'the abandoned encode still holds the only slot');
    assert.equal(c.abandoned, 1);
    const next = await ImageEngine.fromPath(png).resize(100).toBufferWithMetrics('jpeg');
    assert.ok(next.metrics.queueMs > 300, `the next job waited for it: ${next.metrics.queueMs} ms`);
    assert.equal(lazy.counters().abandoned, 0);

    const base = threads();
    for (let i = 0; i < 8; i++) {
      await rejectsWith(ImageEngine.fromPath(png).limits({ timeoutMs: 50 }).toBuffer('avif', { effort: 10 }), C.TIMEOUT);
    }
    assert.ok(lazy.counters().queued + lazy.counters().running <= 8);
    while (lazy.counters().running + lazy.counters().queued > 0) await new Promise((r) => setTimeout(r, 50));
    assert.ok(threads() <= base + 1, `threads once idle: ${base} → ${threads()}`);
  } finally {
    lazy.concurrency(before);
  }
});

test('image jobs run on their own threads: a burst of encodes does not starve fs calls on the libuv pool', async () => {
  const png = tmpPath('burst.png');
  await fromRaw(photoRaw(700, 500)).png().toFile(png);
  const jobs = Array.from({ length: 8 }, () => ImageEngine.fromPath(png).toBuffer('avif'));
  await new Promise((r) => setTimeout(r, 50));
  const started = process.hrtime.bigint();
  await fs.promises.stat(png);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await Promise.all(jobs);
  assert.ok(ms < 250, `fs.promises.stat waited ${ms.toFixed(0)} ms behind image work`);
});

/** Offset of the first box of type `kind` in an ISO-BMFF file (a plain search). */
function boxAt(bytes, kind) {
  const at = bytes.indexOf(Buffer.from(kind, 'latin1'));
  assert.ok(at > 0, `${kind} box found`);
  return at + 4;
}

test('an AV1 frame larger than the ispe the limits passed is refused before it is allocated', async () => {
  // A flat 6000x6000 frame (36 MP: 54 MB of YUV) compresses to a few kB.
  const big = tmpPath('flat-6000.avif');
  if (!fs.existsSync(big)) {
    await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#3a6' } }).avif({ effort: 0 }).toFile(big);
  }
  const bomb = Buffer.from(fs.readFileSync(big));
  const ispe = boxAt(bomb, 'ispe') + 4;
  bomb.writeUInt32BE(64, ispe);
  bomb.writeUInt32BE(64, ispe + 4);
  assert.deepEqual([lazy.inspect(bomb).width, lazy.inspect(bomb).height], [64, 64]);
  const file = tmpPath('ispe-bomb.avif');
  fs.writeFileSync(file, bomb);
  const script = `
    const { ImageEngine } = require(process.env.LAZY_ROOT);
    const hwm = () => Number(require('fs').readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\\s+(\\d+) kB/)[1]) * 1024;
    const before = hwm();
    ImageEngine.fromPath(process.env.FILE).sanitize({ policy: 'strict' }).toBuffer('png').then(
      () => console.log(JSON.stringify({ code: 'resolved', grew: hwm() - before })),
      (e) => console.log(JSON.stringify({ code: e.code, grew: hwm() - before })));`;
  const r = await child(script, { FILE: file });
  assert.equal(r.code, 0, r.stderr);
  const { code, grew } = JSON.parse(r.stdout);
  assert.equal(code, C.CORRUPT_INPUT);
  assert.ok(grew < 30e6, `peak RSS grew by ${(grew / 1e6).toFixed(0)} MB: the frame was decoded`);
});

test('an AVIF listing more items than the cap is refused before libavif parses them', async () => {
  const avif = Buffer.from(await fs.promises.readFile(await fixtures.avif()));
  const iinf = boxAt(avif, 'iinf');
  const version = avif[iinf];
  if (version === 0) avif.writeUInt16BE(0xffff, iinf + 4);
  else avif.writeUInt32BE(100_000, iinf + 4);
  const started = Date.now();
  assert.throws(() => lazy.inspect(avif), (err) => err.code === C.LIMIT_EXCEEDED && /items/.test(err.message));
  assert.throws(() => ImageEngine.from(avif).dimensions(), (err) => err.code === C.LIMIT_EXCEEDED);
  assert.ok(Date.now() - started < 200);
});

test('a PNG flooded with text chunks is refused from its header, before the chunks are kept', async () => {
  const { data, info } = photoRaw(16, 16);
  const png = await sharp(data, { raw: info }).png().toBuffer();
  const ihdrEnd = 8 + 25;
  const text = pngFrom([{ type: 'tEXt', data: Buffer.from('Comment\0x') }]).subarray(8);
  const flood = Buffer.concat([png.subarray(0, ihdrEnd), ...Array(5000).fill(text), png.subarray(ihdrEnd)]);
  assert.throws(() => lazy.inspect(flood), (err) => err.code === C.LIMIT_EXCEEDED && /chunks/.test(err.message));
  const few = Buffer.concat([png.subarray(0, ihdrEnd), ...Array(10).fill(text), png.subarray(ihdrEnd)]);
  const { metrics } = await ImageEngine.from(few).toBufferWithMetrics('png');
  assert.equal(metrics.metadataStripped, true, 'text is noticed, and not carried');
});

test('the memory estimate counts what a decoder holds whatever the target, and maxMemory refuses before decoding', async () => {
  const interlaced = tmpPath('grey16a-interlaced.png');
  await sharp(photoRaw(1200, 1000, 4).data, { raw: { width: 1200, height: 1000, channels: 4 } })
    .toColourspace('grey16').png({ progressive: true }).toFile(interlaced);
  const progressive = tmpPath('progressive-444.jpg');
  await fromRaw(photoRaw(1200, 1000)).jpeg({ progressive: true, chromaSubsampling: '4:4:4' }).toFile(progressive);
  for (const [file, held] of [[interlaced, 1200 * 1000 * 4], [progressive, 1200 * 1000 * 3 * 2]]) {
    const { metrics } = await ImageEngine.fromPath(file).resize(100).toBufferWithMetrics('jpeg');
    assert.ok(metrics.memoryEstimate >= held, `${path.basename(file)}: ${metrics.memoryEstimate} < ${held}`);
    const refused = ImageEngine.fromPath(file).limits({ maxMemory: metrics.memoryEstimate - 1 }).resize(100).toBuffer('jpeg');
    await assert.rejects(refused, (err) => err.code === C.LIMIT_EXCEEDED && /needs about \d+ MB/.test(err.message) && /maxMemory/.test(err.message));
  }
});

test('an animated WebP with a huge canvas is refused by its memory estimate, not allocated', async () => {
  const tiny = await sharp({ create: { width: 1, height: 1, channels: 4, background: '#f00' } }).webp({ lossless: true }).toBuffer();
  const webp = animatedWebp(tiny, 8000, 8000);
  assert.deepEqual([lazy.inspect(webp).width, lazy.inspect(webp).height], [8000, 8000]);
  const refused = ImageEngine.from(webp).limits({ maxMemory: 512e6 }).resize(64).toBuffer('png');
  await assert.rejects(refused, (err) => err.code === C.LIMIT_EXCEEDED && /needs about (\d+) MB/.exec(err.message)[1] > 512);
});

test('outputs never replace their own input, keep the target mode, and stale temporaries can be swept', async () => {
  const dir = fs.mkdtempSync(tmpPath('own-'));
  const src = path.join(dir, 'a.jpg');
  fs.copyFileSync(await fixtures.jpeg(), src);
  const original = fs.readFileSync(src);
  await rejectsWith(ImageEngine.fromPath(src).resize(64).toFile(src, 'jpeg'), C.OUTPUT_IS_INPUT);
  await rejectsWith(ImageEngine.fromPath(src).toFile(path.join(dir, '.', 'a.jpg'), 'jpeg'), C.OUTPUT_IS_INPUT);
  const png = path.join(dir, 'p.png');
  fs.copyFileSync(await fixtures.png(), png);
  const [entry] = await ImageEngine.fromPath(src).processBatch([png], dir, { format: 'png' });
  assert.equal(entry.code, C.OUTPUT_IS_INPUT, 'a batch writing into its input folder');
  assert.equal(fs.readFileSync(src).compare(original), 0, 'the input is untouched');

  const target = path.join(dir, 'shared.webp');
  fs.writeFileSync(target, 'old');
  fs.chmodSync(target, 0o444);
  await ImageEngine.fromPath(src).toFile(target, 'webp');
  assert.equal(fs.statSync(target).mode & 0o777, 0o444);
  assert.equal((await sharp(target).metadata()).format, 'webp');

  const dead = path.join(dir, `.b.jpg.${4194304 + 99}.0.lazy-image.tmp`);
  const mine = path.join(dir, `.c.jpg.${process.pid}.0.lazy-image.tmp`);
  fs.writeFileSync(dead, 'x');
  fs.writeFileSync(mine, 'x');
  assert.equal(lazy.sweepTempFiles(dir), 1);
  assert.ok(!fs.existsSync(dead) && fs.existsSync(mine) && fs.existsSync(src));
});
