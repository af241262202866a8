'use strict';
// Streams over the zero-copy engine: input bytes are staged to a temporary file, which is
// then memory-mapped by `fromPath`; the output is written to a temporary file and streamed
// from there. Memory stays bounded whatever the size; disk holds the input and the output.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PassThrough, Transform, Duplex, pipeline } = require('node:stream');
const { ImageEngine } = require('./engine');
const { encoderSpec, encoderOptions, OUTPUT_KEYS } = require('./output');
const { OPERATION_NAMES } = require('./operations');
const { recipe, stepsOfRecipe } = require('./recipe');
const { codedError, typeError, withContext } = require('./errors');
const v = require('./validate');

/** Engine methods a stream's `ops` may name: the operations of the table in operations.js. */
const OPS = OPERATION_NAMES;

/** `ops` tuples (`[['resize', 800], ['rotate', 90]]`) as a recipe, each checked by its method. */
function recipeFromOps(ops) {
  if (!Array.isArray(ops)) throw typeError(`ops must be an array of [method, ...args], got ${v.describe(ops)}`);
  const r = recipe();
  ops.forEach((op, i) => {
    const [name, ...args] = Array.isArray(op) ? op : [];
    if (!OPS.includes(name)) {
      throw typeError(`ops[${i}] must be [method, ...args] with method one of ${OPS.join(', ')}`);
    }
    withContext(`ops[${i}] (${name})`, () => r[name](...args));
  });
  return r;
}

/**
 * The recipe a stream records, a copy checked now, and how its messages name a step: from
 * `recipe` (a Recipe or its JSON) or from `ops` tuples; never both.
 */
function pipelineRecipe(o) {
  if (o.recipe !== undefined && o.ops !== undefined) {
    throw typeError('pass either recipe or ops to createStreamingPipeline, not both');
  }
  if (o.recipe !== undefined) return { recipe: recipe(o.recipe), where: (i) => `recipe steps[${i}]` };
  return { recipe: recipeFromOps(o.ops === undefined ? [] : o.ops), where: (i) => `ops[${i}]` };
}

/** The keys of `createStreamingPipeline`'s options. */
const STREAM_KEYS = Object.freeze(['format', ...OUTPUT_KEYS, 'recipe', 'ops', 'maxBytes', 'tmpDir']);

const MIB = 1024 * 1024;

/** Staging limit when neither `maxBytes` nor the ops set one: 256 MiB. */
const DEFAULT_STAGING_LIMIT = 256 * MIB;

/** The input byte limit of each sanitize policy (the core's table: strict 32 MiB, lenient 48 MiB). */
const POLICY_BYTES = Object.freeze({ strict: 32 * MIB, lenient: 48 * MIB });

/**
 * The byte limit applied while the input is staged, and where it comes from:
 * `{ bytes, from, source }`, `bytes` 0 for none, `from` one of 'maxBytes', 'ops', 'default'.
 * An explicit `maxBytes` wins (0 = no limit); else the limit the steps give the engine: the
 * later of the last sanitize step (its policy's byte limit) and the last limits step with a
 * `maxBytes` (later steps override earlier ones, as the engine records them); else
 * `DEFAULT_STAGING_LIMIT`, also when the steps lift the engine's byte limit (`limits` with
 * `maxBytes: 0`). `ops` are `[method, ...args]` tuples, checked on the way; without them,
 * the steps of `options.recipe`.
 */
function stagingLimit(options, ops) {
  const o = options === undefined ? {} : v.knownKeys('options', options, STREAM_KEYS, 'createStreamingPipeline');
  const piped = pipelineRecipe({ recipe: ops === undefined ? o.recipe : undefined, ops });
  return limitOf(o, piped.recipe, piped.where);
}

