'use strict';
// Batches: many input files through one set of recorded operations, each input a job of the
// process's queue. `processBatch(inputs, outDir, { recipe, ... })` needs no engine;
// `engine.processBatch(...)` runs the same code with the engine's own operations. With
// outputs (the `outputs` option, or a recipe's), each input makes a whole set from one decode.

const fs = require('node:fs');
const path = require('node:path');
const native = require('../native.js');
const v = require('./validate');
const { typeError, rangeError, errorOfCode, isLazyImageError } = require('./errors');
const { outputArgs, encoderOptions, fsyncOption, makeFolder, OUTPUT_KEYS } = require('./output');
const { recordStep } = require('./operations');
const { readRecipe } = require('./recipe');
const { checkedSpecs, pathlessSpecs, fileName, entry } = require('./outputs');

/** The encoder keys of a batch's options: one output per input. */
const ENCODER_KEYS = Object.freeze(['format', ...OUTPUT_KEYS]);
/** The keys of `engine.processBatch`'s options; the top-level one also takes `recipe`. */
const ENGINE_BATCH_KEYS = Object.freeze([...ENCODER_KEYS, 'outputs', 'concurrency', 'fsync', 'onProgress']);
const BATCH_KEYS = Object.freeze(['recipe', ...ENGINE_BATCH_KEYS]);

/**
 * Runs `start(report)` and resolves once its promise has and every one of `total` progress
 * reports has reached `onProgress` (they travel separately from the result). An exception
 * from `onProgress` rejects the batch once it has finished.
 */
function withProgress(total, onProgress, start) {
  let heard = 0;
  let thrown = null;
  let allHeard;
  const everyReport = new Promise((resolve) => (allHeard = resolve));
  if (total === 0) allHeard();
  const report = (progress) => {
    try {
      onProgress(progress);
    } catch (err) {
      thrown = thrown || err;
    }
    if (++heard === total) allHeard();
  };
  return start(report).then(async (results) => {
    await everyReport;
    if (thrown) throw thrown;
    return results;
  });
}

/**
 * The set of outputs each input makes, checked (native form, no paths), or null for one
 * output per input: from the `outputs` option, else from the recipe (or the engine's applied
 * recipe). A set takes no batch-wide encoder options: each output has its own.
 */
function outputSet(opts, carried) {
  if (opts.outputs !== undefined && carried !== null) throw typeError('outputs given twice: the recipe already carries outputs; pass one of them');
  const set = opts.outputs === undefined ? carried : pathlessSpecs(opts.outputs);
  if (set === null) return null;
  const given = ENCODER_KEYS.find((key) => opts[key] !== undefined);
  if (given !== undefined) throw typeError(`${given}: a batch with outputs takes each output's format and encoder options from its spec, not the batch's`);
  const checked = checkedSpecs(set);
  // Two outputs of one input must not be written to one file.
  const names = checked.map((s) => fileName('<name>', s));
  names.forEach((name, i) => {
    const first = name === null ? -1 : names.indexOf(name);
    if (first !== i && first !== -1) throw rangeError(`outputs[${i}] would be written as ${name} like outputs[${first}]; give them different sizes or formats`);
  });
  return checked;
}

/**
 * Each input's output paths in `dir` for the set `specs` (null for a placeholder): its file
 * name's stem, suffixed -2, -3, … until none of its names is taken by an earlier input
 * (compared without case), as a batch of one output per input names them.
 */
function setPaths(paths, dir, specs) {
  const taken = new Set();
  return paths.map((file) => {
    const stem = path.parse(file).name || 'image';
    for (let n = 1; ; n++) {
      const names = specs.map((s) => fileName(n === 1 ? stem : `${stem}-${n}`, s));
      const keys = names.filter((name) => name !== null).map((name) => name.toLowerCase());
      if (keys.some((key) => taken.has(key))) continue;
      keys.forEach((key) => taken.add(key));
      return names.map((name) => (name === null ? null : path.join(dir, name)));
    }
  });
}

/** A failed input's entry, with the fields a thrown error carries. */
function failure(source, err) {
  const e = isLazyImageError(err) ? err : errorOfCode('LAZY_INTERNAL', String(err instanceof Error ? err.message : err));
  return { source, success: false, error: e.message, code: e.code, errorCode: e.errorCode, errorCategory: e.category };
}

/**
 * One input's set: mapped now (its job is next), `steps` recorded on it, every output from
 * one decode. A failed output fails only its own entry in `outputs`; a failed input (missing,
 * corrupt, over a limit) fails the input's entry.
 */
