'use strict';
// Unknown keys in options objects are coded TypeErrors that name the key, list the accepted
// ones and suggest the nearest for a near miss; a Buffer is not an options object.

const test = require('node:test');
const assert = require('node:assert/strict');
const { ImageEngine, recipe, processBatch, createStreamingPipeline, ErrorCode } = require('..');
const { fixtures, tmpPath } = require('./helpers');

/** Asserts `fn` throws a coded TypeError whose message matches every pattern. */
function refused(fn, ...patterns) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof TypeError, `a TypeError, got ${err}`);
    assert.equal(err.code, ErrorCode.INVALID_ARGUMENT);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const outputTakes = /takes quality, fastMode, effort, lossless, background, target/;

test('every method taking an options object refuses an unknown key, naming it and the accepted keys', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg());
  const cases = [
    [() => engine.resize({ width: 10, gravity: 'top' }), "'gravity'", /resize takes width, height, fit, position, background, kernel, withoutEnlargement/],
    [() => recipe().resize({ width: 10, colour: '#fff' }), "'colour'", /resize takes width/],
    [() => engine.keepMetadata({ icc: true, xmp: true }), "'xmp'", /keepMetadata takes icc, exif, stripGps/],
    [() => engine.limits({ maxRam: 1 }), "'maxRam'", /limits takes maxPixels, maxBytes, timeoutMs, maxMemory/],
    [() => engine.sanitize({ policy: 'strict', level: 2 }), "'level'", /sanitize takes policy$/],
    [() => engine.toBuffer('jpeg', { speed: 1 }), "'speed'", /toBuffer takes quality, fastMode, effort, lossless, background, target, palette, colours, colors, dither, loop, delay, chromaSubsampling$/],
    [() => engine.toBuffer('jpeg', { fsync: false }), "'fsync'", outputTakes],
    [() => engine.toBufferWithMetrics('png', { compression: 8 }), "'compression'", /toBufferWithMetrics takes/],
    [() => engine.toFile(tmpPath('o.png'), 'png', { atomic: true }), "'atomic'", /toFile takes quality, fastMode, effort, lossless, background, target, palette, colours, colors, dither, loop, delay, chromaSubsampling, fsync$/],
    [() => engine.processBatch([], tmpPath('b'), { format: 'png', parallel: 2 }), "'parallel'", /processBatch takes format, quality/],
    [() => processBatch([], tmpPath('b'), { format: 'png', outDir: 'x' }), "'outDir'", /processBatch takes recipe, format/],
    [() => createStreamingPipeline({ format: 'png', output: 'x' }), "'output'", /createStreamingPipeline takes format, quality, fastMode, effort, lossless, background, target, palette, colours, colors, dither, loop, delay, chromaSubsampling, recipe, ops, maxBytes, tmpDir$/],
    [() => recipe({ version: 1, steps: [{ op: 'rotate', turns: 1 }] }), "'turns'", /rotate takes degrees/],
  ];
  for (const [fn, key, takes] of cases) refused(fn, new RegExp(`unknown key ${key}`), takes);
});

test('a near miss is suggested; a far one is not', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg());
  refused(() => engine.toBuffer('jpeg', { qualty: 50 }), /^options: unknown key 'qualty'; toBuffer takes quality, fastMode, effort, lossless, background, target, palette, colours, colors, dither, loop, delay, chromaSubsampling; did you mean 'quality'\?$/);
  refused(() => engine.resize({ widht: 10 }), /unknown key 'widht'.*did you mean 'width'\?$/);
  refused(() => engine.keepMetadata({ stripGPS: false }), /did you mean 'stripGps'\?$/);
  refused(() => engine.limits({ maxPixel: 10 }), /did you mean 'maxPixels'\?$/);
  refused(() => createStreamingPipeline({ format: 'png', tmpdir: '/tmp' }), /did you mean 'tmpDir'\?$/);
  refused(() => processBatch([], tmpPath('b'), { fromat: 'png' }), /did you mean 'format'\?$/);
  assert.throws(() => engine.toBuffer('jpeg', { compression: 9 }), (err) => !/did you mean/.test(err.message) && /'compression'/.test(err.message));
});

test('the unknown key is named exactly, even a strange one, and the known ones still pass', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg());
  refused(() => engine.toBuffer('png', { quality: 80, 'bad\nkey': 1 }), /unknown key 'bad\\nkey';/);
  refused(() => engine.limits(JSON.parse('{"__proto__": {"x": 1}}')), /unknown key '__proto__'/);
  const out = await engine.clone().resize({ width: 20, fit: 'cover', kernel: 'nearest', withoutEnlargement: true }).toBuffer('jpeg', { quality: 50, fastMode: true, effort: 1, lossless: false });
  assert.ok(out.length > 0);
});

test('a Buffer is not an options object', async () => {
  const engine = ImageEngine.fromPath(await fixtures.jpeg());
  const someBuffer = Buffer.from('not options');
  refused(() => engine.toBuffer('jpeg', someBuffer), /^options must be an object, got a Buffer of 11 bytes$/);
  refused(() => engine.toFile(tmpPath('b.jpg'), 'jpeg', someBuffer), /must be an object, got a Buffer/);
  refused(() => engine.toBufferWithMetrics('jpeg', new Uint8Array(4)), /must be an object, got a Uint8Array/);
  refused(() => engine.resize(someBuffer), /must be an object, got a Buffer/);
  refused(() => engine.keepMetadata(someBuffer), /must be an object, got a Buffer/);
  refused(() => engine.processBatch([], tmpPath('b'), someBuffer), /must be an object, got a Buffer/);
});
