// Types of `lazy-image/http`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fit, Limits, RecipeInput } from '../../index';

export type ServedFormat = 'jpeg' | 'png' | 'webp' | 'avif';

/** What a loader returns: the bytes (with the object's ETag, if it has one), a file path, or nothing (404). */
export type LoadResult = { data: Buffer | Uint8Array; etag?: string } | string | null | undefined;

/** One conversion, as the handler hands it to `convert`. */
export interface ConvertJob {
  source: { path: string; data?: undefined } | { data: Buffer; path?: undefined };
  width?: number;
  height?: number;
  fit: Fit;
  format: ServedFormat;
  /** A number, or 'auto' (the engine's per-image quality search, aiming at `target`). */
  quality: number | 'auto';
  /** With quality 'auto': the SSIMULACRA2 score to reach. */
  target?: number;
  recipe?: RecipeInput;
  limits: Pick<Limits, 'maxPixels' | 'maxBytes' | 'maxMemory'>;
  timeoutMs: number;
}

export interface HandlerPreset {
  width?: number;
  height?: number;
  fit?: Fit;
  /** A number, or 'auto' (each image's quality chosen against `target`). */
  quality?: number | 'auto';
  /** `'auto'` (default) negotiates from Accept. */
  format?: ServedFormat | 'jpg' | 'auto';
}

interface CommonHandlerOptions {
  /** Only requests under this path are served, e.g. '/img'; '' (default) serves every path. */
  basePath?: string;
  /** The widths `w` may take; default Next.js' device and image sizes (16 … 3840). */
  widths?: readonly number[];
  /** The heights `h` may take; default the widths. */
  heights?: readonly number[];
  /**
   * The qualities `q` may take; default [75]. Without `q`, the number nearest 75. 'auto' in
   * the list allows `q=auto`: the engine's `quality: 'auto'`, each image's lowest quality
   * whose output reaches `target` on SSIMULACRA2 (about four encodes per conversion).
   */
  qualities?: readonly (number | 'auto')[];
  /** The SSIMULACRA2 score `q=auto` aims at; default 75 (the engine's). Needs 'auto' in qualities or a preset. */
  target?: number;
  /** The formats `f=auto` chooses from, in order of preference; default ['avif', 'webp']. */
  formats?: readonly (ServedFormat | 'jpg')[];
  /** Named sizes for `?preset=name`; default the engine's presets (thumbnail, avatar, hero, social) with the format negotiated. */
  presets?: Record<string, HandlerPreset>;
  /** Where converted images are kept; without it nothing is cached on disk. */
  cacheDir?: string;
  /** Bound of the disk cache in bytes (least recently used removed first); default 256 MiB. */
  maxCacheBytes?: number;
  /** Bytes of the most recently used cache entries also kept in memory, so their hits read nothing (default 16 MiB; 0: none). */
  memoryCacheBytes?: number;
  /** Operations applied to every image before the request's resize. */
  recipe?: RecipeInput;
  /** Input limits on top of the strict policy. */
  limits?: Pick<Limits, 'maxPixels' | 'maxBytes' | 'maxMemory'>;
  /** Longest time one conversion may take (504 after it); default 20000, 0 lifts it. */
  timeoutMs?: number;
  /** The Cache-Control of images; default 'public, max-age=14400, must-revalidate'. */
  cacheControl?: string;
  /** Most conversions in progress at once (different images); more get 503. Default max(8, 4 × cores). */
  maxPending?: number;
  /** The conversion; default lazy-image (`convertWithLazyImage`). */
  convert?: (job: ConvertJob) => Promise<Buffer>;
}

export type ImageHandlerOptions = CommonHandlerOptions &
  (
    | { /** The folder images are served from; nothing outside it is read. */ root: string; load?: undefined }
    | { /** Finds the image of a request path (still percent-encoded). */ load: (path: string, req: IncomingMessage) => LoadResult | Promise<LoadResult>; root?: undefined }
  );

export interface HandlerStats {
  requests: number;
  conversions: number;
  hits: number;
  coalesced: number;
  notModified: number;
  errors: number;
  /** Requests refused with 503 (too many conversions pending). */
  rejected: number;
  pending: number;
  cacheBytes: number;
  cacheEntries: number;
  /** Of the cache's entries, those whose bytes are kept in memory (bounded by memoryCacheBytes). */
  memoryBytes: number;
  memoryEntries: number;
}

export interface ImageHandler {
  (req: IncomingMessage, res: ServerResponse, next?: unknown): void;
  stats(): HandlerStats;
  /** Resolves once the cache index has been read from cacheDir. */
  readonly ready: Promise<void>;
}

export function createImageHandler(options: ImageHandlerOptions): ImageHandler;
export function convertWithLazyImage(job: ConvertJob): Promise<Buffer>;
/** The first of `formats` whose media type Accept names with q > 0 (highest q first), or null. */
export function negotiate(accept: string | undefined, formats: readonly ServedFormat[]): ServedFormat | null;
export function parseAccept(accept: string | undefined): Map<string, number>;
export const STATUS_OF_CODE: Readonly<Record<string, number>>;
export const DEFAULT_CACHE_CONTROL: string;
