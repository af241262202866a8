'use strict';
// createImageHandler(options) → (req, res): an HTTP handler for node:http (and so for
// Express, Fastify through reply.hijack(), Koa's ctx.req/ctx.res, …) that serves resized,
// re-encoded images from a folder or a loader, negotiating the format from Accept, caching
// on disk, answering If-None-Match with 304 and mapping every failure to a status code.

const os = require('node:os');
const path = require('node:path');
const { ImageEngine, inspect, inspectFile } = require('../../index.js');
const native = require('../../native.js');
const { stepsOfRecipe } = require('../recipe');
const { DEFAULT_TARGET } = require('../output');
const { allowLists, parseQuery } = require('./params');
const { negotiate, fallbackFormat, MIME } = require('./negotiate');
const { DiskCache, Coalescer, cacheKey } = require('./cache');
const { rootResolver, loaderResolver } = require('./source');
const { HttpError, describeError } = require('./errors');

/** Bumped when the handler's output for the same parameters may change: old entries then miss. */
const CACHE_VERSION = 1;

const OPTION_KEYS = Object.freeze([
  'root', 'load', 'basePath', 'widths', 'heights', 'qualities', 'formats', 'presets', 'cacheDir', 'maxCacheBytes', 'memoryCacheBytes',
  'recipe', 'limits', 'timeoutMs', 'cacheControl', 'maxPending', 'convert', 'target',
]);

/** Next.js' image optimizer caches for 4 hours by default (`minimumCacheTTL`). */
const DEFAULT_CACHE_CONTROL = 'public, max-age=14400, must-revalidate';

/**
 * The default conversion: lazy-image. `job` is `{ source: { path } | { data }, width,
 * height, fit, format, quality, target, recipe, limits, timeoutMs }` (quality a number, or
 * 'auto' with the SSIMULACRA2 `target`); resolves to the encoded bytes. A caller may pass
 * its own `convert(job)` (the benchmark passes one backed by sharp).
 */
function convertWithLazyImage(job) {
  const engine = job.source.path !== undefined ? ImageEngine.fromPath(job.source.path) : ImageEngine.from(job.source.data);
  // The strict policy unless the recipe says otherwise; the handler's limits on top.
  engine.sanitize({ policy: 'strict' });
  if (job.recipe) engine.apply(job.recipe);
  engine.limits({ ...job.limits, timeoutMs: job.timeoutMs });
  if (job.width !== undefined || job.height !== undefined) {
    // Never enlarged: a width beyond the source's is served at the source's size.
    engine.resize({ width: job.width, height: job.height, fit: job.fit, withoutEnlargement: true });
  }
  return engine.toBuffer(job.format, job.quality === 'auto' ? { quality: 'auto', target: job.target } : { quality: job.quality });
}

/** Header facts (`{ format, hasAlpha }`) of a source, from lazy-image's header probe. */
function probe(source) {
  return source.path !== undefined ? inspectFile(source.path) : inspect(source.data);
}

