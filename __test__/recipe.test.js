'use strict';
// Recipes: operations without a source, as JSON. Round trip, checks with the methods' own
// messages, engine.apply, the top-level processBatch (a bad first input fails only its own
// entry), streams with a recipe, and the check that every operation is described once in
// lib/operations.js and appears in index.d.ts and docs/API.md.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const lazy = require('..');
const native = require('../native.js');
const operations = require('../lib/operations');
const { stagingLimit } = require('../lib/stream');
const { fixtures, decode, tmpPath } = require('./helpers');

const { ImageEngine, recipe, processBatch, createStreamingPipeline, ErrorCode } = lazy;
const ROOT = path.join(__dirname, '..');

/** The error `f` throws (it must throw). */
function thrown(f) {
  try {
    f();
  } catch (err) {
    return err;
  }
  assert.fail(`${f} did not throw`);
}

/** Asserts a coded argument error of class `Ctor` whose message matches `pattern`. */
function argumentError(err, Ctor, pattern) {
  assert.ok(err instanceof Ctor, `${err.name}: ${err.message}`);
  assert.equal(err.code, Ctor === TypeError ? ErrorCode.INVALID_ARGUMENT : ErrorCode.OUT_OF_RANGE);
  assert.equal(err.category, 'user_input');
  assert.equal(typeof err.errorCode, 'number');
  if (pattern) assert.match(err.message, pattern);
  return err;
}

/** Every operation called once with the example arguments of its table entry, on `target`. */
function withExamples(target) {
  for (const op of operations.OPERATIONS) target[op.name](...op.example);
  return target;
}

/** A recipe calling every operation once, by hand (its JSON is written out below). */
function everyOperation() {
  return recipe()
    .autoOrient(false)
    .sanitize({ policy: 'lenient' })
    .limits({ maxPixels: 50_000_000, timeoutMs: 20_000 })
    .resize(200, null, 'inside')
    .crop(10, 5, 150, 100)
    .rotate(-90)
    .flipH()
    .flipV()
    .grayscale()
    .brightness(10.4)
    .contrast(-20)
    .keepMetadata({ icc: true });
}

test('toJSON gives plain versioned JSON; recipe(json) and recipe(text) rebuild the same recipe', () => {
  const r = everyOperation();
  const json = r.toJSON();
  assert.deepEqual(json, {
    version: 1,
    steps: [
      { op: 'autoOrient', enabled: false },
      { op: 'sanitize', policy: 'lenient' },
      { op: 'limits', maxPixels: 50_000_000, timeoutMs: 20_000 },
      { op: 'resize', width: 200, fit: 'inside', kernel: 'lanczos3', withoutEnlargement: false },
      { op: 'crop', x: 10, y: 5, width: 150, height: 100 },
      { op: 'rotate', degrees: 270 },
      { op: 'flipH' },
      { op: 'flipV' },
      { op: 'grayscale' },
      { op: 'brightness', value: 10 },
      { op: 'contrast', value: -20 },
      { op: 'keepMetadata', icc: true, exif: false, stripGps: true },
    ],
  });
  const text = JSON.stringify(r);
  assert.equal(text, JSON.stringify(json));
  assert.deepEqual(JSON.parse(text), json, 'nothing but plain values');
  assert.deepEqual(recipe(text).toJSON(), json);
  assert.deepEqual(recipe(json).toJSON(), json);
  assert.deepEqual(recipe(JSON.parse(text)).toJSON(), json);
  assert.equal(JSON.stringify(recipe(recipe(text))), text, 'a recipe copies another');
  assert.deepEqual(recipe().toJSON(), { version: 1, steps: [] });
  // Mutating what toJSON returned, or the JSON read, leaves the recipe as it was.
  json.steps[0].enabled = true;
  assert.equal(r.toJSON().steps[0].enabled, false);
  // The two resize forms give one step shape.
  assert.deepEqual(recipe().resize(100, 50, 'cover').toJSON(), recipe().resize({ width: 100, height: 50, fit: 'cover' }).toJSON());
});

