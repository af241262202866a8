'use strict';
// The public ImageEngine: validates arguments, then records them in the native engine.
// Nothing here touches pixels or file bytes; outputs run on the libuv pool in Rust.

const native = require('../native.js');
const v = require('./validate');
const { typeError, rangeError } = require('./errors');
const { presetNamed } = require('./presets');

// The named values come from the Rust core's lists (src/names.rs), written once there.
const { fits: FITS, kernels: KERNELS, outputFormats: FORMATS, policies: POLICIES } = native.vocabulary();

/** Normalises `(quality?, fastMode?)` or `({ quality, fastMode, effort, lossless })`. */
function outputArgs(format, qualityOrOptions, fastMode) {
  const fmt = v.oneOf('format', typeof format === 'string' ? format.toLowerCase() : format, FORMATS);
  let opts;
  if (typeof qualityOrOptions === 'object' && qualityOrOptions !== null) {
    if (fastMode !== undefined) throw typeError('pass fastMode inside the options object, not after it');
    opts = qualityOrOptions;
  } else {
    opts = { quality: qualityOrOptions, fastMode };
  }
  return [
    fmt,
    v.optionalInteger('quality', opts.quality, 1, 100),
    v.optionalBoolean('fastMode', opts.fastMode, false),
    v.optionalInteger('effort', opts.effort, 0, 10),
    v.optionalBoolean('lossless', opts.lossless, false),
  ];
}

