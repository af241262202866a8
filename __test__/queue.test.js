'use strict';
// lazy-image/queue on a real redis-server and BullMQ: worker processes (the example,
// examples/queue-worker.js) finish every job even when one of them is SIGKILLed mid-job or
// Redis itself is killed and restarted; a corrupt input fails at once with the engine's
// code while a timeout is retried. Every output is decoded with sharp.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { fork } = require('node:child_process');
const { recipe } = require('..');
const { createWorker, createQueue, addImageJob, imageJob } = require('lazy-image/queue');
const { sharp } = require('./helpers');
const { SAMPLE, freshDir } = require('./serving');
const { redisBinary, startRedis } = require('./redis');

const skip = redisBinary() === null ? 'redis-server is not installed (apt-get install redis-server); .ci/run installs it' : false;
const WORKER = path.join(__dirname, '..', 'examples', 'queue-worker.js');

/** Forks the example worker; `events` collects what it reports. */
function startWorker(redis, queueName, extraEnv = {}) {
  const child = fork(WORKER, [], {
    env: { ...process.env, REDIS_URL: `redis://127.0.0.1:${redis.port}`, QUEUE_NAME: queueName, CONCURRENCY: '2', ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr.resume();
  const events = [];
  const listeners = new Set();
  child.on('message', (m) => {
    events.push(m);
    for (const l of listeners) l(m);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    child,
    events,
    exited,
    onEvent: (fn) => listeners.add(fn),
    ready: new Promise((resolve) => listeners.add((m) => m.event === 'ready' && resolve())),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Cleanups run last-registered first (queues close before the workers, workers before Redis). */
function cleanups(t) {
  const stack = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return (fn) => stack.push(fn);
}

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every output is whole: sharp decodes it at the expected width; nothing else is in the folder. */
async function checkOutputs(outDir, expected) {
  const names = fs.readdirSync(outDir).sort();
  assert.deepEqual(names, [...expected.keys()].sort(), 'exactly the outputs, no temporary file');
  for (const [name, { width, format }] of expected) {
    const meta = await sharp(path.join(outDir, name)).metadata();
    assert.deepEqual([meta.format, meta.width], [format, width], name);
  }
}

test('200 jobs over 3 worker processes all complete; one worker SIGKILLed mid-job has its jobs finished by the others', { skip, timeout: 90_000 }, async (t) => {
  const later = cleanups(t);
  const { Queue, QueueEvents } = require('bullmq');
  const redis = await startRedis(freshDir('redis'));
  later(() => redis.stop());
  const queueName = 'kill-test';
  const outDir = freshDir('out');
  const env = { LOCK_DURATION_MS: '1500', STALLED_INTERVAL_MS: '500' };
  const workers = [0, 1, 2].map(() => startWorker(redis, queueName, env));
  later(() => Promise.all(workers.map((w) => w.stop())));
  await Promise.all(workers.map((w) => w.ready));

  const events = new QueueEvents(queueName, { connection: redis.connection });
  later(() => events.close());
  await events.waitUntilReady();
  const stalled = new Set();
  events.on('stalled', ({ jobId }) => stalled.add(jobId));

  // Jobs 40-59 are slow (a 1200 px WebP), so the victim is surely mid-job when it dies.
  const slow = (i) => i >= 40 && i < 60;
  const expected = new Map();
  const jobs = Array.from({ length: 200 }, (_, i) => {
    const name = `${i}.webp`;
    expected.set(name, { width: slow(i) ? 1200 : 64, format: 'webp' });
    const data = imageJob({ input: SAMPLE, outputs: [{ path: path.join(outDir, name), quality: 60, resize: slow(i) ? 1200 : 64 }], recipe: recipe().autoOrient() });
    return { name: 'image', data, opts: { jobId: `job-${i}`, attempts: 3 } };
  });
  const [victim] = workers;
  const slowIds = new Set(jobs.filter((_, i) => slow(i)).map((j) => j.opts.jobId));
  let killedDuring = null;
  victim.onEvent((m) => {
    if (m.event === 'active' && slowIds.has(m.id) && killedDuring === null) {
      killedDuring = m.id;
      victim.child.kill('SIGKILL');
    }
  });
  const queue = new Queue(queueName, { connection: redis.connection });
  queue.on('error', () => {});
  later(() => queue.close());
  await queue.addBulk(jobs);

  const counts = await until('200 completed jobs', async () => {
    const c = await queue.getJobCounts('completed', 'failed');
    return c.completed + c.failed === 200 ? c : null;
  }, 75_000);
  assert.deepEqual(counts, { completed: 200, failed: 0 });
  assert.ok(killedDuring !== null, 'the victim took a slow job');
  assert.equal(victim.child.signalCode, 'SIGKILL');
  assert.ok(stalled.has(killedDuring), `the job the victim died in (${killedDuring}) was recovered as stalled`);
  const finisher = workers.slice(1).find((w) => w.events.some((m) => m.event === 'completed' && m.id === killedDuring));
  assert.ok(finisher, 'another worker completed it');
  const job = await queue.getJob(killedDuring);
  assert.equal(job.returnvalue.outputs[0].path, path.join(outDir, job.data.outputs[0].path.split(path.sep).pop()));
  // Every worker took part.
  for (const w of workers) assert.ok(w.events.some((m) => m.event === 'active'), `worker ${w.child.pid} ran jobs`);
  await checkOutputs(outDir, expected);
});

test('Redis killed and restarted mid-run: the workers reconnect and every job, before and after, completes', { skip, timeout: 90_000 }, async (t) => {
  const later = cleanups(t);
  const { Queue } = require('bullmq');
  const redis = await startRedis(freshDir('redis'), { persistent: true });
  later(() => redis.stop());
  const queueName = 'restart-test';
  const outDir = freshDir('out');
  const env = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' };
  const workers = [0, 1].map(() => startWorker(redis, queueName, env));
  later(() => Promise.all(workers.map((w) => w.stop())));
  await Promise.all(workers.map((w) => w.ready));
  const queue = createQueue({ queueName, connection: redis.connection, bullmq: require('bullmq') });
  // The producer's connection drops with Redis, as the workers' do; it reconnects the same way.
  queue.on('error', () => {});
  later(() => queue.close());
  const expected = new Map();
  const add = async (from, to) => {
    for (let i = from; i < to; i++) {
      expected.set(`${i}.webp`, { width: 96, format: 'webp' });
      await addImageJob(queue, { input: SAMPLE, outputs: [{ path: path.join(outDir, `${i}.webp`), format: 'webp', quality: 60, resize: { width: 96 } }] }, { jobId: `r-${i}` });
    }
  };
  await add(0, 60);
  await until('some jobs done', async () => (await queue.getJobCounts('completed')).completed >= 10, 30_000);
  await redis.kill();
  await new Promise((r) => setTimeout(r, 1000));
  await redis.restart();
  await add(60, 100);
  const counts = await until('100 completed jobs', async () => {
    const c = await queue.getJobCounts('completed', 'failed');
    return c.completed + c.failed === 100 ? c : null;
  }, 75_000);
  assert.deepEqual(counts, { completed: 100, failed: 0 });
  const completedAfter = (w) => w.events.filter((m) => m.event === 'completed' && Number(m.id.slice(2)) >= 60).length;
  assert.ok(workers.every((w) => w.child.exitCode === null), 'no worker died');
  assert.ok(workers.some((w) => completedAfter(w) > 0), 'jobs added after the restart were run');
  assert.ok(workers.every((w) => w.events.filter((m) => m.event === 'completed').length > 0));
  await checkOutputs(outDir, expected);
  void Queue;
});

test('a corrupt input fails at once with LAZY_CORRUPT_INPUT (not retried); a timeout is retried; progress is reported', { skip, timeout: 60_000 }, async (t) => {
  const later = cleanups(t);
  const bullmq = require('bullmq');
  const redis = await startRedis(freshDir('redis'));
  later(() => redis.stop());
  const queueName = 'errors-test';
  const dir = freshDir('in');
  const broken = path.join(dir, 'broken.jpg');
  fs.writeFileSync(broken, fs.readFileSync(SAMPLE).subarray(0, 6000));
  const outDir = freshDir('out');
  const worker = createWorker({ queueName, connection: redis.connection, concurrency: 2, bullmq });
  later(() => worker.close());
  const progress = [];
  worker.on('progress', (job, p) => progress.push([job.id, p]));
  const queue = createQueue({ queueName, connection: redis.connection, bullmq });
  later(() => queue.close());
  const corrupt = await addImageJob(queue, { input: broken, outputs: [{ path: path.join(outDir, 'broken.webp'), resize: 64 }] }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
  const slow = await addImageJob(queue, {
    input: SAMPLE,
    outputs: [{ path: path.join(outDir, 'slow.avif'), resize: 1200 }],
    recipe: recipe().limits({ timeoutMs: 1 }).toJSON(),
  }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
  const good = await addImageJob(queue, { input: SAMPLE, outputs: [{ path: path.join(outDir, 'a.webp'), resize: 64 }, { path: path.join(outDir, 'b.jpg'), quality: 70, resize: { width: 32, height: 32, fit: 'cover' } }] });
  await until('all three settled', async () => {
    const states = await Promise.all([corrupt, slow, good].map((j) => queue.getJob(j.id).then((x) => x.getState())));
    return states[0] === 'failed' && states[1] === 'failed' && states[2] === 'completed';
  }, 45_000);
  const c = await queue.getJob(corrupt.id);
  assert.match(c.failedReason, /^LAZY_CORRUPT_INPUT: /);
  assert.equal(c.attemptsMade, 1, 'not retried');
  const s = await queue.getJob(slow.id);
  assert.match(s.failedReason, /^LAZY_TIMEOUT: /);
  assert.equal(s.attemptsMade, 2, 'retried');
  assert.deepEqual(progress.filter(([id]) => id === good.id).map(([, p]) => p), [50, 100]);
  assert.deepEqual(fs.readdirSync(outDir).sort(), ['a.webp', 'b.jpg'], 'nothing written for the failures');
  const b = await sharp(path.join(outDir, 'b.jpg')).metadata();
  assert.deepEqual([b.format, b.width, b.height], ['jpeg', 32, 32]);
  // A bad job is refused by the producer, before Redis.
  assert.throws(() => imageJob({ input: SAMPLE, outputs: [{ path: 'x.tiff' }] }), /extension/);
  assert.throws(() => createWorker({ queueName, bullmq }), /connection/);
});