test('every operation of the table, through a recipe, its JSON and apply: the same bytes as the engine methods', async () => {
  const input = await fixtures.jpeg();
  const r = withExamples(recipe());
  const json = r.toJSON();
  assert.deepEqual(json.steps.map((step) => step.op), operations.OPERATION_NAMES);
  assert.deepEqual(recipe(JSON.stringify(json)).toJSON(), json);
  const direct = await withExamples(ImageEngine.fromPath(input)).toBuffer('png');
  const applied = await ImageEngine.fromPath(input).apply(JSON.stringify(json)).toBuffer('png');
  assert.ok(direct.equals(applied));
  const img = await decode(applied);
  // 320×240, resized to 200 wide (200×150), cropped to 150×100, turned a quarter: 100×150.
  assert.deepEqual([img.width, img.height, img.format], [100, 150, 'png']);
});

test('a recipe JSON entry is checked with the method message, prefixed by its step', () => {
  // [method call on a recipe, the same values as a JSON step]
  const cases = [
    [(r) => r.rotate(45), { op: 'rotate', degrees: 45 }],
    [(r) => r.rotate('90'), { op: 'rotate', degrees: '90' }],
    [(r) => r.rotate(), { op: 'rotate' }],
    [(r) => r.resize(), { op: 'resize' }],
    [(r) => r.resize(0), { op: 'resize', width: 0 }],
    [(r) => r.resize(100.5), { op: 'resize', width: 100.5 }],
    [(r) => r.resize(null, 40000), { op: 'resize', height: 40000 }],
    [(r) => r.resize(100, 100, 'stretch'), { op: 'resize', width: 100, height: 100, fit: 'stretch' }],
    [(r) => r.resize({ width: 10, kernel: 'bicubic' }), { op: 'resize', width: 10, kernel: 'bicubic' }],
    [(r) => r.resize({ width: 10, withoutEnlargement: 'yes' }), { op: 'resize', width: 10, withoutEnlargement: 'yes' }],
    [(r) => r.crop(-1, 0, 10, 10), { op: 'crop', x: -1, y: 0, width: 10, height: 10 }],
    [(r) => r.crop(0, 0, 10), { op: 'crop', x: 0, y: 0, width: 10 }],
    [(r) => r.brightness(101), { op: 'brightness', value: 101 }],
    [(r) => r.brightness(null), { op: 'brightness', value: null }],
    [(r) => r.contrast(-101), { op: 'contrast', value: -101 }],
    [(r) => r.autoOrient('yes'), { op: 'autoOrient', enabled: 'yes' }],
    [(r) => r.keepMetadata({ icc: 'yes' }), { op: 'keepMetadata', icc: 'yes' }],
    [(r) => r.limits({ maxPixels: -1 }), { op: 'limits', maxPixels: -1 }],
    [(r) => r.limits({ timeoutMs: 1.5 }), { op: 'limits', timeoutMs: 1.5 }],
    [(r) => r.sanitize({ policy: 'loose' }), { op: 'sanitize', policy: 'loose' }],
    [(r) => r.sanitize({}), { op: 'sanitize' }],
  ];
  for (const [call, step] of cases) {
    const fromMethod = thrown(() => call(recipe()));
    const fromJSON = thrown(() => recipe({ version: 1, steps: [{ op: 'flipH' }, step] }));
    assert.equal(fromJSON.constructor, fromMethod.constructor, JSON.stringify(step));
    argumentError(fromJSON, fromMethod.constructor);
    assert.equal(fromJSON.code, fromMethod.code);
    assert.equal(fromJSON.message, `steps[1] (${step.op}): ${fromMethod.message}`);
    // The recipe method and the engine method say the same thing.
    const engine = ImageEngine.from(fs.readFileSync(path.join(ROOT, 'examples', 'sample.jpg')));
    assert.equal(thrown(() => call(engine)).message, fromMethod.message);
  }
  // Known messages from the existing methods, unchanged.
  argumentError(thrown(() => recipe().rotate(45)), RangeError, /^degrees must be a multiple of 90, got 45$/);
  argumentError(thrown(() => recipe().resize()), TypeError, /^resize needs a width, a height or both$/);
});

