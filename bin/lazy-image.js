#!/usr/bin/env node
'use strict';
// The command-line tool: the flags become a recipe; one input converts one file with it,
// several inputs or a folder run the top-level processBatch with it and a progress bar
// (plain lines when stderr is not a terminal). No input is opened to build the recipe, so a
// bad file fails only its own entry.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { ImageEngine, recipe, processBatch, version } = require('..');
const { presetNamed } = require('../lib/presets');

const USAGE = `Usage: lazy-image <input...> -o <file|dir> [options]

  One input file converts to the file (or into the folder) given by -o. Several inputs, or a
  folder, are converted into the folder -o with processBatch.

Options:
  -o, --output <path>      output file, or folder for several inputs (required)
  -r, --resize <WxH>       800x600, 800 (width) or x600 (height)
      --fit <fit>          inside (default), cover, fill, contain, outside
  -f, --format <format>    jpeg, png, webp, avif (default: the output file's extension)
  -q, --quality <1-100>    encoder quality
  -p, --preset <name>      thumbnail, avatar, hero, social (resize, format and quality)
  -c, --concurrency <n>    files converted at once (default: from cores and free memory)
  -m, --keep-metadata      keep ICC and EXIF (GPS removed)
  -h, --help               this text
  -v, --version            the version

Exit status: 0 when every input converted, 1 when any failed, 2 for a usage error.`;

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.avif']);

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
      quality: { type: 'string', short: 'q' },
      preset: { type: 'string', short: 'p' },
      concurrency: { type: 'string', short: 'c' },
      'keep-metadata': { type: 'boolean', short: 'm' },
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

/** Input files: folders are expanded to the images directly inside them. */
function expandInputs(inputs) {
  return inputs.flatMap((input) => {
    const stat = fs.statSync(input, { throwIfNoEntry: false });
    if (!stat || !stat.isDirectory()) return [input];
    return fs
      .readdirSync(input)
      .filter((name) => IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase()))
      .sort()
      .map((name) => path.join(input, name));
  });
}

/** The command's operations as a recipe, and the output settings. */
function configure(args) {
  const steps = recipe();
  let format = args.format;
  let quality = integerOption('quality', args.quality);
  if (args.preset) {
    const preset = presetNamed(args.preset);
    steps.resize({ width: preset.width, height: preset.height, fit: preset.fit, withoutEnlargement: preset.withoutEnlargement });
    format = format || preset.format;
    quality = quality === undefined ? preset.quality : quality;
  }
  if (args.resize) {
    const [width, height] = parseSize(args.resize);
    steps.resize({ width, height, fit: args.fit });
  } else if (args.fit) {
    throw new UsageError('--fit needs --resize');
  }
  if (args['keep-metadata']) steps.keepMetadata();
  return { recipe: steps, format, quality };
}

function size(bytes) {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function saved(bytesIn, bytesOut) {
  return bytesIn > 0 ? `${(100 * (1 - bytesOut / bytesIn)).toFixed(1)} %` : '-';
}

async function convertOne(input, args, settings, out) {
  const target = isFolder(args.output) ? null : args.output;
  const engine = ImageEngine.fromPath(input).apply(settings.recipe);
  const format = settings.format || (target && path.extname(target).slice(1).toLowerCase());
  if (!format) throw new UsageError('--format is needed when -o is a folder');
  const file = target || path.join(args.output, `${path.parse(input).name}.${format}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const started = process.hrtime.bigint();
  const bytesOut = await engine.toFile(file, format, { quality: settings.quality });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const bytesIn = fs.statSync(input).size;
  out.write(`${input} → ${file}  ${size(bytesIn)} → ${size(bytesOut)} (saved ${saved(bytesIn, bytesOut)})  ${Math.round(ms)} ms\n`);
  return 0;
}

function isFolder(p) {
  return p.endsWith('/') || p.endsWith(path.sep) || fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
}

async function convertMany(inputs, args, settings, out, err) {
  const { format, quality } = settings;
  if (!format) throw new UsageError('--format (or --preset) is needed for several inputs');
  const progress = progressDisplay(inputs.length, err);
  const results = await processBatch(inputs, args.output, {
    recipe: settings.recipe,
    format,
    quality,
    concurrency: integerOption('concurrency', args.concurrency),
    onProgress: progress.update,
  });
  progress.stop();
  const ok = results.filter((r) => r.success);
  const failed = results.filter((r) => !r.success);
  const bytesIn = ok.reduce((n, r) => n + r.bytesIn, 0);
  const bytesOut = ok.reduce((n, r) => n + r.bytesOut, 0);
  out.write(`${results.length} files: ${ok.length} converted, ${failed.length} failed\n`);
  out.write(`${size(bytesIn)} in → ${size(bytesOut)} out (saved ${saved(bytesIn, bytesOut)})\n`);
  for (const r of failed) out.write(`failed: ${r.source}  ${r.code}  ${r.error}\n`);
  return failed.length > 0 ? 1 : 0;
}

/** A cli-progress bar on a terminal; one plain line per finished file otherwise. */
function progressDisplay(total, stream) {
  if (!stream.isTTY) {
    return {
      update: (p) => stream.write(`[${p.done}/${p.total}] ${p.success ? 'ok' : p.code} ${p.source}\n`),
      stop: () => {},
    };
  }
  const { SingleBar, Presets } = require('cli-progress');
  const bar = new SingleBar({ stream, format: '{bar} {value}/{total} files  {file}', hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0, { file: '' });
  return { update: (p) => bar.update(p.done, { file: path.basename(p.source) }), stop: () => bar.stop() };
}

async function main(argv, out = process.stdout, err = process.stderr) {
  let args;
  // The file a single conversion reads, named in its error when the message does not.
  let file = null;
  try {
    args = parse(argv);
    if (args.help) return out.write(`${USAGE}\n`) && 0;
    if (args.version) return out.write(`${version()}\n`) && 0;
    if (args.inputs.length === 0) throw new UsageError('no input given');
    if (!args.output) throw new UsageError('-o <file|dir> is required');
    const settings = configure(args);
    const inputs = expandInputs(args.inputs);
    if (inputs.length === 0) throw new UsageError(`no images (${[...IMAGE_EXTENSIONS].join(' ')}) in ${args.inputs.join(', ')}`);
    const single = args.inputs.length === 1 && inputs.length === 1 && inputs[0] === args.inputs[0];
    if (single) file = inputs[0];
    return await (single ? convertOne(inputs[0], args, settings, out) : convertMany(inputs, args, settings, out, err));
  } catch (e) {
    // Bad option values (TypeError/RangeError from the engine's checks) are usage errors too.
    const usage = e instanceof UsageError || e instanceof TypeError || e instanceof RangeError ||
      String(e.code).startsWith('ERR_PARSE_ARGS');
    const where = file !== null && !usage && !String(e.message).includes(file) ? `${file}: ` : '';
    err.write(`lazy-image: ${where}${e.message}${e.code && !usage ? ` (${e.code})` : ''}\n`);
    if (usage) err.write('Run lazy-image --help for usage.\n');
    return usage ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

module.exports = { main, parseSize };
