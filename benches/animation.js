'use strict';
// Animation and palette PNG, lazy-image against sharp, each engine in a process of its own:
//   node benches/animation.js [--tasks animation,palette,memory] [--seconds 3] [--runs 3]
// animation: a 60-frame 480×270 GIF → animated WebP q80 at half width.
// palette:   a 1280×800 screenshot-like PNG → palette PNG.
// Both: throughput at 2 in flight for `--seconds`, `--runs` times with the engines taking
// turns, medians; bytes; SSIMULACRA2 (higher is better; no DSSIM tool here) of the output
// against a lossless reference (per frame, mean, for the animation), and for the animation
// bytes at sharp's score from a q70–85 sweep of each engine; peak RSS (VmHWM, see peak-rss.js).
// memory:    lazy-image alone, a 200-frame and a 2-frame 480×270 GIF → animated WebP, each in
// a fresh process (`from` a Buffer and `fromPath`; and the same frames as an animated WebP
// input): peak RSS of the process, its growth over the job, and `memoryEstimate`.
// The inputs are generated once into .cache/bench/ from deterministic raw frames.

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { peakRssMb } = require('./peak-rss');

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'bench', 'animation');
const W = 480;
const H = 270;

/** A deterministic pseudo-random stream (xorshift32) in [0, 1). */
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

/** `pages` RGB frames like footage: a slowly panning gradient sky and ground, a striped
 * ball moving and turning across it, sensor noise. */
function footage(width, height, pages) {
  const data = Buffer.alloc(width * height * 3 * pages);
  const noise = random(7);
  for (let p = 0; p < pages; p++) {
    const t = p / 50;
    const cx = width * (0.2 + 0.6 * ((Math.sin(t * 2.1) + 1) / 2));
    const cy = height * (0.35 + 0.3 * Math.sin(t * 3.7));
    const r = height * 0.18;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = ((p * height + y) * width + x) * 3;
        const u = (x + p * 2) / width;
        const v = y / height;
        let rgb = v < 0.6
          ? [90 + 80 * v + 30 * Math.sin(u * 3), 140 + 90 * v, 230 - 40 * v]
          : [70 + 40 * Math.sin(u * 17 + v * 9), 110 + 50 * v + 20 * Math.sin(u * 41), 50 + 30 * Math.cos(u * 23)];
        const dx = x - cx;
        const dy = y - cy;
        const d = Math.hypot(dx, dy);
        if (d < r) {
          const shade = 0.55 + 0.45 * Math.cos((d / r) * Math.PI / 2);
          const stripe = Math.sin((dx * Math.cos(t * 5) + dy * Math.sin(t * 5)) / 4) > 0 ? 1 : 0.45;
          rgb = [230 * shade * stripe, 120 * shade * stripe + 40, 60 * shade];
        }
        const n = (noise() - 0.5) * 18;
        for (let c = 0; c < 3; c++) data[i + c] = Math.max(0, Math.min(255, Math.round(rgb[c] + n)));
      }
    }
  }
  return data;
}

/** The footage as an animated GIF (or lossy WebP, q90), 40 ms a frame, looping. */
async function animated(pages, format = 'gif') {
  const file = path.join(CACHE, `footage-${W}x${H}-${pages}.${format}`);
  if (!fs.existsSync(file)) {
    const sharp = require('sharp');
    fs.mkdirSync(CACHE, { recursive: true });
    const raw = { width: W, height: H * pages, channels: 3, pageHeight: H };
    await sharp(footage(W, H, pages), { raw })[format]({ delay: Array(pages).fill(40), loop: 0, quality: 90 }).toFile(file);
  }
  return file;
}

