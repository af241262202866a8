'use strict';
// Side-by-side comparison with the peers (devDependencies of this folder only):
//   npm install --prefix benches          # once: sharp, @napi-rs/image, the original lazy-image
//   cargo install dssim                   # once: the DSSIM command
//   node benches/compare.js --fixtures <dir of sharp's benchmark images> [--seconds 3] [--runs 3] [--tasks jpeg,png]
// The animation and palette tasks (and memory, when named) are benches/animation.js's; they
// need no fixtures: `--tasks animation,palette`.
// Each engine runs each task in processes of its own: a quality sweep (for DSSIM and bytes
// at equal DSSIM) and throughput with 1 and 2 requests in flight, repeated `--runs` times
// with the engines taking turns, so a slow spell of the machine hits them all; the table
// shows medians, with ratios to sharp, and one rate-distortion chart per task goes into
// docs/bench/.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const sharp = require('sharp');
const { drawChart } = require('./chart');
const { runAnimationBench, TASKS: ANIMATION_TASKS } = require('./animation');

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'bench');
const { values: args } = parseArgs({
  options: {
    fixtures: { type: 'string' },
    seconds: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    tasks: { type: 'string' },
  },
});

// Sweeps dense enough that interpolating bytes at equal DSSIM between neighbours stays close
// to the (convex) curve: with steps of 15, AVIF read up to 20 % high.
const LOSSY = [40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95];
const AVIF = [30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90];
const ALL = ['lazy-image', 'lazy-image fast', 'sharp', '@napi-rs/image', 'original lazy-image'];

