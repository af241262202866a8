'use strict';
// The query of an image request, checked against the handler's allow-lists and normalised:
// `?w=640&q=75&f=auto` → { width: 640, height: undefined, fit: 'inside', quality: 75, format: 'auto' };
// `q=auto` → quality 'auto' (the engine's per-image quality search), when `qualities` holds 'auto'.
// Anything outside the lists is refused (400), so a client cannot make the cache hold every
// width or quality; an unknown key is refused too, so a typo is not silently ignored.

const native = require('../../native.js');
const { PRESETS } = require('../presets');
const { HttpError } = require('./errors');

const { fits: FITS } = native.vocabulary();

/** The formats a client may ask for by name (`f=webp`); `jpg` is read as `jpeg`. */
const OUTPUT_FORMATS = Object.freeze(['jpeg', 'png', 'webp', 'avif']);

/** The keys a request's query may hold. */
const QUERY_KEYS = Object.freeze(['w', 'h', 'fit', 'q', 'f', 'preset']);

/** Next.js' default `deviceSizes` and `imageSizes`, the widths most `srcset`s use. */
const DEFAULT_WIDTHS = Object.freeze([16, 32, 48, 64, 96, 128, 256, 384, 640, 750, 828, 1080, 1200, 1920, 2048, 3840]);
const DEFAULT_QUALITIES = Object.freeze([75]);
const DEFAULT_FORMATS = Object.freeze(['avif', 'webp']);

function bad(message) {
  return new HttpError(400, 'LAZY_INVALID_ARGUMENT', message);
}

function outOfRange(message) {
  return new HttpError(400, 'LAZY_OUT_OF_RANGE', message);
}

/** A short printable form of a client's value for a message. */
function shown(value) {
  const s = String(value);
  const cut = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return JSON.stringify(cut);
}

function sortedIntegers(name, list, min, max) {
  if (!Array.isArray(list) || list.length === 0) throw new TypeError(`createImageHandler: ${name} must be a non-empty array of integers`);
  for (const n of list) {
    if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`createImageHandler: ${name} holds ${shown(n)}; each must be an integer from ${min} to ${max}`);
  }
  return Object.freeze([...new Set(list)].sort((a, b) => a - b));
}

function formatName(name, value) {
  const f = typeof value === 'string' ? value.toLowerCase() : value;
  const fmt = f === 'jpg' ? 'jpeg' : f;
  if (!OUTPUT_FORMATS.includes(fmt)) throw new RangeError(`createImageHandler: ${name} holds ${shown(value)}; use ${OUTPUT_FORMATS.join(', ')}`);
  return fmt;
}

/**
 * `qualities` → `{ qualities, auto }`: the numbers (sorted) and whether 'auto' (the engine's
 * per-image quality against a SSIMULACRA2 target) is among them.
 */
function qualityList(list) {
  if (!Array.isArray(list) || list.length === 0) throw new TypeError("createImageHandler: qualities must be a non-empty array of integers from 1 to 100 (and 'auto' to allow q=auto)");
  const numbers = list.filter((q) => q !== 'auto');
  const odd = numbers.find((q) => !Number.isInteger(q) || q < 1 || q > 100);
  if (odd !== undefined) throw new RangeError(`createImageHandler: qualities holds ${shown(odd)}; each must be an integer from 1 to 100, or 'auto'`);
  return { qualities: Object.freeze([...new Set(numbers)].sort((a, b) => a - b)), auto: numbers.length < list.length };
}

/** The preset table: `{ name: { width, height, fit, quality, format } }`; format `'auto'` negotiates, quality `'auto'` searches. */
function presetTable(presets) {
  const source =
    presets === undefined
      ? // The engine's named sizes, with the format negotiated from Accept.
        Object.fromEntries(Object.entries(PRESETS).map(([name, p]) => [name, { width: p.width, height: p.height, fit: p.fit, quality: p.quality, format: 'auto' }]))
      : presets;
  if (typeof source !== 'object' || source === null || Array.isArray(source)) throw new TypeError('createImageHandler: presets must be an object of name → { width, height, fit, quality, format }');
  const table = new Map();
  for (const [name, p] of Object.entries(source)) {
    const keys = Object.keys(p ?? {}).filter((k) => !['width', 'height', 'fit', 'quality', 'format'].includes(k));
    if (keys.length > 0) throw new TypeError(`createImageHandler: preset ${shown(name)} has the unknown key ${shown(keys[0])}; a preset has width, height, fit, quality, format`);
    const side = (key) => {
      if (p[key] === undefined) return undefined;
      if (!Number.isInteger(p[key]) || p[key] < 1 || p[key] > 32768) throw new RangeError(`createImageHandler: preset ${shown(name)}: ${key} must be an integer from 1 to 32768`);
      return p[key];
    };
    if (p.fit !== undefined && !FITS.includes(p.fit)) throw new RangeError(`createImageHandler: preset ${shown(name)}: fit must be one of ${FITS.join(', ')}`);
    if (p.quality !== undefined && p.quality !== 'auto' && (!Number.isInteger(p.quality) || p.quality < 1 || p.quality > 100)) {
      throw new RangeError(`createImageHandler: preset ${shown(name)}: quality must be an integer from 1 to 100, or 'auto'`);
    }
    table.set(name, Object.freeze({
      width: side('width'),
      height: side('height'),
      fit: p.fit ?? 'inside',
      quality: p.quality,
      format: p.format === undefined || p.format === 'auto' ? 'auto' : formatName(`preset ${shown(name)} format`, p.format),
    }));
  }
  return table;
}