test('unknown ops, unknown keys, a wrong version or shape are coded errors that name the step', () => {
  const steps = (...s) => ({ version: 1, steps: [{ op: 'grayscale' }, ...s] });
  argumentError(thrown(() => recipe(steps({ op: 'unlink', path: '/' }))), RangeError, /^steps\[1\]: op must be one of resize, crop, .*; got 'unlink'$/);
  argumentError(thrown(() => recipe(steps({ op: 'constructor' }))), RangeError, /^steps\[1\]: op must be one of/);
  argumentError(thrown(() => recipe(steps({ width: 100 }))), TypeError, /^steps\[1\]: op must be a string, got undefined$/);
  argumentError(thrown(() => recipe(steps({ op: 'resize', widht: 100 }))), TypeError,
    /^steps\[1\] \(resize\): unknown key 'widht'; resize takes width, height, fit, position, background, kernel, withoutEnlargement; did you mean 'width'\?$/);
  argumentError(thrown(() => recipe(steps({ op: 'flipH', degrees: 90 }))), TypeError, /^steps\[1\] \(flipH\): unknown key 'degrees'; flipH takes no other keys$/);
  argumentError(thrown(() => recipe('{"version":1,"steps":[{"op":"flipV","__proto__":{"x":1}}]}')), TypeError, /^steps\[0\] \(flipV\): unknown key '__proto__'/);
  argumentError(thrown(() => recipe(steps(null))), TypeError, /^steps\[1\] must be an object like \{ op: 'resize', width: 800 \}, got null$/);
  argumentError(thrown(() => recipe(steps(['rotate', 90]))), TypeError, /^steps\[1\] must be an object .*got an array$/);
  const holey = { version: 1, steps: [{ op: 'flipH' }, , { op: 'flipV' }] }; // eslint-disable-line no-sparse-arrays
  argumentError(thrown(() => recipe(holey)), TypeError, /^steps\[1\] must be an object .*got undefined$/);

  argumentError(thrown(() => recipe({ version: 2, steps: [] })), RangeError, /^recipe version must be 1 .*got 2$/);
  argumentError(thrown(() => recipe({ version: '1', steps: [] })), TypeError, /^recipe version must be the number 1, got the string '1'$/);
  argumentError(thrown(() => recipe({ steps: [] })), TypeError, /^recipe version must be the number 1, got undefined$/);
  argumentError(thrown(() => recipe({ version: 1 })), TypeError, /^recipe steps must be an array, got undefined$/);
  argumentError(thrown(() => recipe({ version: 1, steps: [], name: 'x' })), TypeError, /^recipe: unknown key 'name'; a recipe has version, steps and outputs$/);
  argumentError(thrown(() => recipe([])), TypeError, /^recipe must be an object .*got an array$/);
  argumentError(thrown(() => recipe(42)), TypeError, /got number 42$/);
  argumentError(thrown(() => recipe(null)), TypeError, /got null$/);
  const cut = argumentError(thrown(() => recipe(`{"version":1,"steps":[${'{"op":"flipH"},'.repeat(5000)}`)), TypeError, /does not parse/);
  assert.ok(cut.message.length < 400, 'a long text is not repeated in full');
});

test('engine.apply appends a recipe to the engine: the same bytes as the operations called directly', async () => {
  const input = await fixtures.jpeg(); // 320×240
  const r = recipe().resize(200).rotate(90).grayscale();
  const direct = await ImageEngine.fromPath(input).resize(200).rotate(90).grayscale().toBuffer('png');
  const engine = ImageEngine.fromPath(input);
  assert.equal(engine.apply(r), engine, 'apply returns the engine');
  const applied = await engine.toBuffer('png');
  assert.ok(direct.equals(applied), 'engine.apply(recipe) = the same calls on the engine');
  assert.ok(direct.equals(await ImageEngine.fromPath(input).apply(r.toJSON()).toBuffer('png')), 'recipe JSON object');
  assert.ok(direct.equals(await ImageEngine.fromPath(input).apply(JSON.stringify(r)).toBuffer('png')), 'recipe JSON text');
  const img = await decode(applied);
  assert.deepEqual([img.width, img.height, img.format], [150, 200, 'png'], 'sharp sees the resize and the quarter turn');
  const [red, green, blue] = [0, 1, 2].map((c) => img.data[(75 * img.width + 75) * 3 + c]);
  assert.ok(red === green && green === blue, 'grey');

  // Appended after what the engine already recorded, not in place of it.
  const appended = await ImageEngine.fromPath(input).crop(0, 0, 160, 120).apply(recipe().rotate(90)).toBuffer('png');
  assert.ok(appended.equals(await ImageEngine.fromPath(input).crop(0, 0, 160, 120).rotate(90).toBuffer('png')));
  assert.deepEqual([(await decode(appended)).width, (await decode(appended)).height], [120, 160]);

  // The engine records the steps at once: changing the recipe later leaves it as it was.
  const later = recipe().resize(100);
  const engine2 = ImageEngine.fromPath(input).apply(later);
  later.rotate(90);
  assert.deepEqual([(await decode(await engine2.toBuffer('png'))).width], [100]);
  argumentError(thrown(() => ImageEngine.fromPath(input).apply({ version: 1, steps: [{ op: 'rotate', degrees: 1 }] })), RangeError, /^steps\[0\] \(rotate\)/);
  argumentError(thrown(() => ImageEngine.fromPath(input).apply()), TypeError, /^recipe must be/);
});

