'use strict';
// The one table of recorded operations. Each entry says, once:
//   name    the method name, and the `op` of its recipe step
//   keys    the keys of its recipe step (besides `op`)
//   example valid arguments of the method, which the tests call every operation with
//   call    how the method's arguments become a step's object form (positional arguments
//           are named by these keys)
//   check   how that object form is validated and normalised into plain JSON values
//           (the same checks and messages for a method call and a recipe step)
//   record  how a normalised step is recorded on a native engine
// The ImageEngine and Recipe methods, recipe JSON and the stream `ops` names derive from it.

const native = require('../native.js');
const v = require('./validate');
const { typeError, rangeError, withContext } = require('./errors');

// The named values come from the Rust core's lists (src/names.rs), written once there.
const { fits: FITS, kernels: KERNELS, policies: POLICIES } = native.vocabulary();

/** `obj` without its undefined values, so a step and its JSON text hold the same keys. */
function plain(obj) {
  return Object.fromEntries(Object.entries(obj).filter(([, value]) => value !== undefined));
}

const OPERATIONS = [
  {
    // resize(width?, height?, fit?) or resize({ width, height, fit, kernel, withoutEnlargement });
    // a missing side keeps the aspect ratio.
    name: 'resize',
    example: [200, null, 'inside'],
    keys: ['width', 'height', 'fit', 'kernel', 'withoutEnlargement'],
    // resize(width, height, { fit, kernel, withoutEnlargement }) too, as sharp takes it.
    call: (widthOrOptions, height, fitOrOptions) => {
      if (typeof widthOrOptions === 'object' && widthOrOptions !== null) return widthOrOptions;
      if (typeof fitOrOptions === 'object' && fitOrOptions !== null) {
        const o = v.knownKeys('resize options', fitOrOptions, ['fit', 'kernel', 'withoutEnlargement'], 'resize(width, height, options)');
        return { width: widthOrOptions, height, fit: o.fit, kernel: o.kernel, withoutEnlargement: o.withoutEnlargement };
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
        kernel: o.kernel === undefined ? 'lanczos3' : v.oneOf('kernel', o.kernel, KERNELS),
        withoutEnlargement: v.optionalBoolean('withoutEnlargement', o.withoutEnlargement, false),
      });
    },
    record: (engine, s) => engine.resize(s.width, s.height, s.fit, s.kernel, s.withoutEnlargement),
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
    record: (engine, s) => engine.crop(s.x, s.y, s.width, s.height),
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
    record: (engine, s) => engine.rotate(s.degrees / 90),
  },
  { name: 'flipH', keys: [], example: [], call: () => ({}), check: () => ({}), record: (engine) => engine.flipH() },
  { name: 'flipV', keys: [], example: [], call: () => ({}), check: () => ({}), record: (engine) => engine.flipV() },
  { name: 'grayscale', keys: [], example: [], call: () => ({}), check: () => ({}), record: (engine) => engine.grayscale() },
  {
    // -100 (black) … 0 (unchanged) … 100 (twice as bright); rounded to an integer.
    name: 'brightness',
    example: [10.4],
    keys: ['value'],
    call: (value) => ({ value }),
    check: (o) => ({ value: Math.round(v.number('brightness', o.value, -100, 100)) }),
    record: (engine, s) => engine.brightness(s.value),
  },
  {
    // -100 (flat grey) … 0 (unchanged) … 100 (maximum contrast); rounded to an integer.
    name: 'contrast',
    example: [-20],
    keys: ['value'],
    call: (value) => ({ value }),
    check: (o) => ({ value: Math.round(v.number('contrast', o.value, -100, 100)) }),
    record: (engine, s) => engine.contrast(s.value),
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
    // (queueing included). 0 lifts a limit; omitted ones stay as they are.
    name: 'limits',
    example: [{ maxPixels: 50_000_000, timeoutMs: 20_000 }],
    keys: ['maxPixels', 'maxBytes', 'timeoutMs', 'maxMemory'],
    call: (options) => v.plainObject('limits', options),
    check: (o) =>
      plain({
        maxPixels: v.optionalInteger('maxPixels', o.maxPixels, 0, Number.MAX_SAFE_INTEGER),
        maxBytes: v.optionalInteger('maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER),
        timeoutMs: v.optionalInteger('timeoutMs', o.timeoutMs, 0, 2 ** 31 - 1),
        maxMemory: v.optionalInteger('maxMemory', o.maxMemory, 0, Number.MAX_SAFE_INTEGER),
      }),
    record: (engine, s) => engine.limits(s.maxPixels, s.maxBytes, s.timeoutMs, s.maxMemory),
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

/** Records a normalised step on a native engine. */
function recordStep(nativeEngine, step) {
  BY_NAME.get(step.op).record(nativeEngine, step);
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

module.exports = { OPERATIONS, OPERATION_NAMES, stepFromCall, stepFromJSON, recordStep, addOperationMethods, methods };