function checkOptions(options) {
  if (typeof options !== 'object' || options === null) throw new TypeError('createImageHandler(options) needs an options object with root or load');
  const unknown = Object.keys(options).find((k) => !OPTION_KEYS.includes(k));
  if (unknown !== undefined) throw new TypeError(`createImageHandler: unknown option '${unknown}'; the options are ${OPTION_KEYS.join(', ')}`);
  if ((options.root === undefined) === (options.load === undefined)) throw new TypeError('createImageHandler: give root (a folder) or load (a function), exactly one');
  const int = (name, value, fallback, min) => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`createImageHandler: ${name} must be an integer ≥ ${min}`);
    return value;
  };
  const limits = options.limits ?? {};
  if (typeof limits !== 'object' || limits === null) throw new TypeError('createImageHandler: limits must be an object { maxPixels, maxBytes, maxMemory }');
  const badLimit = Object.keys(limits).find((k) => !['maxPixels', 'maxBytes', 'maxMemory'].includes(k));
  if (badLimit !== undefined) throw new TypeError(`createImageHandler: unknown limit '${badLimit}'; limits has maxPixels, maxBytes, maxMemory (timeoutMs is its own option)`);
  const basePath = options.basePath ?? '';
  if (typeof basePath !== 'string' || (basePath !== '' && (!basePath.startsWith('/') || basePath.endsWith('/')))) {
    throw new TypeError("createImageHandler: basePath must be '' or a path like '/img' (no trailing slash)");
  }
  if (options.convert !== undefined && typeof options.convert !== 'function') throw new TypeError('createImageHandler: convert must be a function (job) → Promise<Buffer>');
  const target = options.target ?? DEFAULT_TARGET;
  if (typeof target !== 'number' || !(target >= 1 && target <= 100)) throw new RangeError('createImageHandler: target (the SSIMULACRA2 score q=auto aims at) must be a number from 1 to 100');
  const cacheControl = options.cacheControl ?? DEFAULT_CACHE_CONTROL;
  if (typeof cacheControl !== 'string' || /[\r\n]/.test(cacheControl)) throw new TypeError('createImageHandler: cacheControl must be a header value');
  return {
    basePath,
    cacheControl,
    limits: { ...limits },
    target,
    timeoutMs: int('timeoutMs', options.timeoutMs, 20_000, 0),
    maxPending: int('maxPending', options.maxPending, Math.max(8, 4 * os.availableParallelism()), 1),
    maxCacheBytes: int('maxCacheBytes', options.maxCacheBytes, 256 * 1024 * 1024, 0),
    memoryCacheBytes: int('memoryCacheBytes', options.memoryCacheBytes, 16 * 1024 * 1024, 0),
    // Checked now (a bad recipe fails at start, not on the first request), kept as JSON.
    recipe: options.recipe === undefined ? undefined : { version: 1, steps: stepsOfRecipe(options.recipe).map((s) => ({ ...s })) },
  };
}

