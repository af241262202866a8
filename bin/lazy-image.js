#!/usr/bin/env node
'use strict';
// The command-line tool: the flags become a recipe (lib/cli/args.js); one input converts one
// file with it, several inputs or a folder run the top-level processBatch with it and a
// progress display (lib/cli/progress.js); with --widths or several formats the recipe
// carries a set of outputs, and processBatch makes every input's set. No input is opened to
// build the recipe, so a bad file fails only its own entry, and every error line names its
// file (lib/cli/report.js).

const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine, processBatch, version } = require('..');
const { USAGE, IMAGE_EXTENSIONS, UsageError, parse, parseSize, integerOption, configure, fileFormat } = require('../lib/cli/args');
const { progressDisplay } = require('../lib/cli/progress');
const { size, saved, conversionLine, fileError, hint } = require('../lib/cli/report');

/** Input files: folders are expanded to the images directly inside them. */
function expandInputs(inputs) {
  return inputs.flatMap((input) => {
    const stat = statOrNull(input);
    if (!stat || !stat.isDirectory()) return [input];
    return fs
      .readdirSync(input)
      .filter((name) => IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase()))
      .sort()
      .map((name) => path.join(input, name));
  });
}

/** The file's stats, or null when there is nothing there (a missing path, or one through a file). */
function statOrNull(p) {
  try {
    return fs.statSync(p);
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
    throw err;
  }
}

function endsWithSeparator(p) {
  return p.endsWith('/') || p.endsWith(path.sep);
}

function isFolder(p) {
  return endsWithSeparator(p) || statOrNull(p)?.isDirectory() === true;
}

/** Whether `a` and `b` name the same existing file (links followed). */
function sameFile(a, b) {
  const sa = statOrNull(a);
  const sb = statOrNull(b);
  return Boolean(sa && sb && sa.dev === sb.dev && sa.ino === sb.ino);
}

async function convertOne(input, args, settings, out) {
  let file;
  let format;
  if (isFolder(args.output)) {
    format = settings.format;
    if (!format) throw new UsageError(`-o ${args.output} is a folder, so -f (or --preset) must say the format`);
    file = path.join(args.output, `${path.parse(input).name}.${format}`);
  } else {
    file = args.output;
    format = fileFormat(file, settings);
  }
  // In place: the input is read (and measured) before the output replaces it; a mapped
  // input cannot be written over.
  let engine;
  let bytesIn;
  if (sameFile(input, file)) {
    const bytes = fs.readFileSync(input);
    bytesIn = bytes.length;
    engine = ImageEngine.from(bytes);
  } else {
    engine = ImageEngine.fromPath(input);
    bytesIn = fs.statSync(input).size;
  }
  engine.apply(settings.recipe);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    const problem = e.code === 'EEXIST' || e.code === 'ENOTDIR' ? 'a part of that path is a file' : e.message;
    throw Object.assign(new Error(`cannot make the folder of ${file}: ${problem}`), { code: e.code });
  }
  const started = process.hrtime.bigint();
  const bytesOut = await engine.toFile(file, format, { quality: settings.quality });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  out.write(conversionLine(input, file, bytesIn, bytesOut, ms));
  return 0;
}

/** `-o` for several outputs: an existing folder, or a path ending in a separator (created). `need` says why. */
function checkOutputFolder(output, need) {
  const stat = statOrNull(output);
  if (stat && !stat.isDirectory()) {
    throw new UsageError(`-o ${output} is a file, but ${need} a folder; pass a folder (ending in / creates it)`);
  }
  if (!stat && !endsWithSeparator(output)) {
    throw new UsageError(`-o ${output} does not exist, and ${need} a folder; write ${output}/ to create it`);
  }
}

/** Several inputs, or a set of outputs per input: the top-level processBatch with the recipe. */
async function convertMany(inputs, args, settings, out, err) {
  const { format, quality, set } = settings;
  checkOutputFolder(args.output, set ? 'a set of outputs per input needs' : `${inputs.length} inputs need`);
  if (!format && !set) throw new UsageError('-f (or --preset) is needed for several inputs');
  const progress = progressDisplay(inputs.length, err);
  let results;
  try {
    // A set's formats and qualities are in the recipe's outputs.
    const encoder = set ? {} : { format, quality };
    results = await processBatch(inputs, args.output, {
      recipe: settings.recipe,
      ...encoder,
      concurrency: integerOption('concurrency', args.concurrency),
      onProgress: progress.update,
    });
  } finally {
    progress.stop();
  }
  const ok = results.filter((r) => r.success);
  const failed = results.filter((r) => !r.success);
  const outputs = ok.flatMap((r) => (r.outputs ?? []).map((o) => ({ ...o, source: r.source })));
  const failedOutputs = outputs.filter((o) => !o.success);
  const bytesIn = ok.reduce((n, r) => n + r.bytesIn, 0);
  const bytesOut = ok.reduce((n, r) => n + r.bytesOut, 0);
  const written = set ? `; ${outputs.length - failedOutputs.length} outputs written, ${failedOutputs.length} failed` : '';
  out.write(`${results.length} files: ${ok.length} converted, ${failed.length} failed${written}\n`);
  out.write(`${size(bytesIn)} in → ${size(bytesOut)} out (saved ${saved(bytesIn, bytesOut)})\n`);
  for (const r of failed) out.write(`failed: ${r.source}  ${r.code}  ${r.error}${hint(r.code)}\n`);
  for (const o of failedOutputs) out.write(`failed: ${o.source} → ${o.path}  ${o.code}  ${o.error}${hint(o.code)}\n`);
  return failed.length + failedOutputs.length > 0 ? 1 : 0;
}

async function main(argv, out = process.stdout, err = process.stderr) {
  let args;
  // The file an error is about, named in its line when the message does not name it.
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
    const single = !settings.set && args.inputs.length === 1 && inputs.length === 1 && inputs[0] === args.inputs[0];
    file = single ? inputs[0] : args.output;
    return await (single ? convertOne(inputs[0], args, settings, out) : convertMany(inputs, args, settings, out, err));
  } catch (e) {
    // Bad option values (TypeError/RangeError from the engine's checks) are usage errors too.
    const usage = e instanceof UsageError || e instanceof TypeError || e instanceof RangeError ||
      String(e.code).startsWith('ERR_PARSE_ARGS');
    err.write(`lazy-image: ${usage ? e.message : fileError(file, e.message, e.code)}\n`);
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
