'use strict';
// `require('lazy-image/queue')`: the background serving shape, on BullMQ (Redis). A producer
// adds jobs `{ input, outputs: [{ path, format, quality, resize }], recipe }`; workers (any
// number of processes or machines on the same Redis) run them with fromPath and write every
// output atomically with toFile. BullMQ is the caller's dependency: pass the module (or its
// Worker/Queue classes), or it is required here when first needed.
//
// A failed job's error message starts with the engine's code (`LAZY_CORRUPT_INPUT: …`).
// Errors a retry cannot fix (bad input, bad arguments, limits) are BullMQ
// UnrecoverableErrors, so they fail at once; timeouts, a full queue and I/O errors are
// retried as the job's `attempts` allow.

const os = require('node:os');
const path = require('node:path');
const { ImageEngine, sweepTempFiles } = require('../index.js');
const { isLazyImageError, typeError } = require('./errors');
const { recipe, stepsOfRecipe } = require('./recipe');
const { outputArgs, formatOfPath } = require('./output');
const v = require('./validate');

const DEFAULT_QUEUE_NAME = 'lazy-image';

/** The codes a later attempt may succeed on; every other engine code fails the job at once. */
const RETRYABLE_CODES = Object.freeze(['LAZY_TIMEOUT', 'LAZY_QUEUE_FULL', 'LAZY_FILE_READ', 'LAZY_OUTPUT_WRITE', 'LAZY_SOURCE_CHANGED', 'LAZY_INTERNAL']);

function loadBullmq(given) {
  if (given !== undefined) return given;
  try {
    return require('bullmq');
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND') {
      throw new Error("lazy-image/queue needs BullMQ, which is not installed: run `npm install bullmq`, or pass { bullmq: require('bullmq') }");
    }
    throw err;
  }
}

const OUTPUT_KEYS = ['path', 'format', 'quality', 'resize'];

/**
 * The job data, checked and made plain (a Recipe becomes its JSON): what a producer adds
 * and a worker runs. Throws a coded TypeError/RangeError naming what is wrong.
 */
function imageJob(data) {
  v.knownKeys('job', v.plainObject('job', data), ['input', 'outputs', 'recipe'], 'imageJob');
  const input = v.string('input', data.input);
  if (!Array.isArray(data.outputs) || data.outputs.length === 0) throw typeError('job outputs must be a non-empty array of { path, format, quality, resize }');
  const outputs = data.outputs.map((o, i) => {
    v.knownKeys(`outputs[${i}]`, v.plainObject(`outputs[${i}]`, o), OUTPUT_KEYS, 'imageJob');
    const out = { path: v.string(`outputs[${i}].path`, o.path) };
    if (o.format !== undefined) out.format = v.string(`outputs[${i}].format`, o.format);
    if (o.quality !== undefined) out.quality = v.integer(`outputs[${i}].quality`, o.quality, 1, 100);
    if (o.resize !== undefined) {
      if (typeof o.resize === 'number') out.resize = { width: v.integer(`outputs[${i}].resize`, o.resize, 1, v.MAX_SIDE) };
      else out.resize = { ...v.plainObject(`outputs[${i}].resize`, o.resize) };
      // The resize method's own checks, now rather than in a worker.
      recipe().resize(out.resize);
    }
    // The format (named, or from the extension) and quality as toFile checks them.
    outputArgs(out.format ?? formatOfPath(out.path), out.quality);
    return out;
  });
  const job = { input, outputs };
  if (data.recipe !== undefined) {
    // Checked now, so a bad recipe fails the producer, not a worker later.
    const steps = stepsOfRecipe(data.recipe);
    job.recipe = { version: 1, steps: steps.map((s) => ({ ...s })) };
  }
  return job;
}

/**
 * Runs one job in this process: every output from one mapped input, each written
 * atomically. `onProgress(percent)` is called after each output. Resolves to
 * `{ outputs: [{ path, bytes }] }`.
 */