/** `stagingLimit` for a checked recipe, `where(i)` naming its step `i` in the message. */
function limitOf(o, checked, where) {
  const explicit = v.optionalInteger('maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER);
  let fromOps = null;
  stepsOfRecipe(checked).forEach((step, i) => {
    if (step.op === 'sanitize') {
      fromOps = { bytes: POLICY_BYTES[step.policy], from: 'ops', source: `the limit of the '${step.policy}' sanitize policy (${where(i)})` };
    } else if (step.op === 'limits' && step.maxBytes !== undefined) {
      fromOps = { bytes: step.maxBytes, from: 'ops', source: `the limit set by the limits op (${where(i)})` };
    }
  });
  if (explicit !== undefined) return { bytes: explicit, from: 'maxBytes', source: 'the limit set by the maxBytes option' };
  if (fromOps !== null && fromOps.bytes > 0) return fromOps;
  return { bytes: DEFAULT_STAGING_LIMIT, from: 'default', source: 'the default staging limit (256 MiB)' };
}

function inputTooLarge(limit) {
  const raise = {
    maxBytes: 'pass a larger maxBytes (0 for no limit) to raise it',
    ops: "the maxBytes option raises the staging limit (0 for no limit); the engine still applies the op's own limit",
    default: 'pass maxBytes (0 for no limit) to raise it',
  }[limit.from];
  return codedError(Error, 'INPUT_TOO_LARGE', `streamed input exceeds ${limit.bytes} bytes, ${limit.source}; refused while staging: ${raise}`);
}

/** A fresh staging folder under `tmpDir`, or a coded error saying what is wrong with it. */
function stagingFolder(tmpDir) {
  const parent = tmpDir === undefined ? os.tmpdir() : v.path('tmpDir', tmpDir);
  try {
    return fs.mkdtempSync(path.join(parent, 'lazy-image-stream-'));
  } catch (err) {
    const what = tmpDir === undefined ? `the OS temporary folder ${v.quoted(parent)} (the default tmpDir)` : `tmpDir ${v.quoted(parent)}`;
    throw codedError(Error, 'OUTPUT_WRITE', `${what} must be an existing writable folder; staging a stream there failed with ${v.printable(err.code || 'an error')}`);
  }
}

/** A failure to write the staging file (disk full, say) as LAZY_OUTPUT_WRITE; others as they are. */
function stagingCoded(err, dir) {
  if (typeof err.code === 'string' && err.code.startsWith('LAZY_')) return err;
  if (typeof err.syscall !== 'string') return err;
  return codedError(Error, 'OUTPUT_WRITE', `staging the streamed input in ${v.quoted(dir)} failed with ${v.printable(err.code || 'an error')}`);
}

/**
 * `{ writable, readable, toDuplex() }`: write an encoded image into `writable`, read the
 * result from `readable`. Options: `format` (required), toBuffer's encoder options
 * (`quality`, `fastMode`, `effort`, …), `recipe` (a Recipe or its JSON) or `ops` (`[method, ...args]` tuples), `maxBytes`,
 * `tmpDir` (an existing writable folder; defaults to the OS temporary folder). Input beyond
 * the staging limit is refused with LAZY_INPUT_TOO_LARGE while it is staged, before it
 * fills the disk: `maxBytes` if given (0 = no limit), else the byte limit of the last
 * `sanitize` policy or `limits` step, else 256 MiB (see `stagingLimit`).
 */
function createStreamingPipeline(options) {
  const o = v.knownKeys('options', options, STREAM_KEYS, 'createStreamingPipeline');
  // Every step is checked now, before any byte is staged.
  const piped = pipelineRecipe(o);
  const limit = limitOf(o, piped.recipe, piped.where);
  const outputOptions = encoderOptions(o);
  // Validates the format and output options now, before any byte is staged.
  const { format } = encoderSpec(o.format, outputOptions);

  const dir = stagingFolder(o.tmpDir);
  const inPath = path.join(dir, 'input');
  const outPath = path.join(dir, `output.${format}`);
  const sink = fs.createWriteStream(inPath);
  const sinkClosed = new Promise((resolve) => sink.once('close', resolve));
  // Removed once the readable side closes (end, error or destroy), the staging file is
  // closed and no output is being written.
  let processing = Promise.resolve();
  const readable = new PassThrough();
  readable.once('close', () => {
    sinkClosed.then(() => processing).finally(() => fs.rm(dir, { recursive: true, force: true }, () => {}));
  });

  let staged = 0;
  const writable = new Transform({
    transform(chunk, _encoding, done) {
      staged += chunk.length;
      // The chunk that would cross the limit is refused: nothing past it reaches the disk.
      if (limit.bytes > 0 && staged > limit.bytes) {
        done(inputTooLarge(limit));
      } else {
        done(null, chunk);
      }
    },
  });

  pipeline(writable, sink, (stagingError) => {
    if (stagingError) return readable.destroy(stagingCoded(stagingError, dir));
    if (readable.destroyed) return undefined;
    let engine;
    try {
      engine = ImageEngine.fromPath(inPath).apply(piped.recipe);
    } catch (err) {
      return readable.destroy(err);
    }
    // A staged output is read back at once and removed: no need to flush it to disk.
    processing = engine.toFile(outPath, format, { ...outputOptions, fsync: false }).then(
      () => {
        if (readable.destroyed) return;
        pipeline(fs.createReadStream(outPath), readable, () => {});
      },
      (err) => readable.destroy(err),
    );
    return undefined;
  });
  // A consumer that stops reading also stops the staging.
  readable.once('close', () => {
    if (!writable.writableFinished) writable.destroy();
  });

  return {
    writable,
    readable,
    /** Both sides as one Duplex, for `stream.pipeline(req, duplex, res)`. */
    toDuplex: () => Duplex.from({ writable, readable }),
  };
}

module.exports = { createStreamingPipeline, stagingLimit };
