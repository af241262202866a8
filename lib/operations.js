'use strict';
// The one table of recorded operations. Each entry says, once:
//   name    the method name, and the `op` of its recipe step
//   keys    the keys of its recipe step (besides `op`)
//   example valid arguments of the method, which the tests call every operation with
//   call    how the method's arguments become a step's object form (positional arguments
//           are named by these keys)
//   check   how that object form is validated and normalised into plain JSON values
//           (the same checks and messages for a method call and a recipe step)
//   record  how a normalised step is recorded on a native engine, when not as its JSON
//           (the core reads a step's JSON into its own `Op`, src/ops/mod.rs)
//   toJSON  the step as recipe JSON, when it holds more than plain values
// The ImageEngine and Recipe methods, recipe JSON and the stream `ops` names derive from it.

const { types } = require('node:util');
const native = require('../native.js');
const v = require('./validate');
const { colour, optionalColour } = require('./colour');
const { typeError, rangeError, withContext } = require('./errors');

// The named values come from the Rust core's lists (src/names.rs), written once there.
const { fits: FITS, kernels: KERNELS, gravities: GRAVITIES, strategies: STRATEGIES, blends: BLENDS, extendWith: EXTEND_WITH, failOn: FAIL_ON, policies: POLICIES } = native.vocabulary();

// CSS-like spellings of the gravities ('top', 'right top', 'center'), as sharp takes them.
const SIDES = { top: 'north', bottom: 'south', left: 'west', right: 'east' };
function gravityAlias(text) {
  const words = text.trim().toLowerCase().split(/\s+/);
  if (words.length === 1 && (words[0] === 'center' || words[0] === 'centre')) return 'centre';
  if (words.length === 1 && Object.hasOwn(SIDES, words[0])) return SIDES[words[0]];
  if (words.length === 2 && words.every((w) => Object.hasOwn(SIDES, w))) {
    const vertical = words.find((w) => w === 'top' || w === 'bottom');
    const horizontal = words.find((w) => w === 'left' || w === 'right');
    if (vertical && horizontal) return SIDES[vertical] + SIDES[horizontal];
  }
  return text;
}

/** A gravity name (or its CSS-like spelling); with `strategies`, 'entropy' and 'attention' too. */
function gravity(name, value, strategies = []) {
  if (typeof value !== 'string') throw typeError(`${name} must be a string, got ${v.describe(value)}`);
  return v.oneOf(name, gravityAlias(value), [...GRAVITIES, ...strategies]);
}

function optionalSigma(name, value) {
  if (value === undefined || value === null) return undefined;
  return v.number(name, value, 0.3, 1000);
}

/** `obj` without its undefined values, so a step and its JSON text hold the same keys. */
function plain(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, value]) => value !== undefined));
}

