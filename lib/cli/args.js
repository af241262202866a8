'use strict';
// The command line's flags: parsed, checked and turned into a recipe plus output settings.
// Nothing here opens an input; every mistake is a UsageError (exit status 2).

const path = require('node:path');
const { parseArgs } = require('node:util');
const { recipe } = require('../recipe');
const { presetNamed, PRESET_NAMES } = require('../presets');
const { widthsByFormats } = require('../outputs');

const USAGE = `Usage: lazy-image <input...> -o <file|dir> [options]

  One input file converts to the file (or into the folder) given by -o. Several inputs, or a
  folder, are converted into the folder -o (an existing folder, or a path ending in / that
  is then created) with processBatch. With --widths or several formats, each input makes
  every width × format from one decode, into the folder -o, named <name>-<width>.<ext>.

Options:
  -o, --output <path>      output file, or folder for several inputs (required)
  -r, --resize <WxH>       800x600, 800 (width) or x600 (height)
      --fit <fit>          inside (default), cover, fill, contain, outside
  -f, --format <format>    jpeg, png, webp, avif (default: the output file's extension);
                           several, comma-separated (avif,webp), make one output each
  -w, --widths <list>      320,640,1280: one output per width (never enlarged) and format
  -q, --quality <q>        encoder quality 1-100, or auto (the lowest that scores 75 on
                           SSIMULACRA2)
  -p, --preset <name>      ${PRESET_NAMES.join(', ')} (resize, format and quality)
      --force-format       write the format asked for even when the output's extension
                           names another one
  -c, --concurrency <n>    files converted at once (default: from cores and free memory)
  -m, --keep-metadata      keep ICC and EXIF (GPS removed)
      --max-pixels <n>     refuse inputs of more than n pixels (default 268402689; 0 lifts it)
      --failOn <level>     which damage fails a file: none (decode what is there),
                           truncated, error, warning (any decoder warning; the default)
  -h, --help               this text
  -v, --version            the version

Exit status: 0 when every input converted, 1 when any failed, 2 for a usage error,
130 when interrupted (Ctrl-C), 143 when terminated.`;

/** The extensions a folder input is expanded to. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif']);

/** The output extensions and the format each one names. */
const EXTENSION_FORMATS = Object.freeze({ '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png', '.webp': 'webp', '.avif': 'avif' });
const OUTPUT_FORMATS = Object.freeze(['jpeg', 'png', 'webp', 'avif']);

/** sharp's failOn levels, least strict first (the engine's failOn step). */
const FAIL_ON_LEVELS = Object.freeze(['none', 'truncated', 'error', 'warning']);

class UsageError extends Error {}

function parse(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      resize: { type: 'string', short: 'r' },
      fit: { type: 'string' },
      format: { type: 'string', short: 'f' },
      widths: { type: 'string', short: 'w' },
      'force-format': { type: 'boolean' },
      quality: { type: 'string', short: 'q' },
      preset: { type: 'string', short: 'p' },
      concurrency: { type: 'string', short: 'c' },
      'keep-metadata': { type: 'boolean', short: 'm' },
      'max-pixels': { type: 'string' },
      failOn: { type: 'string' },
      'fail-on': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  return { ...values, inputs: positionals };
}