async function runSet(steps, source, specs, files, durable) {
  try {
    const engine = native.NativeEngine.fromPath(source);
    const bytesIn = fs.statSync(source).size;
    for (const step of steps) recordStep(engine, step);
    const placed = specs.map((s, i) => ({ ...s, path: files[i] }));
    const outputs = (await engine.runOutputs(JSON.stringify(placed), durable)).map((e, i) => entry(e, placed[i]));
    const bytesOut = outputs.reduce((n, e) => n + (e.success && e.path !== undefined ? e.bytes : 0), 0);
    return { source, success: true, outputs, bytesIn, bytesOut };
  } catch (err) {
    return failure(source, err);
  }
}

/** Every input's set, at most `limit` inputs in flight (0: twice the queue's concurrency). */
async function runSets(steps, paths, dir, specs, limit, durable, report) {
  makeFolder(dir);
  const files = setPaths(paths, dir, specs);
  const results = new Array(paths.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      const r = (results[i] = await runSet(steps, paths[i], specs, files[i], durable));
      if (report) report(r.success ? { done: ++done, total: paths.length, source: r.source, success: true } : { done: ++done, total: paths.length, source: r.source, success: false, code: r.code });
    }
  };
  const inFlight = Math.min(limit === 0 ? 2 * native.concurrency() : limit, paths.length);
  await Promise.all(Array.from({ length: inFlight }, worker));
  return results;
}

/**
 * The operations recorded on `source.native` applied to each input file, written into
 * `outDir` (created if missing) as `<name>.<format>`, suffixed `-2`, `-3`… when two inputs
 * share a name. `(inputs, outDir, { format, ...encoder options, concurrency, fsync, onProgress })`
 * or `(inputs, outDir, format, quality?, fastMode?, concurrency?)`. With a set of outputs
 * (`{ outputs }`, or `source.outputs`), `source.steps` are recorded on each input and every
 * output written as `<name>-<width>.<ext>`. `onProgress` receives
 * `{ done, total, source, success, code? }` as each input finishes. Resolves to one entry
 * per input, in input order; a bad file fails only its entry.
 */
function runBatch(source, inputs, outDir, formatOrOptions, quality, fastMode, concurrency, keys = ENGINE_BATCH_KEYS) {
  if (!Array.isArray(inputs)) throw typeError(`inputs must be an array of paths, got ${v.describe(inputs)}`);
  // Every index, holes included (map would skip them and leave them to the native side).
  const paths = [];
  for (let i = 0; i < inputs.length; i++) paths.push(v.path(`inputs[${i}]`, inputs[i]));
  const dir = v.path('outDir', outDir);
  let opts;
  if (typeof formatOrOptions === 'object' && formatOrOptions !== null) {
    opts = v.knownKeys('options', formatOrOptions, keys, 'processBatch');
    if (quality !== undefined) throw typeError('pass quality, fastMode and concurrency inside the options object');
  } else {
    opts = { format: formatOrOptions, quality, fastMode, concurrency };
  }
  const set = outputSet(opts, source.outputs);
  const args = set === null ? outputArgs(opts.format, encoderOptions(opts)) : null;
  const c = opts.concurrency;
  // 0 or absent: the native side picks from the cores and the free (cgroup) memory.
  const workers = c === undefined || c === null || c === 0 ? 0 : v.integer('concurrency', c, 1, 1024);
  const durable = fsyncOption(opts);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw typeError(`onProgress must be a function, got ${typeof opts.onProgress}`);
  }
  const start = (report) =>
    set === null ? source.native.processBatch(paths, dir, ...args, workers, durable, report) : runSets(source.steps, paths, dir, set, workers, durable, report);
  return opts.onProgress === undefined ? start(undefined) : withProgress(paths.length, opts.onProgress, start);
}

/**
 * `processBatch(inputs, outDir, { recipe, outputs, format, ...encoder options, concurrency, fsync, onProgress })`:
 * the recipe's operations (none when it is absent) applied to every input file, as
 * `engine.processBatch` does, without an engine: no input is opened before its own job, so
 * a missing or empty file fails only its own entry. A recipe that carries outputs (or the
 * `outputs` option) makes each input's whole set.
 */
function processBatch(inputs, outDir, options) {
  const o = v.knownKeys('options', options, BATCH_KEYS, 'processBatch');
  const engine = native.NativeEngine.withoutSource();
  const { steps, outputs } = o.recipe === undefined ? { steps: [], outputs: null } : readRecipe(o.recipe);
  // Recorded here even for a set, so a composite layer that cannot be read fails the call.
  for (const step of steps) recordStep(engine, step);
  return runBatch({ native: engine, steps, outputs }, inputs, outDir, o, undefined, undefined, undefined, BATCH_KEYS);
}

module.exports = { runBatch, processBatch };
