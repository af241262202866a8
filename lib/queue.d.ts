// Types of `lazy-image/queue`. BullMQ's own types are not imported: it is an optional peer.
import type { RecipeInput, ResizeOptions } from '../index';

export interface ImageJobOutput {
  /** Where the output is written (atomically). */
  path: string;
  /** jpeg/jpg, png, webp, avif; without it, from the path's extension. */
  format?: string;
  quality?: number;
  /** A width, or resize options. */
  resize?: number | ResizeOptions;
}

export interface ImageJobData {
  /** The input file, read through a memory map by the worker. */
  input: string;
  outputs: ImageJobOutput[];
  /** Operations applied before each output's resize: `recipe().….toJSON()`. */
  recipe?: RecipeInput;
}

export interface ImageJobResult {
  outputs: { path: string; bytes: number }[];
}

/** The part of a BullMQ Job a worker uses. */
export interface JobLike {
  data: ImageJobData;
  updateProgress(progress: number): Promise<void> | void;
}

/** The BullMQ module, or what of it is used. */
export interface BullMQLike {
  Worker: new (name: string, processor: (job: JobLike) => Promise<ImageJobResult>, options: Record<string, unknown>) => unknown;
  Queue: new (name: string, options: Record<string, unknown>) => unknown;
  UnrecoverableError: new (message?: string) => Error;
}

export interface CreateWorkerOptions {
  /** Default 'lazy-image'. */
  queueName?: string;
  /** BullMQ's connection: `{ host, port, … }` or an ioredis instance. */
  connection: unknown;
  /** Jobs run at once by this worker; default the number of cores. */
  concurrency?: number;
  /** `require('bullmq')`; required here when left out. */
  bullmq?: Partial<BullMQLike>;
  /** A Worker class in place of bullmq's. */
  Worker?: BullMQLike['Worker'];
  UnrecoverableError?: BullMQLike['UnrecoverableError'];
  /** More BullMQ WorkerOptions (lockDuration, stalledInterval, limiter, …). */
  workerOptions?: Record<string, unknown>;
  /** Connection and other worker errors; default one line on stderr at most every 5 s. */
  onError?: (err: Error) => void;
}

export interface CreateQueueOptions {
  queueName?: string;
  connection: unknown;
  bullmq?: Partial<BullMQLike>;
  Queue?: BullMQLike['Queue'];
  queueOptions?: Record<string, unknown>;
}

/** A BullMQ Worker (typed as BullMQ's when the caller casts it). */
export function createWorker<W = any>(options: CreateWorkerOptions): W;
export function createQueue<Q = any>(options: CreateQueueOptions): Q;
/** `queue.add('image', imageJob(data), { attempts: 3, backoff: exponential 1 s, ...jobOptions })`. */
export function addImageJob<J = any>(queue: { add(name: string, data: ImageJobData, opts?: Record<string, unknown>): Promise<J> }, data: ImageJobData, jobOptions?: Record<string, unknown>): Promise<J>;
/** The job data checked and made plain (a Recipe becomes its JSON). */
export function imageJob(data: ImageJobData): ImageJobData;
/** Runs one job in this process. */
export function runImageJob(data: ImageJobData, options?: { onProgress?: (percent: number) => unknown }): Promise<ImageJobResult>;
export function isRetryable(err: unknown): boolean;
/** The error a job fails with: message `CODE: …`, an UnrecoverableError when a retry cannot help. */
export function jobError(err: unknown, bullmq?: Partial<BullMQLike>): Error & { code: string };
export const RETRYABLE_CODES: readonly string[];
export const DEFAULT_QUEUE_NAME: string;