/** A folder whose first file by name is empty and whose second is missing from disk. */
async function badFirstInputs(name) {
  const dir = tmpPath(name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'a-empty.jpg'), '');
  fs.copyFileSync(await fixtures.jpeg(), path.join(dir, 'c-photo.jpg'));
  fs.copyFileSync(await fixtures.png(), path.join(dir, 'd-photo.png'));
  return [path.join(dir, 'a-empty.jpg'), path.join(dir, 'b-missing.jpg'), path.join(dir, 'c-photo.jpg'), path.join(dir, 'd-photo.png')];
}

test('top-level processBatch: no engine; an empty or missing first input fails only its own entry', async () => {
  const inputs = await badFirstInputs('recipe-batch-in');
  const out = tmpPath('recipe-batch-out');
  const r = recipe().resize(100).flipH();
  const progress = [];
  const results = await processBatch(inputs, out, { recipe: r, format: 'png', concurrency: 2, fsync: false, onProgress: (p) => progress.push(p) });
  assert.deepEqual(results.map((e) => e.source), inputs);
  assert.deepEqual(results.map((e) => e.success), [false, false, true, true]);
  assert.deepEqual(results.map((e) => e.code ?? null), [ErrorCode.EMPTY_INPUT, ErrorCode.FILE_NOT_FOUND, null, null]);
  assert.match(results[1].error, /b-missing\.jpg/, 'the missing file is named in the message');
  for (const e of results.slice(0, 2)) {
    assert.equal(typeof e.error, 'string');
    assert.equal(e.errorCategory, 'user_input');
    assert.equal(e.outputPath, undefined);
  }
  assert.equal(progress.length, 4);
  assert.deepEqual(progress.filter((p) => !p.success).map((p) => path.basename(p.source)).sort(), ['a-empty.jpg', 'b-missing.jpg']);
  // Oracle: each output equals an engine with the recipe applied, and sharp sees its size.
  for (const e of results.slice(2)) {
    const bytes = fs.readFileSync(e.outputPath);
    assert.ok(bytes.equals(await ImageEngine.fromPath(e.source).resize(100).flipH().toBuffer('png')), e.source);
    const img = await decode(bytes);
    assert.deepEqual([img.width, img.height, img.format], [100, 75, 'png']);
  }
  assert.deepEqual(fs.readdirSync(out).sort(), ['c-photo.png', 'd-photo.png']);

  // The engine method is an alias over the same code: same entries, same bytes.
  const viaEngine = await ImageEngine.fromPath(inputs[2]).resize(100).flipH().processBatch(inputs, tmpPath('recipe-batch-engine'), { format: 'png' });
  assert.deepEqual(viaEngine.map((e) => e.code ?? null), results.map((e) => e.code ?? null));
  assert.ok(fs.readFileSync(viaEngine[2].outputPath).equals(fs.readFileSync(results[2].outputPath)));

  // Recipe JSON text, or no recipe (a plain conversion).
  const asText = await processBatch(inputs.slice(2), tmpPath('recipe-batch-text'), { recipe: JSON.stringify(r), format: 'png' });
  assert.ok(fs.readFileSync(asText[0].outputPath).equals(fs.readFileSync(results[2].outputPath)));
  const plain = await processBatch([inputs[2]], tmpPath('recipe-batch-plain'), { format: 'webp' });
  assert.deepEqual([(await decode(fs.readFileSync(plain[0].outputPath))).width], [320]);
});