/** The allow-lists of a handler, from its options (checked once, at creation). */
function allowLists(options) {
  const widths = sortedIntegers('widths', options.widths ?? DEFAULT_WIDTHS, 1, 32768);
  const heights = options.heights === undefined ? widths : sortedIntegers('heights', options.heights, 1, 32768);
  const { qualities, auto } = qualityList(options.qualities ?? DEFAULT_QUALITIES);
  const formats = options.formats ?? DEFAULT_FORMATS;
  if (!Array.isArray(formats)) throw new TypeError('createImageHandler: formats must be an array like [\'avif\', \'webp\']');
  const negotiable = Object.freeze([...new Set(formats.map((f) => formatName('formats', f)))]);
  // Without q, the quality closest to 75 (Next.js' default) of the allowed ones; 'auto' if it is the only one.
  const defaultQuality = qualities.length === 0 ? 'auto' : [...qualities].sort((a, b) => Math.abs(a - 75) - Math.abs(b - 75) || b - a)[0];
  const qualityNames = Object.freeze(auto ? [...qualities, 'auto'] : qualities);
  return { widths, heights, qualities, autoQuality: auto, qualityNames, formats: negotiable, defaultQuality, presets: presetTable(options.presets) };
}

/** A positive integer among `allowed`; `shownAllowed` is what the message lists (default `allowed`). */
function integerParam(key, raw, allowed, what, shownAllowed = allowed) {
  if (!/^[1-9][0-9]{0,5}$/.test(raw)) throw bad(`${key} must be a positive integer, got ${shown(raw)}`);
  const n = Number(raw);
  if (!allowed.includes(n)) throw outOfRange(`${key}=${n} is not one of the configured ${what}: ${shownAllowed.join(', ')}`);
  return n;
}

/**
 * The normalised parameters of a request's query (a URLSearchParams), or an HttpError(400).
 * Result: `{ width, height, fit, quality, format }`, quality a number or `'auto'`, format
 * `'auto'` or an output format.
 */
function parseQuery(search, lists) {
  const seen = new Map();
  for (const [key, value] of search) {
    if (!QUERY_KEYS.includes(key)) throw bad(`unknown query parameter ${shown(key)}; the query may hold ${QUERY_KEYS.join(', ')}`);
    if (seen.has(key)) throw bad(`query parameter ${key} is given more than once`);
    seen.set(key, value);
  }
  let base = { width: undefined, height: undefined, fit: 'inside', quality: undefined, format: 'auto' };
  if (seen.has('preset')) {
    const name = seen.get('preset');
    if (!lists.presets.has(name)) {
      throw outOfRange(`unknown preset ${shown(name)}; the presets are ${[...lists.presets.keys()].join(', ') || '(none configured)'}`);
    }
    const fixed = ['w', 'h', 'fit', 'q'].filter((k) => seen.has(k));
    if (fixed.length > 0) throw bad(`preset ${name} sets the size and quality; ${fixed.join(', ')} cannot be given with it (f can)`);
    base = { ...lists.presets.get(name) };
  } else {
    if (seen.has('w')) base.width = integerParam('w', seen.get('w'), lists.widths, 'widths');
    if (seen.has('h')) base.height = integerParam('h', seen.get('h'), lists.heights, 'heights');
    if (seen.has('fit')) {
      const fit = seen.get('fit');
      if (!FITS.includes(fit)) throw outOfRange(`fit must be one of ${FITS.join(', ')}, got ${shown(fit)}`);
      if (base.width === undefined || base.height === undefined) throw bad('fit needs both w and h');
      base.fit = fit;
    }
    if (seen.has('q')) {
      const q = seen.get('q');
      if (q === 'auto') {
        // Each image's own quality: a search of several encodes, so only where it is allowed.
        if (!lists.autoQuality) throw outOfRange(`q=auto is not allowed: the configured qualities are ${lists.qualities.join(', ')} (add 'auto' to qualities to allow it)`);
        base.quality = 'auto';
      } else {
        base.quality = integerParam('q', q, lists.qualities, 'qualities', lists.qualityNames);
      }
    }
  }
  if (seen.has('f')) {
    const raw = seen.get('f').toLowerCase();
    const f = raw === 'jpg' ? 'jpeg' : raw;
    if (f !== 'auto' && !OUTPUT_FORMATS.includes(f)) throw outOfRange(`f must be auto or one of ${OUTPUT_FORMATS.join(', ')}, got ${shown(seen.get('f'))}`);
    base.format = f;
  }
  if (base.quality === undefined) base.quality = lists.defaultQuality;
  return base;
}

module.exports = { parseQuery, allowLists, QUERY_KEYS, OUTPUT_FORMATS, DEFAULT_WIDTHS, DEFAULT_QUALITIES, DEFAULT_FORMATS };