function fixture(name) {
  if (!args.fixtures) throw new Error('--fixtures <dir> is required: the folder holding sharp\'s benchmark images');
  const file = path.join(args.fixtures, name);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing`);
  return file;
}

/** The largest JPEG (3840x2400) of Debian's ukui-wallpapers package, downloaded once into .cache. */
function wallpaper() {
  const dir = path.join(CACHE, 'ukui');
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('apt-get', ['download', 'ukui-wallpapers'], { cwd: dir, stdio: 'inherit' });
    const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'));
    execFileSync('dpkg-deb', ['-x', deb, 'x'], { cwd: dir });
  }
  const backgrounds = path.join(dir, 'x', 'usr', 'share', 'backgrounds');
  const jpegs = fs.readdirSync(backgrounds).filter((f) => f.endsWith('.jpg')).map((f) => path.join(backgrounds, f));
  return jpegs.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
}

/** A ~2.5 MP JPEG cut from the wallpaper, for the AVIF task. */
async function twoMegapixel(source) {
  const file = path.join(CACHE, 'photo-2mp.jpg');
  if (!fs.existsSync(file)) await sharp(source).resize(1920).jpeg({ quality: 95 }).toFile(file);
  return file;
}

/** A 160 px wide PNG with alpha, cut from sharp's alpha benchmark image. */
async function watermark() {
  const file = path.join(CACHE, 'watermark.png');
  if (!fs.existsSync(file)) await sharp(fixture('alpha-premultiply-2048x1536-paper.png')).resize(160).png().toFile(file);
  return file;
}

async function tasks() {
  if (args.tasks && args.tasks.split(',').every((name) => ANIMATION_TASKS.includes(name))) return [];
  const photo = wallpaper();
  const all = [
    { name: 'jpeg', input: fixture('2569067123_aca715a2ee_o.jpg'), width: 720, height: 588, format: 'jpeg', quality: 80, engines: [...ALL, 'sharp mozjpeg'] },
    { name: 'png', input: fixture('alpha-premultiply-2048x1536-paper.png'), width: 720, height: 540, format: 'png', engines: ALL.filter((e) => e !== 'lazy-image fast') },
    { name: 'photo-webp', input: photo, width: 800, format: 'webp', quality: 80, engines: ALL },
    { name: 'photo-jpeg', input: photo, width: 800, format: 'jpeg', quality: 80, engines: [...ALL, 'sharp mozjpeg'] },
    { name: 'avif', input: await twoMegapixel(photo), width: 1280, format: 'avif', quality: 60, engines: ALL.filter((e) => e !== 'lazy-image fast'), qualities: AVIF },
    // The thumbnail recipe of the operations issue: cover at 'attention', sharpen, a PNG
    // watermark at the bottom right (lazy-image at opacity 0.5; sharp has no opacity).
    { name: 'watermark', input: fixture('2569067123_aca715a2ee_o.jpg'), width: 400, height: 400, format: 'jpeg', quality: 80, engines: ['lazy-image', 'sharp'], watermark: await watermark() },
  ];
  return args.tasks ? all.filter((t) => args.tasks.split(',').includes(t.name)) : all;
}

function worker(engine, t, ...rest) {
  const env = { ...process.env, BENCH_WATERMARK: t.watermark || '' };
  const out = execFileSync(process.execPath, [path.join(__dirname, 'worker.js'), engine, t.input, String(t.width), String(t.height || 0), t.format, ...rest], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  return JSON.parse(out);
}

/** DSSIM of `file` (decoded to PNG by sharp) against `reference`, by the dssim command. */
async function dssim(reference, file) {
  const png = `${file}.png`;
  await sharp(file).png().toFile(png);
  const out = execFileSync('dssim', [reference, png], { encoding: 'utf8' });
  return Number(out.trim().split(/\s+/)[0]);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Bytes at `target` DSSIM, interpolated between the two sweep points around it. */
function bytesAt(points, target) {
  const sorted = [...points].sort((a, b) => a.dssim - b.dssim);
  for (let i = 1; i < sorted.length; i++) {
    const [lo, hi] = [sorted[i - 1], sorted[i]];
    if (lo.dssim <= target && target <= hi.dssim) {
      const f = hi.dssim === lo.dssim ? 0 : (target - lo.dssim) / (hi.dssim - lo.dssim);
      return lo.bytes + f * (hi.bytes - lo.bytes);
    }
  }
  return null;
}

async function main() {
  const seconds = args.seconds;
  const results = [];
  fs.mkdirSync(CACHE, { recursive: true });
  for (const t of await tasks()) {
    const rows = [];
    for (const engine of t.engines) {
      process.stderr.write(`${t.name}: ${engine} sweep\n`);
      const row = { engine, points: [], runs: [] };
      const dir = path.join(CACHE, t.name, engine.replace(/[^a-z0-9]+/gi, '-'));
      if (t.format !== 'png') {
        const sweep = worker(engine, t, (t.qualities || LOSSY).join(','), 'sweep', dir);
        for (const [q, file] of Object.entries(sweep.outputs)) {
          row.points.push({ quality: Number(q), bytes: fs.statSync(file).size, dssim: await dssim(sweep.reference, file) });
        }
        row.dssim = row.points.find((p) => p.quality === t.quality)?.dssim;
      } else {
        row.reference = worker(engine, t, '0', 'sweep', dir).reference;
      }
      rows.push(row);
    }
    for (let run = 1; run <= Number(args.runs); run++) {
      for (const row of rows) {
        process.stderr.write(`${t.name}: ${row.engine} run ${run}\n`);
        const quality = String(t.quality || 0);
        const one = worker(row.engine, t, quality, 'throughput', '1', seconds);
        const two = worker(row.engine, t, quality, 'throughput', '2', seconds);
        Object.assign(row, { version: one.version, bytes: one.bytes });
        row.runs.push({ ops1: one.opsPerSec, ops2: two.opsPerSec, peakRssMb: two.peakRssMb });
      }
    }
    for (const row of rows) {
      for (const key of ['ops1', 'ops2', 'peakRssMb']) row[key] = median(row.runs.map((r) => r[key]));
    }
    const sharp = rows.find((r) => r.engine === 'sharp');
    if (t.format === 'png') {
      for (const r of rows) r.dssim = await dssim(sharp.reference, r.reference); // each lossless resize against sharp's
    } else {
      for (const r of rows) r.bytesAtEqual = bytesAt(r.points, sharp.dssim);
      drawChart(path.join(ROOT, 'docs', 'bench', `${t.name}.svg`), `${t.name}: ${t.width}${t.height ? `x${t.height}` : ' wide'} ${t.format}`, rows);
    }
    results.push({ task: t.name, rows });
    printTask(t, rows, sharp);
  }
  if (results.length) fs.writeFileSync(path.join(CACHE, 'results.json'), JSON.stringify(results, null, 2));
  const animation = args.tasks ? args.tasks.split(',').filter((name) => ANIMATION_TASKS.includes(name)) : ['animation', 'palette'];
  if (animation.length) await runAnimationBench({ tasks: animation, seconds, runs: args.runs });
}

function printTask(t, rows, sharp) {
  const ratio = (v, s) => (v && s ? `${(v / s).toFixed(2)}x` : '-');
  console.log(`\n${t.name}: ${path.basename(t.input)} → ${t.width}${t.height ? `x${t.height}` : ' wide'} ${t.format}${t.quality ? ` q${t.quality}` : ''}; ${os.cpus().length} cores; node ${process.version}; medians of ${args.runs} runs`);
  console.log('engine               version  ops/s(1)  ops/s(2)  ×sharp   bytes    dssim     bytes@eq  ×sharp  peakRSS MB  ×sharp');
  for (const r of rows) {
    console.log([
      r.engine.padEnd(20), String(r.version).padEnd(8), r.ops1.toFixed(1).padStart(8), r.ops2.toFixed(1).padStart(9),
      ratio(r.ops2, sharp.ops2).padStart(7), String(r.bytes).padStart(8), (r.dssim === undefined ? '-' : r.dssim.toFixed(5)).padStart(9),
      (r.bytesAtEqual ? Math.round(r.bytesAtEqual) : '-').toString().padStart(10), ratio(r.bytesAtEqual, sharp.bytesAtEqual).padStart(7),
      r.peakRssMb.toFixed(1).padStart(10), ratio(r.peakRssMb, sharp.peakRssMb).padStart(7),
    ].join(' '));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
