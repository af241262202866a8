'use strict';
// The public ImageEngine: validates arguments, then records them in the native engine.
// Nothing here touches pixels or file bytes; outputs run as jobs in Rust. The operation
// methods (resize, crop, …, sanitize) are made from the table in operations.js.

const native = require('../native.js');
const v = require('./validate');
const { typeError } = require('./errors');
const { presetNamed } = require('./presets');
const { outputArgs, fsyncOption, FILE_OUTPUT_KEYS } = require('./output');
const { addOperationMethods, recordStep } = require('./operations');
const { stepsOfRecipe } = require('./recipe');
const { runBatch } = require('./batch');

function toBytes(input) {
  const { types } = require('node:util');
  // A Proxy passes Buffer.isBuffer but not the native side's checks: refused here, coded.
  if (types.isProxy(input)) {
    throw typeError('input must be the Buffer itself, got a Proxy: pass the Buffer (or Uint8Array, ArrayBuffer) it wraps');
  }
  if (types.isUint8Array(input)) {
    if (Buffer.isBuffer(input)) return input;
    // A Buffer over the same memory, bounds read with the real accessors (the native side copies).
    return Buffer.from(...v.viewParts(input));
  }
  if (types.isArrayBuffer(input) || types.isSharedArrayBuffer(input)) return Buffer.from(input, 0, v.byteSize(input));
  const hint = types.isArrayBufferView(input)
    ? '; for another view, pass new Uint8Array(view.buffer, view.byteOffset, view.byteLength)'
    : '';
  throw typeError(`input must be a Buffer, Uint8Array, ArrayBuffer or SharedArrayBuffer, got ${v.describe(input)}${hint}`);
}

class ImageEngine {
  #native;

  /** @private Use the static constructors. */
  constructor(nativeEngine) {
    if (!(nativeEngine instanceof native.NativeEngine)) {
      throw typeError('use ImageEngine.fromPath(path) or ImageEngine.from(buffer)');
    }
    this.#native = nativeEngine;
  }

  /** Maps the file (zero-copy); throws at once if it cannot be opened. Decodes nothing. */
  static fromPath(path) {
    return new ImageEngine(native.NativeEngine.fromPath(v.path('path', path)));
  }

  /**
   * Copies the caller's bytes (the encoded file) into native memory once, so the caller
   * may reuse, transfer or resize its buffer at once. Use `fromPath` for zero-copy input.
   */
  static from(input) {
    return new ImageEngine(native.NativeEngine.fromBuffer(toBytes(input)));
  }

  static fromBytes(input) {
    return ImageEngine.from(input);
  }

  static fromMemory(input) {
    return ImageEngine.from(input);
  }

  static {
    // resize, crop, rotate, flipH, flipV, grayscale, brightness, contrast, autoOrient,
    // keepMetadata, limits, sanitize: each validated into a step and recorded at once.
    addOperationMethods(ImageEngine.prototype, (engine, step) => recordStep(engine.#native, step));
  }

  /** Appends a recipe's steps (a Recipe, or its JSON as an object or text) to this engine. */
  apply(recipe) {
    for (const step of stepsOfRecipe(recipe)) recordStep(this.#native, step);
    return this;
  }

  /** A new engine over the same input with a copy of the operations recorded so far. */
  clone() {
    return new ImageEngine(this.#native.branch());
  }

  /** Width and height as displayed (after auto-orientation), from the header only. */
  dimensions() {
    return this.#native.dimensions();
  }

  hasIccProfile() {
    return this.#native.header().hasIccProfile;
  }

  /** `toBuffer(format, quality?, fastMode?)` or `toBuffer(format, { quality, fastMode, effort, lossless })`. */
  toBuffer(format, qualityOrOptions, fastMode) {
    return this.#run(outputArgs(format, qualityOrOptions, fastMode, undefined, 'toBuffer'), null).then((r) => r.data);
  }

  /** Like `toBuffer`, plus timings, sizes and peak RSS. */
  toBufferWithMetrics(format, qualityOrOptions, fastMode) {
    return this.#run(outputArgs(format, qualityOrOptions, fastMode, undefined, 'toBufferWithMetrics'), null);
  }

  /** Writes atomically (temp file + rename) and resolves to the number of bytes written. */
  toFile(path, format, qualityOrOptions, fastMode) {
    const args = outputArgs(format, qualityOrOptions, fastMode, FILE_OUTPUT_KEYS, 'toFile');
    return this.#run(args, v.path('path', path), fsyncOption(qualityOrOptions)).then((r) => r.metrics.bytesOut);
  }

  /**
   * Records the named preset's resize and returns its output settings,
   * `{ format, quality, width?, height? }`, for a later `toBuffer`/`toFile`.
   */
  preset(name) {
    const { width, height, fit, withoutEnlargement, format, quality } = presetNamed(name);
    this.resize({ width, height, fit, withoutEnlargement });
    return height === undefined ? { format, quality, width } : { format, quality, width, height };
  }

  /** Encodes with a preset, leaving this engine's recorded operations as they were. */
  toBufferWithPreset(name) {
    const branch = this.clone();
    const { format, quality } = branch.preset(name);
    return branch.toBuffer(format, quality);
  }

  /** Writes with a preset (atomically), leaving this engine as it was; resolves to bytes written. */
  toFileWithPreset(path, name) {
    const branch = this.clone();
    const { format, quality } = branch.preset(name);
    return branch.toFile(path, format, quality);
  }

  /**
   * This engine's recorded operations (not its input) applied to each input file: the
   * top-level `processBatch` with this engine's operations in place of a recipe.
   * `processBatch(inputs, outDir, { format, quality, fastMode, effort, lossless, concurrency, fsync, onProgress })`
   * or `processBatch(inputs, outDir, format, quality?, fastMode?, concurrency?)`.
   */
  processBatch(inputs, outDir, formatOrOptions, quality, fastMode, concurrency) {
    if (typeof formatOrOptions === 'object' && formatOrOptions !== null && formatOrOptions.recipe !== undefined) {
      throw typeError("engine.processBatch applies this engine's own operations: use engine.apply(recipe) first, or the top-level processBatch(inputs, outDir, { recipe, ... })");
    }
    return runBatch(this.#native, inputs, outDir, formatOrOptions, quality, fastMode, concurrency);
  }

  #run(args, outPath, durable = true) {
    return this.#native.run(...args, outPath, durable);
  }
}

module.exports = { ImageEngine, outputArgs };
