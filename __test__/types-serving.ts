// Compiled by `tsc --noEmit` with types.ts: the serving entries (lazy-image/http,
// lazy-image/queue) type-check typical calls and refuse wrong ones.
import * as http from 'node:http';
import { createImageHandler, negotiate, type ImageHandler, type HandlerStats, type ConvertJob } from '../lib/http';
import { createWorker, createQueue, addImageJob, imageJob, runImageJob, type ImageJobData } from '../lib/queue';
import { recipe } from '..';

async function serving(): Promise<void> {
  const handler: ImageHandler = createImageHandler({ root: 'public', widths: [320, 640], qualities: [60, 75], formats: ['avif', 'webp'], cacheDir: '.cache/img', maxCacheBytes: 1 << 28, memoryCacheBytes: 1 << 24, recipe: recipe().autoOrient(), limits: { maxPixels: 50_000_000 }, timeoutMs: 10_000, presets: { card: { width: 320, height: 200, fit: 'cover' } } });
  http.createServer(handler).listen(0);
  const stats: HandlerStats = handler.stats();
  await handler.ready;
  const fromStorage = createImageHandler({ load: async (path) => (path === '/a.jpg' ? { data: Buffer.alloc(1), etag: 'v1' } : null), basePath: '/img' });
  const custom = createImageHandler({ root: 'public', convert: async (job: ConvertJob) => Buffer.from(`${job.format} ${job.quality} ${job.target ?? ''}`) });
  const perImage = createImageHandler({ root: 'public', qualities: [60, 'auto'], target: 80, presets: { hero: { width: 1280, quality: 'auto' } } });
  const chosen: 'jpeg' | 'png' | 'webp' | 'avif' | null = negotiate('image/avif', ['avif', 'webp']);
  console.log(stats.conversions, fromStorage, custom, perImage, chosen);
  // @ts-expect-error: memoryCacheBytes is a number of bytes
  createImageHandler({ root: 'public', memoryCacheBytes: '16MB' });
  // @ts-expect-error: root or load, not both
  createImageHandler({ root: 'public', load: () => null });
  // @ts-expect-error: gif cannot be served
  createImageHandler({ root: 'public', formats: ['gif'] });
  // @ts-expect-error: 'auto' is the only word qualities take
  createImageHandler({ root: 'public', qualities: [60, 'best'] });
  // @ts-expect-error: timeoutMs is its own option
  createImageHandler({ root: 'public', limits: { timeoutMs: 5 } });
}

async function queueing(): Promise<void> {
  const job: ImageJobData = imageJob({ input: 'in.jpg', outputs: [{ path: 'out.webp', quality: 70, resize: 640 }, { path: 'sq.jpg', resize: { width: 100, height: 100, fit: 'cover' } }], recipe: recipe().grayscale().toJSON() });
  const worker = createWorker({ connection: { host: '127.0.0.1', port: 6379 }, concurrency: 2, workerOptions: { lockDuration: 5000 } });
  const queue = createQueue({ connection: { host: '127.0.0.1', port: 6379 } });
  await addImageJob(queue, job, { jobId: 'x' });
  const done = await runImageJob(job, { onProgress: (p) => console.log(p) });
  console.log(worker, done.outputs[0].bytes);
  // @ts-expect-error: outputs is required
  imageJob({ input: 'in.jpg' });
  // @ts-expect-error: a connection is required
  createWorker({ concurrency: 2 });
}

void serving;
void queueing;