test('top-level processBatch checks its arguments synchronously, with coded errors', async () => {
  const out = tmpPath('recipe-batch-args');
  argumentError(thrown(() => processBatch(['a.jpg'], out, 'png')), TypeError, /^options must be an object/);
  argumentError(thrown(() => processBatch(['a.jpg'], out, { format: 'png', recipie: recipe() })), TypeError, /unknown key 'recipie'/);
  argumentError(thrown(() => processBatch(['a.jpg'], out, { format: 'tiff' })), RangeError);
  argumentError(thrown(() => processBatch(['a.jpg'], out, {})), TypeError, /^format must be a string/);
  argumentError(thrown(() => processBatch('a.jpg', out, { format: 'png' })), TypeError, /inputs must be an array/);
  argumentError(thrown(() => processBatch(['a.jpg'], out, { format: 'png', recipe: { version: 1, steps: [{ op: 'rotate', degrees: 45 }] } })), RangeError, /^steps\[0\] \(rotate\): degrees must be a multiple of 90/);
  argumentError(thrown(() => processBatch(['a.jpg'], out, { format: 'png', onProgress: 5 })), TypeError);
  const engine = ImageEngine.fromPath(await fixtures.jpeg());
  argumentError(thrown(() => engine.processBatch(['a.jpg'], out, { format: 'png', recipe: recipe() })), TypeError, /engine\.apply\(recipe\)/);
  // A source-free native engine refuses to run, naming the fix.
  const bare = native.NativeEngine.withoutSource();
  assert.equal(thrown(() => bare.dimensions()).code, ErrorCode.INVALID_ARGUMENT);
});

