// ESM entry of `lazy-image/queue`: the CommonJS module re-exported (one instance either way).
import queue from './queue.js';

export const { createWorker, createQueue, addImageJob, imageJob, runImageJob, isRetryable, jobError, RETRYABLE_CODES, DEFAULT_QUEUE_NAME } = queue;
export default queue;