/** A screenshot: title bar, sidebar, cards of text-like strokes, a gradient bar, a photo inset. */
async function screenshot() {
  const file = path.join(CACHE, 'screenshot-1280x800.png');
  if (fs.existsSync(file)) return file;
  const sharp = require('sharp');
  fs.mkdirSync(CACHE, { recursive: true });
  const rnd = random(11);
  const words = (x0, y0, width, lines, colour) => {
    let out = '';
    for (let l = 0; l < lines; l++) {
      for (let x = x0, w = 30; x + w <= x0 + width; w = 12 + Math.round(rnd() * 50)) {
        out += `<rect x="${x}" y="${y0 + l * 18}" width="${w}" height="8" rx="3" fill="${colour}"/>`;
        x += w + 7;
      }
    }
    return out;
  };
  let cards = '';
  for (let i = 0; i < 4; i++) {
    const x = 300 + (i % 2) * 480;
    const y = 110 + Math.floor(i / 2) * 300;
    cards += `<rect x="${x}" y="${y}" width="440" height="260" rx="8" fill="#ffffff" stroke="#d0d4da"/>`;
    cards += `<rect x="${x + 20}" y="${y + 20}" width="180" height="14" rx="4" fill="#1f2933"/>`;
    cards += words(x + 20, y + 52, 420, 10, '#52606d');
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="800">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#3b82f6"/><stop offset="1" stop-color="#a855f7"/></linearGradient></defs>
    <rect width="1280" height="800" fill="#f3f4f6"/>
    <rect width="1280" height="56" fill="#111827"/>${words(24, 24, 500, 1, '#e5e7eb')}
    <rect y="56" width="260" height="744" fill="#e5e7eb"/>${words(24, 90, 220, 30, '#374151')}
    <rect x="300" y="72" width="920" height="20" rx="10" fill="url(#g)"/>${cards}
  </svg>`;
  const photo = await sharp(footage(320, 180, 1), { raw: { width: 320, height: 180, channels: 3 } }).png().toBuffer();
  await sharp(Buffer.from(svg)).composite([{ input: photo, left: 880, top: 460 }]).removeAlpha().png().toFile(file);
  return file;
}

const RUN = {
  animation: {
    'lazy-image': (input, quality = 80) => require(ROOT).ImageEngine.from(input).resize(W / 2).toBuffer('webp', { quality }),
    sharp: (input, quality = 80) => require('sharp')(input, { animated: true }).resize(W / 2).webp({ quality }).toBuffer(),
  },
  palette: {
    'lazy-image': (input) => require(ROOT).ImageEngine.from(input).toBuffer('png', { palette: true }),
    sharp: (input) => require('sharp')(input).png({ palette: true }).toBuffer(),
  },
};

/** Child process: one engine, one task, `concurrency` in flight for `seconds`; prints JSON. */
async function throughput(task, engine, inputPath, outPath, concurrency, seconds) {
  if (engine === 'sharp') require('sharp').cache(false);
  const run = RUN[task][engine];
  const input = fs.readFileSync(inputPath);
  const first = await run(input); // warm-up, and the output scored
  fs.writeFileSync(outPath, first);
  const deadline = Date.now() + Number(seconds) * 1000;
  let ops = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (Date.now() < deadline || ops < 3 * concurrency) {
      await run(input);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: Number(concurrency) }, lane));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return { bytes: first.length, opsPerSec: ops / elapsed, peakRssMb: peakRssMb() };
}

/** Child process: one GIF → animated WebP by lazy-image, with its peak RSS and estimate. */
async function memoryJob(inputPath, source) {
  const { ImageEngine } = require(ROOT);
  const input = source === 'from' ? fs.readFileSync(inputPath) : null;
  const before = peakRssMb();
  const engine = source === 'from' ? ImageEngine.from(input) : ImageEngine.fromPath(inputPath);
  const { data, metrics } = await engine.toBufferWithMetrics('webp', { quality: 80 });
  const peak = peakRssMb();
  return { bytes: data.length, pages: metrics.pagesOut, beforeMb: before, peakRssMb: peak, jobMb: peak - before, estimateMb: metrics.memoryEstimate / 2 ** 20 };
}

function child(...args) {
  return JSON.parse(execFileSync(process.execPath, [__filename, '--child', ...args.map(String)], { encoding: 'utf8' }));
}

const SWEEP = [70, 75, 80, 85];

/** Bytes at `target` score, interpolated between the two sweep points around it. */
function bytesAt(points, target) {
  const sorted = [...points].sort((a, b) => a.score - b.score);
  for (let i = 1; i < sorted.length; i++) {
    const [lo, hi] = [sorted[i - 1], sorted[i]];
    if (lo.score <= target && target <= hi.score) return lo.bytes + ((target - lo.score) / (hi.score - lo.score || 1)) * (hi.bytes - lo.bytes);
  }
  return null;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Every frame of an image as PNG, decoded by sharp, at `width` (when given). */
async function framesAsPng(input, width) {
  const sharp = require('sharp');
  let s = sharp(input, { animated: true });
  if (width) s = s.resize(width);
  const { data, info } = await s.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const pages = info.pages || 1;
  const height = info.pageHeight || info.height;
  const size = info.width * height * info.channels;
  return Promise.all(Array.from({ length: pages }, (_, p) =>
    sharp(data.subarray(p * size, (p + 1) * size), { raw: { width: info.width, height, channels: info.channels } }).png().toBuffer()));
}

/** Mean SSIMULACRA2 over the frames of `output` against `reference` (PNG frames). */
async function score(reference, output) {
  const { ssimulacra2 } = require(ROOT);
  const frames = await framesAsPng(output);
  if (frames.length !== reference.length) throw new Error(`${frames.length} frames out, ${reference.length} expected`);
  return frames.reduce((sum, f, i) => sum + ssimulacra2(reference[i], f), 0) / frames.length;
}

async function sideBySide(task, { seconds, runs }) {
  const input = task === 'animation' ? await animated(60) : await screenshot();
  const reference = await framesAsPng(fs.readFileSync(input), task === 'animation' ? W / 2 : undefined);
  const rows = ['lazy-image', 'sharp'].map((engine) => ({ engine, runs: [] }));
  for (let run = 1; run <= runs; run++) {
    for (const row of rows) {
      process.stderr.write(`${task}: ${row.engine} run ${run}\n`);
      const out = path.join(CACHE, `${task}-${row.engine}.${task === 'animation' ? 'webp' : 'png'}`);
      row.runs.push(child('throughput', task, row.engine, input, out, 2, seconds));
      row.out = out;
    }
  }
  for (const row of rows) {
    for (const key of ['opsPerSec', 'peakRssMb', 'bytes']) row[key] = median(row.runs.map((r) => r[key]));
    row.ssimulacra2 = await score(reference, fs.readFileSync(row.out));
    if (task === 'animation') { // a short quality sweep, for bytes at sharp's score
      row.points = [];
      for (const quality of SWEEP) {
        const out = await RUN.animation[row.engine](fs.readFileSync(input), quality);
        row.points.push({ quality, bytes: out.length, score: await score(reference, out) });
      }
    }
  }
  const [ours, sharp] = rows;
  for (const r of rows) r.bytesAtSharp = r.points && bytesAt(r.points, sharp.ssimulacra2);
  const what = task === 'animation' ? `${path.basename(input)} (${reference.length} frames) → animated WebP q80, ${W / 2} wide` : `${path.basename(input)} → palette PNG`;
  console.log(`\n${task}: ${what}; 2 in flight, ${seconds} s, medians of ${runs} runs; node ${process.version}`);
  console.log('engine       ops/s  ×sharp     bytes  ×sharp  SSIMULACRA2  bytes@sharp\'s score  ×sharp  peakRSS MB  ×sharp');
  for (const r of rows) {
    console.log([
      r.engine.padEnd(10), r.opsPerSec.toFixed(2).padStart(7), `${(r.opsPerSec / sharp.opsPerSec).toFixed(2)}x`.padStart(7),
      String(r.bytes).padStart(9), `${(r.bytes / sharp.bytes).toFixed(2)}x`.padStart(7), r.ssimulacra2.toFixed(2).padStart(12),
      (r.bytesAtSharp ? String(Math.round(r.bytesAtSharp)) : '-').padStart(20), (r.bytesAtSharp ? `${(r.bytesAtSharp / sharp.bytesAtSharp).toFixed(2)}x` : '-').padStart(7),
      r.peakRssMb.toFixed(1).padStart(11), `${(r.peakRssMb / sharp.peakRssMb).toFixed(2)}x`.padStart(7),
    ].join(' '));
  }
  const smaller = (ours.bytes <= sharp.bytes && ours.ssimulacra2 >= sharp.ssimulacra2) || (ours.bytesAtSharp ?? Infinity) <= sharp.bytes;
  const met = ours.opsPerSec >= sharp.opsPerSec && smaller && ours.peakRssMb <= sharp.peakRssMb;
  console.log(`targets (ops/s ≥ sharp, bytes ≤ sharp at equal or better score, RSS ≤ sharp): ${met ? 'met' : 'not met'}`);
  return { task, rows };
}

async function memory({ runs }) {
  const rows = [];
  for (const [format, source] of [['gif', 'from'], ['gif', 'fromPath'], ['webp', 'from']]) {
    for (const pages of [2, 200]) {
      const input = await animated(pages, format);
      const results = [];
      for (let run = 1; run <= runs; run++) {
        process.stderr.write(`memory: ${format} ${source} ${pages} frames run ${run}\n`);
        results.push(child('memory', input, source));
      }
      const row = { format, source, pages, inputBytes: fs.statSync(input).size, bytes: results[0].bytes, pagesOut: results[0].pages, estimateMb: results[0].estimateMb };
      for (const key of ['beforeMb', 'peakRssMb', 'jobMb']) row[key] = median(results.map((r) => r[key]));
      rows.push(row);
    }
  }
  console.log(`\nmemory: ${W}x${H} GIF (and animated WebP) → animated WebP q80 by lazy-image, each in a fresh process; medians of ${runs} runs`);
  console.log('input  source    frames  frames out  input bytes  output bytes  RSS before MB  peak RSS MB  job MB  memoryEstimate MB');
  for (const r of rows) {
    console.log([r.format.padEnd(6), r.source.padEnd(8), String(r.pages).padStart(6), String(r.pagesOut).padStart(11), String(r.inputBytes).padStart(12), String(r.bytes).padStart(13),
      r.beforeMb.toFixed(1).padStart(14), r.peakRssMb.toFixed(1).padStart(12), r.jobMb.toFixed(1).padStart(7), r.estimateMb.toFixed(1).padStart(18)].join(' '));
  }
  for (const [format, source] of [['gif', 'from'], ['gif', 'fromPath'], ['webp', 'from']]) {
    const [two, many] = rows.filter((r) => r.format === format && r.source === source);
    const ratio = many.peakRssMb / two.peakRssMb;
    console.log(`${format} ${source}: peak RSS(200) / peak RSS(2) = ${ratio.toFixed(2)} (target ≤ 2): ${ratio <= 2 ? 'met' : 'not met'}; the job's own growth ${(many.jobMb / two.jobMb).toFixed(2)}x`);
  }
  return { task: 'memory', rows };
}

/** The tasks named (animation, palette, memory); compare.js calls this. */
async function runAnimationBench({ tasks = ['animation', 'palette', 'memory'], seconds = 3, runs = 3 } = {}) {
  const results = [];
  for (const task of tasks) {
    results.push(task === 'memory' ? await memory({ runs: Number(runs) }) : await sideBySide(task, { seconds: Number(seconds), runs: Number(runs) }));
  }
  fs.writeFileSync(path.join(CACHE, 'results.json'), JSON.stringify(results, null, 2));
  return results;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [mode, ...rest] = argv.slice(1);
    console.log(JSON.stringify(mode === 'memory' ? await memoryJob(...rest) : await throughput(...rest)));
    return;
  }
  const { values } = require('node:util').parseArgs({
    args: argv,
    options: { tasks: { type: 'string' }, seconds: { type: 'string', default: '3' }, runs: { type: 'string', default: '3' } },
  });
  await runAnimationBench({ tasks: values.tasks?.split(','), seconds: values.seconds, runs: values.runs });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

module.exports = { runAnimationBench, TASKS: ['animation', 'palette', 'memory'] };