async function runImageJob(data, { onProgress } = {}) {
  const job = imageJob(data);
  const base = ImageEngine.fromPath(job.input);
  if (job.recipe) base.apply(job.recipe);
  const swept = new Set();
  const outputs = [];
  for (const [i, out] of job.outputs.entries()) {
    const engine = base.clone();
    if (out.resize) engine.resize(out.resize);
    const dir = path.dirname(path.resolve(out.path));
    if (!swept.has(dir)) {
      swept.add(dir);
      // A worker killed mid-write leaves its temporary file; the one that retries the job
      // removes those of processes that are gone before writing again.
      try {
        sweepTempFiles(dir);
      } catch {
        // The folder may not exist yet: toFile reports that properly.
      }
    }
    const bytes = await engine.toFile(out.path, out.format, out.quality === undefined ? undefined : { quality: out.quality });
    outputs.push({ path: out.path, bytes });
    if (onProgress) await onProgress(Math.round(((i + 1) / job.outputs.length) * 100));
  }
  return { outputs };
}

/** True when a later attempt may succeed (timeouts, a full queue, I/O); false for bad input. */
function isRetryable(err) {
  if (isLazyImageError(err)) return RETRYABLE_CODES.includes(err.code);
  // Not the engine's: a system error (EIO, ENOSPC, …) or a lost connection.
  return !(err instanceof TypeError || err instanceof RangeError);
}

/** The error a job fails with: its message starts with the code; unrecoverable when a retry cannot help. */
function jobError(err, bullmq) {
  const code = isLazyImageError(err) ? err.code : typeof err?.code === 'string' ? err.code : 'LAZY_INTERNAL';
  const message = `${code}: ${err instanceof Error ? err.message : String(err)}`;
  const Unrecoverable = bullmq?.UnrecoverableError ?? Error;
  const out = isRetryable(err) ? new Error(message) : new Unrecoverable(message);
  out.code = code;
  return out;
}

function workerClass(options) {
  if (options.Worker !== undefined) return { Worker: options.Worker, bullmq: options.bullmq ?? { UnrecoverableError: options.UnrecoverableError } };
  const bullmq = loadBullmq(options.bullmq);
  return { Worker: bullmq.Worker, bullmq };
}

/**
 * A BullMQ Worker that runs image jobs: `createWorker({ queueName, connection, concurrency,
 * bullmq | Worker, workerOptions, onError })`. Concurrency defaults to the number of cores.
 * A connection error (Redis restarting) is reported through `onError` (by default a line
 * on stderr, at most every 5 s) and BullMQ reconnects; it never ends the process.
 */
function createWorker(options = {}) {
  v.knownKeys('options', v.plainObject('options', options), ['queueName', 'connection', 'concurrency', 'bullmq', 'Worker', 'UnrecoverableError', 'workerOptions', 'onError'], 'createWorker');
  const { Worker, bullmq } = workerClass(options);
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  const concurrency = options.concurrency ?? (os.availableParallelism?.() ?? os.cpus().length);
  v.integer('concurrency', concurrency, 1, 1024);
  if (options.connection === undefined) throw typeError('createWorker needs a connection: { host, port } or an ioredis instance');
  const worker = new Worker(
    queueName,
    async (job) => {
      try {
        return await runImageJob(job.data, { onProgress: (p) => job.updateProgress(p) });
      } catch (err) {
        throw jobError(err, bullmq);
      }
    },
    { ...options.workerOptions, connection: options.connection, concurrency },
  );
  let last = 0;
  const onError =
    options.onError ??
    ((err) => {
      const now = Date.now();
      if (now - last < 5000) return;
      last = now;
      process.stderr.write(`lazy-image/queue: ${err && err.message ? err.message : err}\n`);
    });
  worker.on('error', onError);
  return worker;
}

/** A BullMQ Queue for image jobs: `createQueue({ queueName, connection, bullmq | Queue })`. */
function createQueue(options = {}) {
  v.knownKeys('options', v.plainObject('options', options), ['queueName', 'connection', 'bullmq', 'Queue', 'queueOptions'], 'createQueue');
  const Queue = options.Queue ?? loadBullmq(options.bullmq).Queue;
  if (options.connection === undefined) throw typeError('createQueue needs a connection: { host, port } or an ioredis instance');
  return new Queue(options.queueName ?? DEFAULT_QUEUE_NAME, { ...options.queueOptions, connection: options.connection });
}

/** Adds a checked image job; by default 3 attempts with exponential backoff from 1 s (retryable errors only). */
function addImageJob(queue, data, jobOptions = {}) {
  return queue.add('image', imageJob(data), { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, ...jobOptions });
}

module.exports = { createWorker, createQueue, addImageJob, imageJob, runImageJob, isRetryable, jobError, RETRYABLE_CODES, DEFAULT_QUEUE_NAME };
