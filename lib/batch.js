'use strict';
// Batches: many input files through one set of recorded operations, each input a job of the
// process's queue. `processBatch(inputs, outDir, { recipe, ... })` needs no engine;
// `engine.processBatch(...)` runs the same code with the engine's own operations.

const native = require('../native.js');
const v = require('./validate');
const { typeError } = require('./errors');
const { outputArgs, fsyncOption } = require('./output');
const { recordStep } = require('./operations');
const { stepsOfRecipe } = require('./recipe');

/** The keys of `engine.processBatch`'s options; the top-level one also takes `recipe`. */
const ENGINE_BATCH_KEYS = Object.freeze(['format', 'quality', 'fastMode', 'effort', 'lossless', 'background', 'target', 'concurrency', 'fsync', 'onProgress']);
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
 * The operations recorded on `nativeEngine` applied to each input file, written into
 * `outDir` (created if missing) as `<name>.<format>`, suffixed `-2`, `-3`… when two inputs
 * share a name. `(inputs, outDir, { format, quality, fastMode, effort, lossless, concurrency, fsync, onProgress })`
 * or `(inputs, outDir, format, quality?, fastMode?, concurrency?)`. `onProgress` receives
 * `{ done, total, source, success, code? }` as each input finishes. Resolves to one entry
 * per input, in input order; a bad file fails only its entry.
 */
function runBatch(nativeEngine, inputs, outDir, formatOrOptions, quality, fastMode, concurrency, keys = ENGINE_BATCH_KEYS) {
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
  const args = outputArgs(opts.format, { quality: opts.quality, fastMode: opts.fastMode, effort: opts.effort, lossless: opts.lossless, background: opts.background, target: opts.target });
  const c = opts.concurrency;
  // 0 or absent: the native side picks from the cores and the free (cgroup) memory.
  const workers = c === undefined || c === null || c === 0 ? 0 : v.integer('concurrency', c, 1, 1024);
  const durable = fsyncOption(opts);
  if (opts.onProgress === undefined) return nativeEngine.processBatch(paths, dir, ...args, workers, durable);
  if (typeof opts.onProgress !== 'function') {
    throw typeError(`onProgress must be a function, got ${typeof opts.onProgress}`);
  }
  return withProgress(paths.length, opts.onProgress, (report) => nativeEngine.processBatch(paths, dir, ...args, workers, durable, report));
}


/**
 * `processBatch(inputs, outDir, { recipe, format, quality, fastMode, effort, lossless, concurrency, fsync, onProgress })`:
 * the recipe's operations (none when it is absent) applied to every input file, as
 * `engine.processBatch` does, without an engine: no input is opened before its own job, so
 * a missing or empty file fails only its own entry.
 */
function processBatch(inputs, outDir, options) {
  const o = v.knownKeys('options', options, BATCH_KEYS, 'processBatch');
  const engine = native.NativeEngine.withoutSource();
  if (o.recipe !== undefined) for (const step of stepsOfRecipe(o.recipe)) recordStep(engine, step);
  return runBatch(engine, inputs, outDir, o, undefined, undefined, undefined, BATCH_KEYS);
}

module.exports = { runBatch, processBatch };