async function collect(readable) {
  const chunks = [];
  for await (const chunk of readable) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('a stream takes a recipe (or its JSON) as well as ops tuples, not both', async () => {
  const dir = tmpPath('recipe-stream');
  fs.mkdirSync(dir, { recursive: true });
  const input = await fixtures.jpeg();
  const r = recipe().resize(100).rotate(90);
  const outputs = [];
  for (const options of [{ recipe: r }, { recipe: r.toJSON() }, { recipe: JSON.stringify(r) }, { ops: [['resize', 100], ['rotate', 90]] }]) {
    const { writable, readable } = createStreamingPipeline({ format: 'png', tmpDir: dir, ...options });
    const [, out] = await Promise.all([pipeline(fs.createReadStream(input), writable), collect(readable)]);
    outputs.push(out);
  }
  const oracle = await ImageEngine.fromPath(input).resize(100).rotate(90).toBuffer('png');
  for (const out of outputs) assert.ok(out.equals(oracle), 'the same bytes as the engine');
  const img = await decode(outputs[0]);
  assert.deepEqual([img.width, img.height], [75, 100]);

  argumentError(thrown(() => createStreamingPipeline({ format: 'png', recipe: r, ops: [] })), TypeError, /either recipe or ops/);
  argumentError(thrown(() => createStreamingPipeline({ format: 'png', recipe: { version: 1, steps: [{ op: 'crop', x: 0 }] } })), TypeError, /^steps\[0\] \(crop\): y must be a number/);
  // Tuples are checked by the method when the pipeline is made, the message naming the tuple.
  argumentError(thrown(() => createStreamingPipeline({ format: 'png', ops: [['resize', 10], ['rotate', 45]] })), RangeError, /^ops\[1\] \(rotate\): degrees must be a multiple of 90, got 45$/);
  const unknown = argumentError(thrown(() => createStreamingPipeline({ format: 'png', ops: [['unlink', '/']] })), TypeError);
  assert.ok(unknown.message.endsWith(`one of ${operations.OPERATION_NAMES.join(', ')}`), 'the stream ops are the table');

  // The staging limit follows a recipe's sanitize and limits steps, as it follows ops.
  const strict = stagingLimit({ recipe: recipe().resize(10).sanitize({ policy: 'strict' }) });
  assert.deepEqual([strict.bytes, strict.from], [32 * 1024 * 1024, 'ops']);
  assert.match(strict.source, /'strict' sanitize policy \(recipe steps\[1\]\)/);
  assert.equal(stagingLimit({ recipe: { version: 1, steps: [{ op: 'limits', maxBytes: 1000 }] } }).bytes, 1000);
  const refused = createStreamingPipeline({ format: 'png', tmpDir: dir, recipe: recipe().limits({ maxBytes: 1000 }) });
  refused.writable.on('error', () => {});
  refused.writable.end(Buffer.alloc(5000));
  await assert.rejects(collect(refused.readable), { code: ErrorCode.INPUT_TOO_LARGE });
});

/** The text of `export <kind> <name> ... {` up to its closing line `}`. */
function declaration(source, head) {
  const start = source.indexOf(head);
  assert.ok(start >= 0, `index.d.ts declares ${head}`);
  return source.slice(start, source.indexOf('\n}', start));
}

test('op table: every operation is described once and appears in index.d.ts and docs/API.md', () => {
  const names = operations.OPERATION_NAMES;
  assert.ok(names.length >= 12);
  assert.equal(new Set(names).size, names.length);
  for (const op of operations.OPERATIONS) {
    for (const field of ['call', 'check']) assert.equal(typeof op[field], 'function', `${op.name}.${field}`);
    for (const field of ['record', 'toJSON']) assert.ok(op[field] === undefined || typeof op[field] === 'function', `${op.name}.${field}`);
    assert.ok(Array.isArray(op.keys) && !op.keys.includes('op'), op.name);
  }

  // The engine and recipe methods are the ones made from the table, and nothing else records.
  const { Recipe } = require('../lib/recipe');
  const NOT_OPERATIONS = ['constructor', 'apply', 'clone', 'dimensions', 'hasIccProfile', 'toBuffer', 'toBufferWithMetrics',
    'toFile', 'preset', 'toBufferWithPreset', 'toFileWithPreset', 'processBatch', 'toFormat', 'jpeg', 'png', 'webp', 'avif', 'gif', 'metadata', 'toOutputs', 'toSrcset', 'placeholder'];
  for (const [Class, others] of [[ImageEngine, NOT_OPERATIONS], [Recipe, ['constructor', 'toJSON', 'toOutputs']]]) {
    for (const name of names) assert.ok(operations.methods.has(Class.prototype[name]), `${Class.name}.${name} comes from the table`);
    const own = Object.getOwnPropertyNames(Class.prototype).filter((n) => !names.includes(n));
    assert.deepEqual(own.sort(), [...others].sort(), `${Class.name} has no hand-written operation method`);
  }
  // Every recording method of the native engine is reached through the table: most steps
  // are recorded as their JSON (pushStep), which the core reads into its Op.
  const NATIVE_OTHERS = ['constructor', 'isMapped', 'branch', 'dimensions', 'header', 'metadata', 'run', 'runOutputs', 'processBatch'];
  const nativeRecording = Object.getOwnPropertyNames(native.NativeEngine.prototype).filter((n) => !NATIVE_OTHERS.includes(n));
  const recorded = [];
  const spy = new Proxy({}, { get: (_t, method) => () => recorded.push(method) });
  for (const step of withExamples(recipe()).toJSON().steps) operations.recordStep(spy, step);
  assert.deepEqual([...new Set(recorded)].sort(), nativeRecording.sort(), 'NativeEngine recording methods = what the table records');

  // index.d.ts: one method each in Operations, which both ImageEngine and Recipe extend,
  // and one step shape each in OperationSteps.
  const dts = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8');
  const methods = declaration(dts, 'export interface Operations {');
  assert.deepEqual([...methods.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]), names, 'Operations lists the table, in order');
  const stepShapes = declaration(dts, 'export interface OperationSteps {');
  assert.deepEqual([...stepShapes.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]), names, 'OperationSteps lists the table, in order');
  assert.match(dts, /^export interface ImageEngine extends Operations \{\}$/m);
  assert.match(dts, /^export interface Recipe extends Operations \{$/m);
  const engineClass = declaration(dts, 'export declare class ImageEngine {');
  for (const name of names) assert.doesNotMatch(engineClass, new RegExp(`^ {2}${name}\\(`, 'm'), `${name} is declared once, in Operations`);

  // docs/API.md: the operation table has one row per operation, with its recipe step keys.
  const api = fs.readFileSync(path.join(ROOT, 'docs', 'API.md'), 'utf8');
  const section = api.slice(api.indexOf('### Operations'), api.indexOf('\n### ', api.indexOf('### Operations') + 1));
  const rows = section.split('\n').filter((l) => /^\| `\w+\(/.test(l));
  const documented = new Map();
  for (const row of rows) {
    const [call, step] = row.split('|').slice(1, 3).map((cell) => cell.trim());
    const name = /^`(\w+)\(/.exec(call)[1];
    const keys = [...step.matchAll(/`(\w+)`/g)].map((m) => m[1]);
    assert.equal(keys[0], name, `${row}: the step column starts with the op`);
    if (!documented.has(name)) documented.set(name, keys.slice(1));
  }
  assert.deepEqual([...documented.keys()], names, 'docs/API.md lists every operation, in table order');
  for (const op of operations.OPERATIONS) assert.deepEqual(documented.get(op.name), op.keys, `docs/API.md: the keys of the ${op.name} step`);
});