const OPERATIONS = [
  {
    // resize(width?, height?, fit?) or resize({ width, height, fit, position, background,
    // kernel, withoutEnlargement }); a missing side keeps the aspect ratio. `position` is
    // where a cover crop sits (a gravity, or 'entropy' / 'attention'); `background` what
    // contain pads with.
    name: 'resize',
    example: [200, null, 'inside'],
    keys: ['width', 'height', 'fit', 'position', 'background', 'kernel', 'withoutEnlargement'],
    // resize(width, height, { fit, … }) too, as sharp takes it.
    call: (widthOrOptions, height, fitOrOptions) => {
      if (typeof widthOrOptions === 'object' && widthOrOptions !== null) return widthOrOptions;
      if (typeof fitOrOptions === 'object' && fitOrOptions !== null) {
        const keys = ['fit', 'position', 'background', 'kernel', 'withoutEnlargement'];
        return { width: widthOrOptions, height, ...v.knownKeys('resize options', fitOrOptions, keys, 'resize(width, height, options)') };
      }
      return { width: widthOrOptions, height, fit: fitOrOptions };
    },
    check(o) {
      const width = v.optionalInteger('width', o.width, 1, v.MAX_SIDE);
      const height = v.optionalInteger('height', o.height, 1, v.MAX_SIDE);
      if (width === undefined && height === undefined) throw typeError('resize needs a width, a height or both');
      return plain({
        width,
        height,
        fit: o.fit === undefined ? 'inside' : v.oneOf('fit', o.fit, FITS),
        position: o.position === undefined ? undefined : gravity('position', o.position, STRATEGIES),
        background: optionalColour('background', o.background),
        kernel: o.kernel === undefined ? 'lanczos3' : v.oneOf('kernel', o.kernel, KERNELS),
        withoutEnlargement: v.optionalBoolean('withoutEnlargement', o.withoutEnlargement, false),
      });
    },
  },
  {
    // Keeps the width×height region whose top-left corner is (x, y).
    name: 'crop',
    example: [10, 5, 150, 100],
    keys: ['x', 'y', 'width', 'height'],
    call: (x, y, width, height) => ({ x, y, width, height }),
    check: (o) => ({
      x: v.integer('x', o.x, 0, v.MAX_SIDE),
      y: v.integer('y', o.y, 0, v.MAX_SIDE),
      width: v.integer('width', o.width, 1, v.MAX_SIDE),
      height: v.integer('height', o.height, 1, v.MAX_SIDE),
    }),
  },
  {
    // Clockwise by a multiple of 90 degrees (negative turns anticlockwise); kept as 0–270.
    name: 'rotate',
    example: [-90],
    keys: ['degrees'],
    call: (degrees) => ({ degrees }),
    check(o) {
      const degrees = v.number('degrees', o.degrees, -Infinity, Infinity);
      if (!Number.isInteger(degrees) || degrees % 90 !== 0) {
        throw rangeError(`degrees must be a multiple of 90, got ${degrees}`);
      }
      return { degrees: ((degrees % 360) + 360) % 360 };
    },
  },
  { name: 'flipH', keys: [], example: [], call: () => ({}), check: () => ({}) },
  { name: 'flipV', keys: [], example: [], call: () => ({}), check: () => ({}) },
  { name: 'grayscale', keys: [], example: [], call: () => ({}), check: () => ({}) },
  {
    // -100 (black) … 0 (unchanged) … 100 (twice as bright); rounded to an integer.
    name: 'brightness',
    example: [10.4],
    keys: ['value'],
    call: (value) => ({ value }),
    check: (o) => ({ value: Math.round(v.number('brightness', o.value, -100, 100)) }),
  },
  {
    // -100 (flat grey) … 0 (unchanged) … 100 (maximum contrast); rounded to an integer.
    name: 'contrast',
    example: [-20],
    keys: ['value'],
    call: (value) => ({ value }),
    check: (o) => ({ value: Math.round(v.number('contrast', o.value, -100, 100)) }),
  },
  {
    // sharpen() is a fast mild sharpen; sharpen({ sigma, m1, m2, x1, y2, y3 }) (or
    // sharpen(sigma)) an unsharp mask on lightness as libvips does it: sigma the detail's
    // size in pixels, m1/m2 the gain on flat/jagged areas, x1 where jagged begins, y2/y3 the
    // most a pixel is brightened/darkened (L* units). Alpha is untouched.
    name: 'sharpen',
    example: [{ sigma: 1.5 }],
    keys: ['sigma', 'm1', 'm2', 'x1', 'y2', 'y3'],
    call: (options) => (typeof options === 'number' ? { sigma: options } : options === undefined ? {} : v.plainObject('sharpen options', options)),
    check: (o) =>
      plain({
        sigma: optionalSigma('sigma', o.sigma),
        m1: o.m1 === undefined ? undefined : v.number('m1', o.m1, 0, 1000000),
        m2: o.m2 === undefined ? undefined : v.number('m2', o.m2, 0, 1000000),
        x1: o.x1 === undefined ? undefined : v.number('x1', o.x1, 0, 1000000),
        y2: o.y2 === undefined ? undefined : v.number('y2', o.y2, 0, 1000000),
        y3: o.y3 === undefined ? undefined : v.number('y3', o.y3, 0, 1000000),
      }),
  },
  {
    // blur(sigma): a Gaussian blur (sigma 0.3–1000 pixels); blur() a fast 3×3 box blur.
    // Alpha is premultiplied while blurring.
    name: 'blur',
    example: [2],
    keys: ['sigma'],
    call: (sigma) => (typeof sigma === 'object' && sigma !== null ? sigma : { sigma }),
    check: (o) => plain({ sigma: optionalSigma('sigma', o.sigma) }),
  },
  {
    // Merges alpha onto `background` (default white) and drops the alpha channel.
    name: 'flatten',
    example: [{ background: '#ff8000' }],
    keys: ['background'],
    call: (options) => (options === undefined ? {} : v.plainObject('flatten options', options)),
    check: (o) => ({ background: o.background === undefined ? [255, 255, 255, 255] : colour('background', o.background) }),
  },
  {
    // Adds a border: extend(n) on all four sides, or extend({ top, right, bottom, left,
    // background, extendWith }) filled with `background` (default black; a transparent one
    // adds alpha), or the edge pixels 'copy'-ed, the image 'repeat'-ed or 'mirror'-ed.
    name: 'extend',
    example: [{ top: 4, left: 8, background: 'white', extendWith: 'background' }],
    keys: ['top', 'right', 'bottom', 'left', 'background', 'extendWith'],
    call: (options) => (typeof options === 'number' ? { top: options, right: options, bottom: options, left: options } : v.plainObject('extend options', options)),
    check(o) {
      const side = (name) => v.optionalInteger(name, o[name], 0, v.MAX_SIDE) ?? 0;
      const sides = { top: side('top'), right: side('right'), bottom: side('bottom'), left: side('left') };
      return {
        ...sides,
        background: o.background === undefined ? [0, 0, 0, 255] : colour('background', o.background),
        extendWith: o.extendWith === undefined ? 'background' : v.oneOf('extendWith', o.extendWith, EXTEND_WITH),
      };
    },
  },
  {
    // Removes the border of one colour: `background` (default the top-left pixel's), each
    // channel within `threshold` (default 10) of it. What was removed is in the metrics
    // (trimTop, trimRight, trimBottom, trimLeft).
    name: 'trim',
    example: [{ threshold: 20 }],
    keys: ['background', 'threshold'],
    call: (options) => (options === undefined ? {} : v.plainObject('trim options', options)),
    check: (o) =>
      plain({
        background: optionalColour('background', o.background),
        threshold: o.threshold === undefined ? 10 : v.number('threshold', o.threshold, 0, 255),
      }),
  },
  {
    // Draws images onto this one, in order: each layer { input, gravity, top, left, tile,
    // blend, opacity }. `input` is a path, a Buffer (or other bytes) or another
    // ImageEngine (its own operations applied first); it is decoded under this image's
    // limits and deadline. `gravity` places it (default 'centre'); `top` and `left`
    // (together) place its corner instead; `tile` repeats it over the image; `blend` is
    // one of the blend modes (default 'over'); `opacity` 0–1 multiplies its alpha.
    name: 'composite',
    example: [[{ input: require('node:path').join(__dirname, '..', 'examples', 'sample.jpg'), gravity: 'southeast', tile: true, opacity: 0.5 }]],
    keys: ['layers'],
    call: (layers) => (Array.isArray(layers) ? { layers } : layers),
    check(o) {
      if (!Array.isArray(o.layers) || o.layers.length === 0) {
        throw typeError(`composite takes a non-empty array of layers like [{ input: 'logo.png', gravity: 'southeast' }], got ${v.describe(o.layers)}`);
      }
      const layers = o.layers.map((layer, i) =>
        withContext(`layer ${i}`, () => {
          const l = v.knownKeys(`layer ${i}`, layer, LAYER_KEYS, 'a composite layer');
          const top = v.optionalInteger('top', l.top, -v.MAX_SIDE, v.MAX_SIDE);
          const left = v.optionalInteger('left', l.left, -v.MAX_SIDE, v.MAX_SIDE);
          if ((top === undefined) !== (left === undefined)) throw typeError('give both top and left, or neither (then gravity places the layer)');
          return Object.freeze(
            plain({
              input: layerInput(l.input),
              gravity: l.gravity === undefined ? 'centre' : gravity('gravity', l.gravity),
              top,
              left,
              tile: v.optionalBoolean('tile', l.tile, false),
              blend: l.blend === undefined ? 'over' : v.oneOf('blend', l.blend, BLENDS),
              opacity: l.opacity === undefined ? 1 : v.number('opacity', l.opacity, 0, 1),
            }),
          );
        }),
      );
      return { layers: Object.freeze(layers) };
    },
    // Only a path can cross a process as JSON.
    toJSON(s) {
      const layers = s.layers.map((l, i) => {
        if (typeof l.input !== 'string') {
          throw typeError(`composite layer ${i} reads a Buffer or an ImageEngine, which recipe JSON cannot carry; give the layer a file path`);
        }
        return { ...l };
      });
      return { op: 'composite', layers };
    },
    record(engine, s) {
      for (const l of s.layers) {
        engine.compositeLayer(nativeInput(l.input), l.gravity, l.left ?? null, l.top ?? null, l.tile, l.blend, l.opacity);
      }
    },
  },
  {
    // Which damage to the pixel data refuses the input, least strict first: 'none' (decode
    // what is there; a file cut short is filled out), 'truncated' (refuse a file cut short),
    // 'error' (also damaged data), 'warning' (any decoder warning; the default). JPEG and
    // PNG only: WebP and AVIF decoders give no partial image. Also a source option:
    // fromPath(path, { failOn }).
    name: 'failOn',
    example: ['truncated'],
    keys: ['level'],
    call: (level) => ({ level }),
    check: (o) => ({ level: v.oneOf('failOn', o.level, FAIL_ON) }),
    record: (engine, s) => engine.failOn(s.level),
  },
  {
    // Which frames of an animated input (GIF, WebP, AVIF sequence) are read: -1 all (the
    // default; the output stays animated when its format holds animation, else it gets the
    // first frame), 1 the first only. Also a source option: fromPath(path, { pages: 1 }).
    name: 'pages',
    example: [1],
    keys: ['count'],
    call: (count) => ({ count }),
    check: (o) => {
      if (o.count !== 1 && o.count !== -1) throw rangeError(`pages is 1 (the first frame only) or -1 (every frame), got ${v.describe(o.count)}`);
      return { count: o.count };
    },

    record: (engine, s) => engine.firstPageOnly(s.count === 1),
  },
  {
    // Applies the EXIF orientation before other operations (on by default).
    name: 'autoOrient',
    example: [false],
    keys: ['enabled'],
    call: (enabled) => ({ enabled }),
    check: (o) => ({ enabled: v.boolean('enabled', o.enabled === undefined ? true : o.enabled) }),
    record: (engine, s) => engine.autoOrient(s.enabled),
  },
  {
    // Carries metadata into the output (the default strips all of it). With no argument, ICC
    // and EXIF are kept; with an object, each omitted kind is stripped. GPS is removed from
    // kept EXIF unless `stripGps: false`. An ICC profile that is not kept is applied instead:
    // the pixels are converted to sRGB.
    name: 'keepMetadata',
    example: [{ icc: true }],
    keys: ['icc', 'exif', 'stripGps'],
    call: (options) => (options === undefined ? { icc: true, exif: true } : v.plainObject('options', options)),
    check: (o) => ({
      icc: v.optionalBoolean('icc', o.icc, false),
      exif: v.optionalBoolean('exif', o.exif, false),
      stripGps: v.optionalBoolean('stripGps', o.stripGps, true),
    }),
    record: (engine, s) => engine.keepMetadata(s.icc, s.exif, s.stripGps),
  },
  {
    // Refuses inputs over `maxPixels` (from the header, before decoding) or `maxBytes`, jobs
    // whose estimated memory exceeds `maxMemory` bytes (before decoding; the estimate is in
    // the metrics as `memoryEstimate`), and outputs that take longer than `timeoutMs`
    // (queueing included); animations of more than `maxFrames` frames or `maxTotalPixels`
    // pixels in all frames together (from the header). 0 lifts a limit; omitted ones stay
    // as they are.
    name: 'limits',
    example: [{ maxPixels: 50_000_000, timeoutMs: 20_000 }],
    keys: ['maxPixels', 'maxBytes', 'timeoutMs', 'maxMemory', 'maxFrames', 'maxTotalPixels'],
    call: (options) => v.plainObject('limits', options),
    check: (o) =>
      plain({
        maxPixels: v.optionalInteger('maxPixels', o.maxPixels, 0, Number.MAX_SAFE_INTEGER),
        maxBytes: v.optionalInteger('maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER),
        timeoutMs: v.optionalInteger('timeoutMs', o.timeoutMs, 0, 2 ** 31 - 1),
        maxMemory: v.optionalInteger('maxMemory', o.maxMemory, 0, Number.MAX_SAFE_INTEGER),
        maxFrames: v.optionalInteger('maxFrames', o.maxFrames, 0, Number.MAX_SAFE_INTEGER),
        maxTotalPixels: v.optionalInteger('maxTotalPixels', o.maxTotalPixels, 0, Number.MAX_SAFE_INTEGER),
      }),
    record: (engine, s) => engine.limits(s.maxPixels, s.maxBytes, s.timeoutMs, s.maxMemory, s.maxFrames, s.maxTotalPixels),

  },
  {
    // Sets every limit from a policy: 'strict' (public uploads) or 'lenient' (trusted sources).
    name: 'sanitize',
    example: [{ policy: 'lenient' }],
    keys: ['policy'],
    call: (options) => v.plainObject('sanitize', options),
    check: (o) => ({ policy: v.oneOf('policy', o.policy, POLICIES) }),
    record: (engine, s) => engine.sanitize(s.policy),
  },
];

const LAYER_KEYS = ['input', 'gravity', 'top', 'left', 'tile', 'blend', 'opacity'];

// The native engine of an ImageEngine, under a key only this package uses.
const NATIVE = Symbol('lazy-image native engine');

/**
 * A layer's input as a step keeps it: a path, an ImageEngine, or a copy of the bytes taken
 * now (so the caller may reuse its buffer at once).
 */
function layerInput(input) {
  if (typeof input === 'string' || input instanceof URL) return v.path('input', input);
  if (input !== null && typeof input === 'object' && typeof input[NATIVE] === 'function') return input;
  if (v.byteSize(input) !== undefined || types.isProxy(input)) return Buffer.from(v.toBytes(input, 'input'));
  throw typeError(`input must be a path, a Buffer (or Uint8Array, ArrayBuffer) or an ImageEngine, got ${v.describe(input)}`);
}

/** The native engine a layer's input reads (a path is mapped when the step is recorded). */
function nativeInput(input) {
  if (typeof input === 'string') return native.NativeEngine.fromPath(input);
  if (Buffer.isBuffer(input)) return native.NativeEngine.fromBuffer(input);
  return input[NATIVE]();
}

const BY_NAME = new Map(OPERATIONS.map((op) => [op.name, op]));
const OPERATION_NAMES = Object.freeze(OPERATIONS.map((op) => op.name));

/** The normalised, frozen step `{ op, ...args }` for a method call `name(...args)`. */
function stepFromCall(name, args) {
  const op = BY_NAME.get(name);
  // An options object given by the caller has only the operation's keys.
  return Object.freeze({ op: name, ...op.check(v.knownKeys(`${name} options`, op.call(...args), op.keys, name)) });
}

/**
 * The normalised, frozen step for a recipe JSON entry, or a coded TypeError/RangeError that
 * begins with `where` (`steps[2]`): the entry is an object whose `op` names an operation,
 * whose other keys are that operation's, and whose values pass the method's own checks.
 */
function stepFromJSON(entry, where) {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw typeError(`${where} must be an object like { op: 'resize', width: 800 }, got ${v.describe(entry)}`);
  }
  const name = withContext(where, () => v.oneOf('op', entry.op, OPERATION_NAMES));
  const op = BY_NAME.get(name);
  const { op: _name, ...args } = entry;
  v.knownKeys(`${where} (${name})`, args, op.keys, name);
  return Object.freeze({ op: name, ...withContext(`${where} (${name})`, () => op.check(entry)) });
}

/** A step as recipe JSON holds it: plain values only. */
function stepToJSON(step) {
  const { toJSON } = BY_NAME.get(step.op);
  return toJSON ? toJSON(step) : { ...step };
}

/** Records a normalised step on a native engine: by its own `record`, or as its JSON. */
function recordStep(nativeEngine, step) {
  const { record } = BY_NAME.get(step.op);
  if (record) record(nativeEngine, step);
  else nativeEngine.pushStep(JSON.stringify(step));
}

/**
 * Adds one method per operation to `proto`: each validates its arguments into a step, hands
 * it to `push(target, step)` and returns the target. `methods` holds every method made here.
 */
const methods = new WeakSet();
function addOperationMethods(proto, push) {
  for (const { name } of OPERATIONS) {
    const method = {
      [name](...args) {
        push(this, stepFromCall(name, args));
        return this;
      },
    }[name];
    methods.add(method);
    Object.defineProperty(proto, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}

module.exports = { OPERATIONS, OPERATION_NAMES, stepFromCall, stepFromJSON, stepToJSON, recordStep, addOperationMethods, methods, NATIVE };