/** True when an If-None-Match header names `etag` (or is `*`); weak tags compare equal. */
function matchesETag(header, etag) {
  if (typeof header !== 'string') return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/**
 * `fn(text)` remembered for up to `max` different texts (all forgotten at once when full);
 * a throw is not remembered. For what every request computes again from a few values: its
 * query, its Accept header, its cache key.
 */
function remembered(fn, max) {
  const seen = new Map();
  return (text) => {
    let value = seen.get(text);
    if (value === undefined) {
      value = fn(text);
      if (seen.size >= max) seen.clear();
      seen.set(text, value);
    }
    return value;
  };
}

/** `req.url` → its raw (still percent-encoded) path and its query, nothing normalised. */
function splitUrl(url) {
  const at = url.indexOf('?');
  return at === -1 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}

function createImageHandler(options) {
  const config = checkOptions(options);
  const lists = allowLists(options);
  if (options.target !== undefined && !lists.autoQuality && ![...lists.presets.values()].some((p) => p.quality === 'auto')) {
    throw new TypeError("createImageHandler: target is the score q=auto aims at; add 'auto' to qualities (or give a preset quality: 'auto')");
  }
  const paramsOf = remembered((query) => Object.freeze(parseQuery(new URLSearchParams(query), lists)), 1024);
  const formatOf = remembered((accept) => negotiate(accept, lists.formats), 256);
  const keyOf = remembered(cacheKey, 4096);
  const resolve = options.root !== undefined ? rootResolver(options.root) : loaderResolver(options.load);
  const convert = options.convert ?? convertWithLazyImage;
  const cache = options.cacheDir === undefined ? null : new DiskCache(path.resolve(options.cacheDir), config.maxCacheBytes, config.memoryCacheBytes);
  // A server frees what its conversions allocated; glibc's dynamic thresholds would keep it.
  native.fixHeapThresholds();
  // A cache folder that cannot be made is reported on the first request, not as an unhandled rejection.
  cache?.ready.catch(() => {});
  const inFlight = new Coalescer();
  const counts = { requests: 0, conversions: 0, hits: 0, coalesced: 0, notModified: 0, errors: 0, rejected: 0 };
  const recipeText = config.recipe === undefined ? '' : JSON.stringify(config.recipe);
  const limitsText = JSON.stringify([config.limits, config.timeoutMs]);

  function sendError(res, err, rawPath) {
    counts.errors++;
    const { status, code, message, headers } = describeError(err);
    if (status === 503) counts.rejected++;
    // The engine names the file it read; the client knows it by its URL path.
    let text = message;
    if (err && err.sourcePath) text = text.split(err.sourcePath).join(rawPath);
    const body = JSON.stringify({ error: { code, message: text } });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...headers,
    });
    res.end(res.req?.method === 'HEAD' ? undefined : body);
  }

  async function make(key, format, source, params) {
    counts.conversions++;
    const job = {
      source: source.path !== undefined ? { path: source.path } : { data: source.data },
      width: params.width,
      height: params.height,
      fit: params.fit,
      format,
      quality: params.quality,
      target: params.quality === 'auto' ? config.target : undefined,
      recipe: config.recipe,
      limits: config.limits,
      timeoutMs: config.timeoutMs,
    };
    let data;
    try {
      data = await convert(job);
    } catch (err) {
      if (err && typeof err === 'object' && source.path !== undefined) err.sourcePath = source.path;
      throw err;
    }
    if (!Buffer.isBuffer(data)) throw new Error('convert(job) must resolve to a Buffer');
    if (cache) {
      // A full disk or a read-only folder costs the cache, never the response.
      await cache.put(key, format, data).catch(() => {});
    }
    return data;
  }

  async function handle(req, res) {
    counts.requests++;
    const [rawPathWithBase, query] = splitUrl(typeof req.url === 'string' ? req.url : '/');
    let rawPath = rawPathWithBase;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new HttpError(405, 'LAZY_INVALID_ARGUMENT', 'only GET and HEAD are served', { Allow: 'GET, HEAD' });
      }
      if (config.basePath !== '') {
        if (!rawPathWithBase.startsWith(config.basePath + '/')) throw new HttpError(404, 'LAZY_FILE_NOT_FOUND', 'no such image');
        rawPath = rawPathWithBase.slice(config.basePath.length);
      }
      const params = paramsOf(query);
      if (cache) await cache.ready;
      const source = await resolve(rawPath, req);
      const accept = req.headers.accept;
      let format = params.format;
      if (format === 'auto') {
        format = formatOf(accept);
        if (format === null) {
          try {
            format = fallbackFormat(probe(source), accept);
          } catch (err) {
            if (err && typeof err === 'object' && source.path !== undefined) err.sourcePath = source.path;
            throw err;
          }
        }
      }
      // q=auto's output depends on its target too; a number keeps the key it always had.
      const quality = params.quality === 'auto' ? ['auto', config.target] : params.quality;
      const key = keyOf(JSON.stringify([CACHE_VERSION, source.identity, recipeText, limitsText, params.width ?? null, params.height ?? null, params.fit, quality, format]));
      const headers = {
        'Content-Type': MIME[format],
        ETag: `"${key.slice(0, 40)}"`,
        'Cache-Control': config.cacheControl,
        'X-Content-Type-Options': 'nosniff',
      };
      if (params.format === 'auto') headers.Vary = 'Accept';
      if (matchesETag(req.headers['if-none-match'], headers.ETag)) {
        counts.notModified++;
        res.writeHead(304, headers);
        res.end();
        return;
      }
      let data = cache ? await cache.get(key) : null;
      let how = 'HIT';
      if (data) {
        counts.hits++;
      } else {
        const run = inFlight.run(key, config.maxPending, () => make(key, format, source, params));
        if (run === null) throw new HttpError(503, 'LAZY_QUEUE_FULL', `${config.maxPending} conversions are already waiting; try again shortly`, { 'Retry-After': '1' });
        if (run.shared) counts.coalesced++;
        how = run.shared ? 'COALESCED' : 'MISS';
        data = await run.promise;
      }
      headers['Content-Length'] = data.length;
      headers['X-Image-Cache'] = how;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : data);
    } catch (err) {
      sendError(res, err, rawPath);
    }
  }

  /** The node:http handler; a third `next` argument (Express) is ignored: it always answers. */
  function imageHandler(req, res) {
    // Never rejects: every failure becomes a response.
    handle(req, res).catch(() => res.destroy());
  }
  /**
   * Counters since creation (requests, conversions, hits, coalesced, notModified, errors,
   * rejected: 503) and what is held now: pending conversions, the disk cache's bytes and
   * entries, and of them those whose bytes are kept in memory.
   */
  imageHandler.stats = () => ({
    ...counts,
    pending: inFlight.size,
    cacheBytes: cache ? cache.bytes : 0,
    cacheEntries: cache ? cache.entries : 0,
    memoryBytes: cache ? cache.memoryBytes : 0,
    memoryEntries: cache ? cache.memoryEntries : 0,
  });
  /** Resolves once the cache index has been read from cacheDir. */
  imageHandler.ready = cache ? cache.ready : Promise.resolve();
  return imageHandler;
}

module.exports = { createImageHandler, convertWithLazyImage, DEFAULT_CACHE_CONTROL };
