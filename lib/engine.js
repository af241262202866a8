'use strict';
// The public ImageEngine: validates arguments, then records them in the native engine.
// Nothing here touches pixels or file bytes; outputs run as jobs in Rust. The operation
// methods (resize, crop, …, sanitize) are made from the table in operations.js.

const native = require('../native.js');
const v = require('./validate');
const { typeError, rangeError, errorOfCode } = require('./errors');
const { presetNamed } = require('./presets');
const { outputArgs, encoderSpec, fsyncOption, formatOfPath, makeFolder, FILE_OUTPUT_KEYS, FORMATS } = require('./output');
const { addOperationMethods, recordStep, NATIVE } = require('./operations');
const { readRecipe } = require('./recipe');
const { runBatch } = require('./batch');
const outputs = require('./outputs');

/** `(options)` in place of `(format, options)`: the format left out. */
function shifted(format, qualityOrOptions, fastMode) {
  return typeof format === 'object' && format !== null && qualityOrOptions === undefined ? [undefined, format, undefined] : [format, qualityOrOptions, fastMode];
}

/** A source's options, as sharp takes them beside its input: `{ failOn, pages }` (those steps). */
function withSourceOptions(engine, options) {
  if (options === undefined) return engine;
  const o = v.knownKeys('source options', options, ['failOn', 'pages'], 'fromPath/from');
  if (o.failOn !== undefined) engine.failOn(o.failOn);
  if (o.pages !== undefined) engine.pages(o.pages);
  return engine;
}


class ImageEngine {
  #native;
  /** The output set by jpeg()/png()/webp()/avif()/toFormat(): `{ format, options }`, or null. */
  #output = null;
  /** The steps recorded in the native engine, in order: a batch records them again on each input when it writes a set of outputs. */
  #steps = [];
  /** The output specs of an applied recipe that carries them, or null: what toOutputs() makes without specs. */
  #outputs = null;

  /** @private Use the static constructors. */
  constructor(nativeEngine) {
    if (!(nativeEngine instanceof native.NativeEngine)) {
      throw typeError('use ImageEngine.fromPath(path) or ImageEngine.from(buffer)');
    }
    this.#native = nativeEngine;
  }

  /** Maps the file (zero-copy); throws at once if it cannot be opened. Decodes nothing. */
  static fromPath(path, options) {
    return withSourceOptions(new ImageEngine(native.NativeEngine.fromPath(v.path('path', path))), options);
  }

  /**
   * Copies the caller's bytes (the encoded file) into native memory once, so the caller
   * may reuse, transfer or resize its buffer at once. Use `fromPath` for zero-copy input.
   */
  static from(input, options) {
    return withSourceOptions(new ImageEngine(native.NativeEngine.fromBuffer(v.toBytes(input))), options);
  }

  static fromBytes(input, options) {
    return ImageEngine.from(input, options);
  }

  static fromMemory(input, options) {
    return ImageEngine.from(input, options);
  }

