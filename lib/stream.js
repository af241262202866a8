'use strict';
// Streams over the zero-copy engine: input bytes are staged to a temporary file, which is
// then memory-mapped by `fromPath`; the output is written to a temporary file and streamed
// from there. Memory stays bounded whatever the size; disk holds the input and the output.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PassThrough, Transform, Duplex, pipeline } = require('node:stream');
const { ImageEngine, outputArgs } = require('./engine');
const { codedError, typeError } = require('./errors');
const v = require('./validate');

/** Engine methods a stream's `ops` may name: the recorded operations and their settings. */
const OPS = [
  'resize', 'crop', 'rotate', 'flipH', 'flipV', 'grayscale', 'brightness', 'contrast',
  'autoOrient', 'keepMetadata', 'limits', 'sanitize',
];

/** Records `ops` (`[['resize', 800], ['rotate', 90]]`) on an engine, or checks them without one. */
function applyOps(engine, ops) {
  ops.forEach((op, i) => {
    const [name, ...args] = Array.isArray(op) ? op : [];
    if (!OPS.includes(name)) {
      throw typeError(`ops[${i}] must be [method, ...args] with method one of ${OPS.join(', ')}`);
    }
    if (engine) engine[name](...args);
  });
  return engine;
}

/**
 * `{ writable, readable, toDuplex() }`: write an encoded image into `writable`, read the
 * result from `readable`. Options: `format` (required), `quality`, `fastMode`, `effort`,
 * `lossless`, `ops`, `maxBytes` (refuses input beyond it while staging, before it fills
 * the disk), `tmpDir` (defaults to the OS temporary folder).
 */
function createStreamingPipeline(options) {
  const o = v.plainObject('options', options);
  const ops = o.ops === undefined ? [] : o.ops;
  if (!Array.isArray(ops)) throw typeError('ops must be an array of [method, ...args]');
  applyOps(null, ops);
  const maxBytes = v.optionalInteger('maxBytes', o.maxBytes, 0, Number.MAX_SAFE_INTEGER) || 0;
  const outputOptions = { quality: o.quality, fastMode: o.fastMode, effort: o.effort, lossless: o.lossless };
  // Validates the format and output options now, before any byte is staged.
  const [format] = outputArgs(o.format, outputOptions);

  const dir = fs.mkdtempSync(path.join(o.tmpDir === undefined ? os.tmpdir() : v.path('tmpDir', o.tmpDir), 'lazy-image-stream-'));
  const inPath = path.join(dir, 'input');
  const outPath = path.join(dir, `output.${format}`);
  // Removed once the readable side closes (end, error or destroy) and no output is being written.
  let processing = Promise.resolve();
  const readable = new PassThrough();
  readable.once('close', () => processing.finally(() => fs.rm(dir, { recursive: true, force: true }, () => {})));

  let staged = 0;
  const writable = new Transform({
    transform(chunk, _encoding, done) {
      staged += chunk.length;
      if (maxBytes > 0 && staged > maxBytes) {
        done(codedError(Error, 'INPUT_TOO_LARGE', `streamed input exceeds maxBytes (${maxBytes} bytes)`));
      } else {
        done(null, chunk);
      }
    },
  });

  pipeline(writable, fs.createWriteStream(inPath), (stagingError) => {
    if (stagingError) return readable.destroy(stagingError);
    if (readable.destroyed) return undefined;
    let engine;
    try {
      engine = applyOps(ImageEngine.fromPath(inPath), ops);
    } catch (err) {
      return readable.destroy(err);
    }
    processing = engine.toFile(outPath, format, outputOptions).then(
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

module.exports = { createStreamingPipeline };
