'use strict';
// Re-measures the zero-copy contract (docs/ZERO_COPY.md): JS heap growth and peak RSS of one
// fromPath → resize → toBufferWithMetrics job, judged against decoded size + 24 MB.
//
//   node --expose-gc docs/scripts/measure-zero-copy.js [input] [--fit 2000x2000 | --width 800]
//                                                    [--format jpeg|png|webp] [--engine lazy|sharp]
//   node --expose-gc docs/scripts/measure-zero-copy.js --matrix     every case, one process each
//   ... [--jobs N]                  N jobs at once (one engine each); the budget is N per-job budgets
//   ... [--batch N --concurrency C] processBatch over N copies of the input, C at a time
//
// With no input it uses a 24 MP photo-like PNG made once into .cache/photos/.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { photoPath, PHOTOS } = require('./photo-fixtures');

const MB = 1024 * 1024;
const ROOT = path.join(__dirname, '..', '..');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** Peak RSS of this process so far (Linux VmHWM), in bytes. */
function peakRss() {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : 0;
}

const round = (x) => Math.round(x * 10) / 10;

async function measure(input, resize, format, engineName, jobs = 1, batch = 0) {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  // Each engine reads the header with its own code, so neither loads the other.
  let info;
  let run;
  if (engineName === 'sharp') {
    const sharp = require('sharp');
    info = await sharp(input).metadata();
    run = sharpJob(sharp, input, resize, format);
  } else {
    const lazy = require(ROOT);
    info = lazy.inspectFile(input);
    run = batch ? lazyBatchJob(lazy, input, resize, format, batch, jobs) : lazyJob(lazy, input, resize, format);
  }
  const bpp = info.format === 'jpeg' ? 3 : 4;
  const decodedMb = (info.width * info.height * bpp) / MB;
  const budgetMb = (decodedMb + 24) * jobs;

  global.gc();
  const start = process.memoryUsage();
  const runs = await Promise.all(Array.from({ length: batch ? 1 : jobs }, run));
  const data = runs[0].data;
  const peak = Math.max(...runs.map((r) => r.peak));
  global.gc();
  const end = process.memoryUsage();
  const result = {
    source: path.basename(input),
    engine: engineName,
    resize: resize.label,
    format,
    jobs,
    ...(batch ? { batch_inputs: batch } : {}),
    rss_start_mb: round(start.rss / MB),
    rss_end_mb: round(end.rss / MB),
    rss_delta_mb: round((end.rss - start.rss) / MB),
    heap_delta_mb: round((end.heapUsed - start.heapUsed) / MB),
    peak_rss_metrics_mb: round(peak / MB),
    decoded_mb: round(decodedMb),
    budget_mb: round(budgetMb),
    bytes_out: data.length,
  };
  result.pass = result.heap_delta_mb <= 2 && result.peak_rss_metrics_mb <= budgetMb && result.rss_end_mb <= budgetMb * 1.1;
  return result;
}

function lazyResize(lazy, input, resize) {
  const engine = lazy.ImageEngine.fromPath(input);
  return resize.width ? engine.resize(resize.width) : engine.resize(resize.fit[0], resize.fit[1], 'inside');
}

function lazyJob(lazy, input, resize, format) {
  return async () => {
    const { data, metrics } = await lazyResize(lazy, input, resize).toBufferWithMetrics(format);
    return { data, peak: metrics.peakRss };
  };
}

/** processBatch over `count` copies of the input path, `concurrency` at a time, into a temp folder. */
function lazyBatchJob(lazy, input, resize, format, count, concurrency) {
  return async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-zero-copy-'));
    try {
      const results = await lazyResize(lazy, input, resize).processBatch(Array(count).fill(input), out, { format, concurrency });
      const failed = results.find((r) => !r.success);
      if (failed) throw new Error(`batch entry failed: ${failed.error}`);
      return { data: fs.readFileSync(results[0].outputPath), peak: peakRss() };
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  };
}

function sharpJob(sharp, input, resize, format) {
  return async () => {
    const s = resize.width ? sharp(input).resize(resize.width) : sharp(input).resize(resize.fit[0], resize.fit[1], { fit: 'inside' });
    const data = await s.toFormat(format).toBuffer();
    return { data, peak: peakRss() };
  };
}

function parseResize() {
  const width = option('width');
  if (width) return { width: Number(width), label: `${width} wide` };
  const [w, h] = option('fit', '2000x2000').split('x').map(Number);
  return { fit: [w, h], label: `fit ${w}x${h}` };
}

const MATRIX_CASES = ['rgb-png', 'rgba-png', 'baseline-jpeg', 'progressive-jpeg', 'webp', 'avif'];
const MATRIX_RESIZES = [['--fit', '2000x2000'], ['--width', '800']];
const MATRIX_FORMATS = ['jpeg', 'png', 'webp'];

/** Runs one case in a fresh process; a failed case still prints its JSON. */
function runChild(args) {
  const child = spawnSync(process.execPath, ['--expose-gc', __filename, ...args], { encoding: 'utf8' });
  if (child.status !== 0 && child.status !== 1) throw new Error(`case ${args.join(' ')} failed:\n${child.stderr}`);
  return JSON.parse(child.stdout);
}

function hasSharp() {
  try {
    require.resolve('sharp');
    return true;
  } catch {
    return false;
  }
}

function matrix() {
  const withSharp = hasSharp();
  const header = ['case', 'resize', 'out', 'decoded MB', 'budget MB', 'peak RSS MB', 'spare %', 'heap Δ MB', 'pass'];
  if (withSharp) header.push('sharp peak MB', 'vs sharp');
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => ' --- ').join('|')}|`);
  let failures = 0;
  for (const name of MATRIX_CASES) {
    const file = photoPath(name);
    for (const resize of MATRIX_RESIZES) {
      for (const format of MATRIX_FORMATS) {
        const r = runChild([file, ...resize, '--format', format]);
        const spare = (100 * (r.budget_mb - r.peak_rss_metrics_mb)) / r.budget_mb;
        const row = [name, r.resize, format, r.decoded_mb, r.budget_mb, r.peak_rss_metrics_mb, spare.toFixed(0), r.heap_delta_mb, r.pass ? 'yes' : 'NO'];
        if (withSharp) {
          const s = runChild([file, ...resize, '--format', format, '--engine', 'sharp']);
          row.push(s.peak_rss_metrics_mb, (r.peak_rss_metrics_mb / s.peak_rss_metrics_mb).toFixed(2));
        }
        if (!r.pass) failures++;
        console.log(`| ${row.join(' | ')} |`);
      }
    }
  }
  return failures;
}

async function main() {
  if (process.argv.includes('--matrix')) {
    process.exitCode = matrix() === 0 ? 0 : 1;
    return;
  }
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] || '').startsWith('--'));
  const input = positional[0] || photoPath('rgb-png');
  const batch = Number(option('batch', 0));
  const jobs = Number(option(batch ? 'concurrency' : 'jobs', batch ? 2 : 1));
  const result = await measure(input, parseResize(), option('format', 'jpeg'), option('engine', 'lazy'), jobs, batch);
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.pass ? 0 : 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(2);
  });
}

module.exports = { PHOTOS };