  static {
    // resize, crop, rotate, flipH, flipV, grayscale, brightness, contrast, autoOrient,
    // keepMetadata, limits, sanitize: each validated into a step and recorded at once.
    addOperationMethods(ImageEngine.prototype, (engine, step) => engine.#record(step));
  }

  #record(step) {
    recordStep(this.#native, step);
    this.#steps.push(step);
  }

  /** @private The native engine, for a composite layer that draws this engine's output. */
  [NATIVE]() {
    return this.#native;
  }

  /**
   * Appends a recipe's steps (a Recipe, or its JSON as an object or text) to this engine;
   * the outputs it carries, if any, become what `toOutputs()` makes without specs.
   */
  apply(recipe) {
    const { steps, outputs } = readRecipe(recipe);
    for (const step of steps) this.#record(step);
    if (outputs !== null) this.#outputs = outputs;
    return this;
  }

  /** A new engine over the same input with a copy of the operations recorded so far (and the output set). */
  clone() {
    const copy = new ImageEngine(this.#native.branch());
    copy.#output = this.#output;
    copy.#steps = [...this.#steps];
    copy.#outputs = this.#outputs;
    return copy;
  }

  /**
   * Sets the output format and encoder options for a later `toBuffer()`/`toFile()` without
   * a format; an explicit format given to those still wins (with its own options).
   */
  toFormat(format, options) {
    const opts = options === undefined ? {} : options;
    const { format: fmt } = encoderSpec(format, v.knownKeys('options', opts, FILE_OUTPUT_KEYS.filter((k) => k !== 'fsync'), `toFormat`));
    this.#output = Object.freeze({ format: fmt, options: Object.freeze({ ...opts }) });
    return this;
  }

  jpeg(options) {
    return this.toFormat('jpeg', options);
  }

  png(options) {
    return this.toFormat('png', options);
  }

  webp(options) {
    return this.toFormat('webp', options);
  }

  avif(options) {
    return this.toFormat('avif', options);
  }

  gif(options) {
    return this.toFormat('gif', options);
  }

  /**
   * The `[format, qualityOrOptions, fastMode]` an output call uses: its own format if given;
   * else the output set by toFormat() and the like (its options under the call's own); else
   * `fallback()` (the path's extension, or the input's own format).
   */
  #resolved(format, qualityOrOptions, fastMode, fallback) {
    if (format !== undefined) return [format, qualityOrOptions, fastMode];
    if (this.#output !== null) {
      if (qualityOrOptions === undefined && fastMode === undefined) return [this.#output.format, this.#output.options, undefined];
      return [this.#output.format, qualityOrOptions, fastMode];
    }
    return [fallback(), qualityOrOptions, fastMode];
  }

  /** The input's own format, if it can be written; read from the header. */
  #inputFormat() {
    const { format } = this.#native.header();
    if (!FORMATS.includes(format)) {
      throw rangeError(`toBuffer() without a format keeps the input's format, and ${v.quoted(format)} cannot be written; pass one of ${FORMATS.join(', ')}`);
    }
    return format;
  }

  /** Width and height as displayed (after auto-orientation), from the header only. */
  dimensions() {
    return this.#native.dimensions();
  }

  hasIccProfile() {
    return this.#native.header().hasIccProfile;
  }

  /**
   * One decode, many outputs: `toOutputs([{ resize, format, quality, target, fastMode,
   * effort, lossless, background, path, placeholder }, ...])` resolves with one entry per
   * spec, in order; an entry that failed (its encode, its write) holds its `code` and
   * `error`, the others are written or returned all the same. Without specs: the outputs of
   * the recipe applied last that carries them.
   */
  async toOutputs(specs) {
    const checked = outputs.checkedSpecs(specs === undefined && this.#outputs !== null ? this.#outputs : specs);
    const entries = await this.#native.runOutputs(JSON.stringify(checked), true);
    return entries.map((e, i) => outputs.entry(e, checked[i]));
  }

  /**
   * A responsive set from one decode: `toSrcset({ widths, formats, outDir, name, quality,
   * placeholder, baseUrl })` writes `<name>-<width>.<ext>` per format and width and resolves
   * with `{ outputs, srcset: { <format>: '<baseUrl>name-320.webp 320w, …' }, placeholder? }`.
   */
  async toSrcset(options) {
    const plan = outputs.srcsetSpecs(options);
    makeFolder(plan.outDir);
    return outputs.srcsetResult(plan, await this.toOutputs(plan.specs));
  }

  /** `placeholder()`: `{ thumbhash, blurhash, dominant, dataUri, width, height }` from one small decode. */
  async placeholder() {
    const [e] = await this.toOutputs([{ placeholder: true }]);
    if (!e.success) throw errorOfCode(e.code, e.error);
    return e.placeholder;
  }

  /**
   * `metadata({ icc, exif })`: the header's facts (sharp's names), read off the JS thread;
   * the ICC profile and EXIF block come back as Buffers when asked for.
   */
  async metadata(options) {
    const o = options === undefined ? {} : v.knownKeys('metadata options', options, ['icc', 'exif'], 'metadata');
    const m = await this.#native.metadata(v.optionalBoolean('icc', o.icc, false), v.optionalBoolean('exif', o.exif, false));
    return Object.fromEntries(Object.entries(m).filter(([, value]) => value !== undefined && value !== null));
  }

  /** `toBuffer(format, quality?, fastMode?)` or `toBuffer(format, { quality, fastMode, effort, lossless })`. */
  // Without a format: the one set by toFormat()/jpeg()/…, else the input's own format.
  toBuffer(format, qualityOrOptions, fastMode) {
    return this.#buffer('toBuffer', shifted(format, qualityOrOptions, fastMode)).then((r) => r.data);
  }

  /** Like `toBuffer`, plus timings, sizes and peak RSS. */
  toBufferWithMetrics(format, qualityOrOptions, fastMode) {
    return this.#buffer('toBufferWithMetrics', shifted(format, qualityOrOptions, fastMode));
  }

  #buffer(what, [format, qualityOrOptions, fastMode]) {
    let resolved;
    try {
      resolved = this.#resolved(format, qualityOrOptions, fastMode, () => this.#inputFormat());
    } catch (err) {
      // The header (read for the input's format) may be corrupt: a rejection, like the run's.
      return Promise.reject(err);
    }
    return this.#run(outputArgs(...resolved, undefined, what), null);
  }

  /**
   * Writes atomically (temp file + rename) and resolves to the number of bytes written.
   * Without a format: the one set by toFormat()/jpeg()/…, else the path's extension.
   */
  toFile(path, format, qualityOrOptions, fastMode) {
    const file = v.path('path', path);
    const [f, q, fm] = this.#resolved(...shifted(format, qualityOrOptions, fastMode), () => formatOfPath(file));
    const args = outputArgs(f, q, fm, FILE_OUTPUT_KEYS, 'toFile');
    return this.#run(args, file, fsyncOption(q)).then((r) => r.metrics.bytesOut);
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
   * or `processBatch(inputs, outDir, format, quality?, fastMode?, concurrency?)`; with
   * `{ outputs }` (or the outputs of an applied recipe) a set of outputs per input.
   */
  processBatch(inputs, outDir, formatOrOptions, quality, fastMode, concurrency) {
    if (typeof formatOrOptions === 'object' && formatOrOptions !== null && formatOrOptions.recipe !== undefined) {
      throw typeError("engine.processBatch applies this engine's own operations: use engine.apply(recipe) first, or the top-level processBatch(inputs, outDir, { recipe, ... })");
    }
    return runBatch({ native: this.#native, steps: this.#steps, outputs: this.#outputs }, inputs, outDir, formatOrOptions, quality, fastMode, concurrency);
  }

  #run(args, outPath, durable = true) {
    return this.#native.run(...args, outPath, durable);
  }
}

module.exports = { ImageEngine, outputArgs };