/** `fsync` of a file output's options object: flush to disk before resolving (default true). */
function fsyncOption(options) {
  return typeof options === 'object' && options !== null ? v.optionalBoolean('fsync', options.fsync, true) : true;
}

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

  /**
   * `resize(width?, height?, fit?)` or `resize({ width, height, fit, kernel, withoutEnlargement })`.
   * A missing side keeps the aspect ratio.
   */
  resize(widthOrOptions, height, fit) {
    const opts =
      typeof widthOrOptions === 'object' && widthOrOptions !== null
        ? widthOrOptions
        : { width: widthOrOptions, height, fit };
    const w = v.optionalInteger('width', opts.width, 1, v.MAX_SIDE);
    const h = v.optionalInteger('height', opts.height, 1, v.MAX_SIDE);
    if (w === undefined && h === undefined) throw typeError('resize needs a width, a height or both');
    this.#native.resize(
      w,
      h,
      opts.fit === undefined ? 'inside' : v.oneOf('fit', opts.fit, FITS),
      opts.kernel === undefined ? 'lanczos3' : v.oneOf('kernel', opts.kernel, KERNELS),
      v.optionalBoolean('withoutEnlargement', opts.withoutEnlargement, false),
    );
    return this;
  }

  /** Keeps the `width`×`height` region whose top-left corner is (`x`, `y`). */
  crop(x, y, width, height) {
    this.#native.crop(
      v.integer('x', x, 0, v.MAX_SIDE),
      v.integer('y', y, 0, v.MAX_SIDE),
      v.integer('width', width, 1, v.MAX_SIDE),
      v.integer('height', height, 1, v.MAX_SIDE),
    );
    return this;
  }

  /** Rotates clockwise by a multiple of 90 degrees (negative turns anticlockwise). */
  rotate(degrees) {
    v.number('degrees', degrees, -Infinity, Infinity);
    if (!Number.isInteger(degrees) || degrees % 90 !== 0) {
      throw rangeError(`degrees must be a multiple of 90, got ${degrees}`);
    }
    this.#native.rotate((((degrees / 90) % 4) + 4) % 4);
    return this;
  }

  flipH() {
    this.#native.flipH();
    return this;
  }

  flipV() {
    this.#native.flipV();
    return this;
  }

  grayscale() {
    this.#native.grayscale();
    return this;
  }

  /** -100 (black) … 0 (unchanged) … 100 (twice as bright). */
  brightness(value) {
    this.#native.brightness(Math.round(v.number('brightness', value, -100, 100)));
    return this;
  }

  /** -100 (flat grey) … 0 (unchanged) … 100 (maximum contrast). */
  contrast(value) {
    this.#native.contrast(Math.round(v.number('contrast', value, -100, 100)));
    return this;
  }

  /** Applies the EXIF orientation before other operations (on by default). */
  autoOrient(enabled = true) {
    this.#native.autoOrient(v.boolean('enabled', enabled));
    return this;
  }

  /**
   * Carries metadata into the output (the default strips all of it). With no argument, ICC
   * and EXIF are kept; with an object, each omitted kind is stripped. GPS is removed from
   * kept EXIF unless `stripGps: false`. An ICC profile that is not kept is applied instead:
   * the pixels are converted to sRGB.
   */
  keepMetadata(options) {
    const o = options === undefined ? { icc: true, exif: true } : v.plainObject('options', options);
    this.#native.keepMetadata(
      v.optionalBoolean('icc', o.icc, false),
      v.optionalBoolean('exif', o.exif, false),
      v.optionalBoolean('stripGps', o.stripGps, true),
    );
    return this;
  }

  /**
   * Refuses inputs over `maxPixels` (from the header, before decoding) or `maxBytes`, jobs
   * whose estimated memory exceeds `maxMemory` bytes (before decoding; the estimate is in
   * the metrics as `memoryEstimate`), and outputs that take longer than `timeoutMs`
   * (queueing included). 0 lifts a limit; omitted ones stay as they are.
   */
  limits(options) {
    const o = v.plainObject('limits', options);
    this.#native.limits(
      v.optionalInteger('maxPixels', o.maxPixels, 0, Number.MAX_SAFE_INTEGER),
      v.optionalInteger('maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER),
      v.optionalInteger('timeoutMs', o.timeoutMs, 0, 2 ** 31 - 1),
      v.optionalInteger('maxMemory', o.maxMemory, 0, Number.MAX_SAFE_INTEGER),
    );
    return this;
  }

  /** Sets every limit from a policy: 'strict' (public uploads) or 'lenient' (trusted sources). */
  sanitize(options) {
    const o = v.plainObject('sanitize', options);
    this.#native.sanitize(v.oneOf('policy', o.policy, POLICIES));
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
    return this.#run(outputArgs(format, qualityOrOptions, fastMode), null).then((r) => r.data);
  }

  /** Like `toBuffer`, plus timings, sizes and peak RSS. */
  toBufferWithMetrics(format, qualityOrOptions, fastMode) {
    return this.#run(outputArgs(format, qualityOrOptions, fastMode), null);
  }

  /** Writes atomically (temp file + rename) and resolves to the number of bytes written. */
  toFile(path, format, qualityOrOptions, fastMode) {
    const args = outputArgs(format, qualityOrOptions, fastMode);
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
   * Applies this engine's recorded operations to each input file and writes the results
   * into `outDir` (created if missing), `<name>.<format>`, suffixed `-2`, `-3`… when two
   * inputs share a name. `processBatch(inputs, outDir, { format, quality, fastMode, concurrency, onProgress })`
   * or `processBatch(inputs, outDir, format, quality?, fastMode?, concurrency?)`. `onProgress`
   * receives `{ done, total, source, success, code? }` as each input finishes.
   * Resolves to one entry per input, in input order; a bad file fails only its entry.
   */
  processBatch(inputs, outDir, formatOrOptions, quality, fastMode, concurrency) {
    if (!Array.isArray(inputs)) throw typeError(`inputs must be an array of paths, got ${v.describe(inputs)}`);
    // Every index, holes included (map would skip them and leave them to the native side).
    const paths = [];
    for (let i = 0; i < inputs.length; i++) paths.push(v.path(`inputs[${i}]`, inputs[i]));
    const dir = v.path('outDir', outDir);
    let opts;
    if (typeof formatOrOptions === 'object' && formatOrOptions !== null) {
      if (quality !== undefined) throw typeError('pass quality, fastMode and concurrency inside the options object');
      opts = formatOrOptions;
    } else {
      opts = { format: formatOrOptions, quality, fastMode, concurrency };
    }
    const args = outputArgs(opts.format, opts);
    const c = opts.concurrency;
    // 0 or absent: the native side picks from the cores and the free (cgroup) memory.
    const workers = c === undefined || c === null || c === 0 ? 0 : v.integer('concurrency', c, 1, 1024);
    const durable = fsyncOption(opts);
    if (opts.onProgress === undefined) return this.#native.processBatch(paths, dir, ...args, workers, durable);
    if (typeof opts.onProgress !== 'function') {
      throw typeError(`onProgress must be a function, got ${typeof opts.onProgress}`);
    }
    return withProgress(paths.length, opts.onProgress, (report) => this.#native.processBatch(paths, dir, ...args, workers, durable, report));
  }

  #run(args, outPath, durable = true) {
    return this.#native.run(...args, outPath, durable);
  }
}

module.exports = { ImageEngine, outputArgs };