function integerOption(name, value) {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} needs a whole number, got '${value}'`);
  return Number(value);
}

/** `800x600`, `800` or `x600` → [width, height] (undefined for a missing side). */
function parseSize(value) {
  const m = /^(\d+)?(?:x(\d+)?)?$/i.exec(value);
  if (!m || (!m[1] && !m[2])) throw new UsageError(`--resize needs WxH, W or xH, got '${value}'`);
  return [m[1] && Number(m[1]), m[2] && Number(m[2])];
}

/** The format a file name's extension names, or null. */
function formatOfExtension(file) {
  const ext = path.extname(file).toLowerCase();
  return Object.hasOwn(EXTENSION_FORMATS, ext) ? EXTENSION_FORMATS[ext] : null;
}

/** `-f`'s formats, comma-separated, normalised (`jpg` → `jpeg`); undefined without -f. */
function formatsOption(value) {
  if (value === undefined) return undefined;
  return value.split(',').map((name) => {
    const f = name.toLowerCase() === 'jpg' ? 'jpeg' : name.toLowerCase();
    if (!OUTPUT_FORMATS.includes(f)) throw new UsageError(`-f ${name} is not an output format; use one of ${OUTPUT_FORMATS.join(', ')}`);
    return f;
  });
}

/** `--widths 320,640,1280` → [320, 640, 1280]; undefined without it. */
function widthsOption(value) {
  if (value === undefined) return undefined;
  if (!/^\d+(,\d+)*$/.test(value)) throw new UsageError(`--widths needs whole numbers separated by commas (320,640,1280), got '${value}'`);
  const widths = value.split(',').map(Number);
  const bad = widths.find((w, i) => w < 1 || w > 32768 || widths.indexOf(w) !== i);
  if (bad !== undefined) throw new UsageError(`--widths takes each width once, from 1 to 32768; got ${bad} in '${value}'`);
  return widths;
}

/** `-q`: a whole number, or `auto`. */
function qualityOption(value) {
  return value === 'auto' ? 'auto' : integerOption('quality', value);
}

function failOnOption(args) {
  if (args.failOn !== undefined && args['fail-on'] !== undefined && args.failOn !== args['fail-on']) {
    throw new UsageError(`--failOn ${args.failOn} and --fail-on ${args['fail-on']} disagree; pass one`);
  }
  const level = args.failOn ?? args['fail-on'];
  if (level === undefined) return 'warning';
  if (!FAIL_ON_LEVELS.includes(level)) {
    throw new UsageError(`--failOn needs one of ${FAIL_ON_LEVELS.join(', ')}, got '${level}'`);
  }
  return level;
}

/**
 * The command's operations as a recipe, and the output settings: `format` (normalised, or
 * undefined) and `asked` (which flag asked for it: '-f webp', '--preset avatar'), `quality`;
 * `set` when the recipe carries a set of outputs (--widths, or several formats).
 */
function configure(args) {
  const steps = recipe();
  const formats = formatsOption(args.format);
  const widths = widthsOption(args.widths);
  const set = widths !== undefined || formats?.length > 1;
  let format = set ? undefined : formats?.[0];
  let asked = format && `-f ${args.format}`;
  let quality = qualityOption(args.quality);
  const maxPixels = integerOption('max-pixels', args['max-pixels']);
  const failOn = failOnOption(args);
  // Limits first, so that they hold for everything after them.
  if (maxPixels !== undefined) steps.limits({ maxPixels });
  if (failOn !== 'warning') steps.failOn(failOn);
  if (args.preset) {
    const preset = presetNamed(args.preset);
    steps.resize({ width: preset.width, height: preset.height, fit: preset.fit, withoutEnlargement: preset.withoutEnlargement });
    if (!format) {
      format = preset.format;
      asked = `--preset ${args.preset}`;
    }
    quality = quality === undefined ? preset.quality : quality;
  }
  if (args.resize) {
    const [width, height] = parseSize(args.resize);
    steps.resize({ width, height, fit: args.fit });
  } else if (args.fit) {
    throw new UsageError('--fit needs --resize');
  }
  if (args['keep-metadata']) steps.keepMetadata();
  if (set) {
    if (args.preset) throw new UsageError('--preset makes one output of one size; --widths and several -f formats make a set: pass one or the other');
    if (formats === undefined) throw new UsageError('--widths needs -f to say the formats (-f avif,webp)');
    if (args['force-format']) throw new UsageError('--force-format is for one output file; a set is named <name>-<width>.<ext>');
    steps.toOutputs(widths === undefined ? formats.map((f) => ({ format: f, quality })) : widthsByFormats(widths, formats, { quality }));
  }
  if (args['force-format'] && !format) throw new UsageError('--force-format needs -f (or --preset) to say which format');
  return { recipe: steps, format, asked, quality, failOn, set, force: args['force-format'] === true };
}

/**
 * The format a single output file gets: the extension's, which -f or --preset must agree
 * with unless --force-format.
 */
function fileFormat(file, settings) {
  const ext = path.extname(file);
  const named = formatOfExtension(file);
  const { format, asked, force } = settings;
  if (format && named !== format && !force) {
    const has = named ? `has the extension of ${named}` : ext ? `has the extension ${ext}, not an image format` : 'has no extension';
    throw new UsageError(`${file} ${has} but ${asked} asks for ${format}; rename the output or pass --force-format`);
  }
  if (format) return format;
  if (!named) {
    const has = ext ? `extension ${ext} is not an output format` : 'name has no extension';
    throw new UsageError(`${file}: the ${has}; end it with ${Object.keys(EXTENSION_FORMATS).join(', ')}, or pass -f`);
  }
  return named;
}

module.exports = { USAGE, IMAGE_EXTENSIONS, FAIL_ON_LEVELS, UsageError, parse, parseSize, integerOption, configure, fileFormat, formatOfExtension };
