'use strict';
// One decode, many outputs: `toOutputs(specs)` checks each output's spec and normalises it
// into the JSON the native engine reads; `toSrcset` builds the specs of a responsive set
// and its `srcset` strings; a recipe or a batch carries specs without paths, and a batch
// names each output's file as toSrcset does (`<name>-<width>.<ext>`).

const path = require('node:path');
const v = require('./validate');
const { typeError, rangeError, withContext, getErrorCategory } = require('./errors');
const { stepFromCall } = require('./operations');
const { FORMATS, OUTPUT_KEYS, encoderSpec } = require('./output');

const SPEC_KEYS = Object.freeze(['resize', 'format', ...OUTPUT_KEYS, 'path', 'placeholder']);
const EXTENSIONS = Object.freeze({ jpeg: 'jpg', jpg: 'jpg', png: 'png', webp: 'webp', avif: 'avif', gif: 'gif' });

/** `{ resize?, format, quality?, target?, fastMode?, effort?, lossless?, background?, path?, placeholder? }` → native JSON. */
function spec(s, i) {
  const where = `outputs[${i}]`;
  const { resize, path: file, placeholder: asked, format, ...encoder } = v.knownKeys(where, s, SPEC_KEYS, 'an output spec');
  return withContext(where, () => {
    const placeholder = v.optionalBoolean('placeholder', asked, false);
    if (placeholder && (file !== undefined || encoder.quality !== undefined)) throw typeError('a placeholder spec takes resize only: its preview is returned as a data URI');
    // The same checks as toBuffer's options.
    return {
      resize: resize === undefined || resize === null ? null : { ...stepFromCall('resize', [resize]) },
      ...encoderSpec(placeholder && format === undefined ? 'webp' : format, encoder),
      path: file === undefined ? null : path.resolve(v.path('path', file)),
      placeholder,
    };
  });
}

/** Each spec checked and normalised (the native form), or a coded error naming the spec. */
function checkedSpecs(specs) {
  if (!Array.isArray(specs) || specs.length === 0) {
    throw typeError(`toOutputs takes a non-empty array of output specs like [{ resize: 640, format: 'webp' }], got ${v.describe(specs)}`);
  }
  return specs.map(spec);
}

/**
 * The specs a recipe or a batch carries, checked as toOutputs checks them and kept as plain
 * JSON (as given), without `path`: a batch names each output's file itself.
 */
function pathlessSpecs(specs) {
  checkedSpecs(specs).forEach((s, i) => {
    if (s.path !== null) throw typeError(`outputs[${i}]: a recipe's or a batch's outputs take no path: each is written as <input name>-<width>.<ext> in the batch's folder; give paths to engine.toOutputs instead`);
  });
  return Object.freeze(specs.map((s) => Object.freeze(structuredClone(s))));
}

/**
 * The file name of an output of `stem` through spec `s` (its resize's sides as numbers, its
 * format; null for a placeholder): `<stem>-<width>.<ext>`, `<stem>-<width>x<height>.<ext>`,
 * `<stem>-x<height>.<ext>`, or `<stem>.<ext>` without a resize; toSrcset's names too.
 */
function fileName(stem, s) {
  if (s.placeholder) return null;
  const { width, height } = s.resize ?? {};
  const size = width === undefined ? (height === undefined ? '' : `-x${height}`) : height === undefined ? `-${width}` : `-${width}x${height}`;
  return `${stem}${size}.${EXTENSIONS[s.format]}`;
}

/**
 * A native entry as JS gives it: failures keep their code (and the path they were to be
 * written to); placeholders get their encodings. `s` is the entry's native spec.
 */
function entry(e, s) {
  if (!e.success) {
    const failed = { success: false, format: e.format, error: e.error, code: e.code, errorCode: e.errorCode, category: getErrorCategory({ code: e.code }) };
    return s.path === null ? failed : { ...failed, path: s.path };
  }
  const out = { success: true, format: e.format, width: e.width, height: e.height, bytes: e.bytes, metrics: e.metrics };
  if (e.quality != null) out.quality = e.quality;
  if (e.score != null) out.score = e.score;
  if (e.placeholder) {
    const p = e.placeholder;
    out.placeholder = { thumbhash: p.thumbhash.toString('base64'), blurhash: p.blurhash, dominant: p.dominant, dataUri: `data:image/webp;base64,${e.data.toString('base64')}`, width: p.width, height: p.height };
  } else if (e.path != null) out.path = e.path;
  else out.data = e.data;
  return out;
}

const SRCSET_KEYS = Object.freeze(['widths', 'formats', 'outDir', 'name', 'quality', 'target', 'effort', 'placeholder', 'baseUrl']);

/**
 * The specs of `toSrcset({ widths, formats, outDir, name, quality, placeholder, baseUrl })`:
 * each format at each width (never enlarged), written as `<outDir>/<name>-<width>.<ext>`.
 */
function srcsetSpecs(options) {
  const o = v.knownKeys('toSrcset options', options, SRCSET_KEYS, 'toSrcset');
  if (!Array.isArray(o.widths) || o.widths.length === 0) throw typeError(`widths must be a non-empty array of widths like [320, 640, 1280], got ${v.describe(o.widths)}`);
  const widths = o.widths.map((w, i) => v.integer(`widths[${i}]`, w, 1, v.MAX_SIDE));
  const formats = (o.formats ?? ['avif', 'webp', 'jpeg']).map((f, i) => v.oneOf(`formats[${i}]`, f, FORMATS));
  const outDir = v.path('outDir', o.outDir);
  const name = v.string('name', o.name);
  if (name.includes('/') || name.includes('\\')) throw rangeError(`name is a file name's start, without folders; got ${v.quoted(name)}`);
  const specs = widthsByFormats(widths, formats, o).map((s) => ({ ...s, path: path.join(outDir, fileName(name, s)) }));
  if (o.placeholder === true) specs.push({ placeholder: true });
  return { specs, outDir, baseUrl: o.baseUrl === undefined ? '' : String(o.baseUrl) };
}

/**
 * Each format at each width (never enlarged), formats first: the specs of a responsive set
 * (toSrcset's, the CLI's --widths). `quality` is one value or per format.
 */
function widthsByFormats(widths, formats, { quality, target, effort }) {
  return formats.flatMap((format) =>
    widths.map((width) => {
      const q = typeof quality === 'object' && quality !== null ? quality[format] : quality;
      return { resize: { width, withoutEnlargement: true }, format, quality: q, target: q === 'auto' ? target : undefined, effort };
    }),
  );
}

/** `{ outputs, srcset: { <format>: 'a-320.webp 320w, …' }, placeholder? }` from the entries. */
function srcsetResult(plan, entries) {
  const srcset = {};
  entries.forEach((e) => {
    if (!e.success || e.placeholder) return;
    const key = e.format;
    const item = `${plan.baseUrl}${path.basename(e.path)} ${e.width}w`;
    srcset[key] = srcset[key] ? `${srcset[key]}, ${item}` : item;
  });
  const placeholder = entries.find((e) => e.success && e.placeholder)?.placeholder;
  return placeholder ? { outputs: entries, srcset, placeholder } : { outputs: entries, srcset };
}

module.exports = { checkedSpecs, pathlessSpecs, fileName, entry, srcsetSpecs, srcsetResult, widthsByFormats };
