'use strict';
// A lazy-image worker on a BullMQ queue (Redis). Run as many of these as the machines
// allow, all on the same Redis: each takes jobs as it has room.
//
//   REDIS_URL=redis://127.0.0.1:6379 QUEUE_NAME=lazy-image CONCURRENCY=2 node examples/queue-worker.js
//
// A producer, anywhere:
//
//   const { createQueue, addImageJob } = require('lazy-image/queue');
//   const { recipe } = require('lazy-image');
//   const queue = createQueue({ connection: { host: '127.0.0.1', port: 6379 } });
//   await addImageJob(queue, {
//     input: '/data/uploads/photo.jpg',
//     outputs: [{ path: '/data/public/photo-640.webp', format: 'webp', quality: 75, resize: 640 }],
//     recipe: recipe().autoOrient().toJSON(),
//   });
//
// Optional: LOCK_DURATION_MS and STALLED_INTERVAL_MS (how soon the jobs of a worker that
// died are handed to another; BullMQ's defaults are 30 s). Started by a supervisor with an
// IPC channel (child_process.fork), the worker reports 'ready', 'active', 'completed' and
// 'failed' to it. SIGTERM or SIGINT finish the running jobs, then exit.

const { createWorker } = require('lazy-image/queue');

function connectionOf(url) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
  };
}

function optionalInt(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

const workerOptions = {};
if (optionalInt('LOCK_DURATION_MS') !== undefined) workerOptions.lockDuration = optionalInt('LOCK_DURATION_MS');
if (optionalInt('STALLED_INTERVAL_MS') !== undefined) workerOptions.stalledInterval = optionalInt('STALLED_INTERVAL_MS');

const worker = createWorker({
  queueName: process.env.QUEUE_NAME || 'lazy-image',
  connection: connectionOf(process.env.REDIS_URL || 'redis://127.0.0.1:6379'),
  concurrency: optionalInt('CONCURRENCY'),
  workerOptions,
});

const report = (message) => {
  if (process.send && process.connected) process.send(message);
};
worker.on('ready', () => report({ event: 'ready', pid: process.pid }));
worker.on('active', (job) => report({ event: 'active', id: job.id, pid: process.pid }));
worker.on('completed', (job) => report({ event: 'completed', id: job.id, pid: process.pid }));
worker.on('failed', (job, err) => report({ event: 'failed', id: job?.id, message: err.message, pid: process.pid }));

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  // Redis may be gone: running jobs get 10 s to finish, then the process ends anyway
  // (BullMQ hands any job left behind to another worker once its lock expires).
  setTimeout(() => process.exit(1), 10_000).unref();
  await worker.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// A supervisor that goes away takes its workers with it.
process.on('disconnect', shutdown);
