'use strict';
// Checks the per-job memory estimate (`memoryEstimate` in the metrics, `src/pipeline/cost.rs`)
// against what each job really costs: every case runs in a fresh process, which reports its
// peak RSS (VmHWM) growth over the job beside the estimate, and the same job through sharp.
//
//   node docs/scripts/measure-cost.js [--megapixels 6] [--cases jpeg-webp,png-avif,...] [--auto]
//
// `--auto` makes every output with `quality: 'auto'` (sharp's side: its default quality).
//
// Inputs are photo-like images made once with sharp into .cache/cost/.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const CACHE = path.join(ROOT, '.cache', 'cost');
const MB = 1e6;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** input kind → how sharp writes it. */
const INPUTS = {
  jpeg: (s) => s.jpeg({ quality: 90 }),
  'jpeg-progressive-444': (s) => s.jpeg({ quality: 90, progressive: true, chromaSubsampling: '4:4:4' }),
  png: (s) => s.png(),
  'png-interlaced': (s) => s.png({ progressive: true }),
  webp: (s) => s.webp({ quality: 90 }),
  avif: (s) => s.avif({ quality: 70, effort: 2 }),
};
const OUTPUTS = ['jpeg', 'png', 'webp', 'avif'];

async function makeInput(kind, megapixels) {
  const sharp = require('sharp');
  const file = path.join(CACHE, `${kind}-${megapixels}mp.${kind.split('-')[0]}`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(CACHE, { recursive: true });
  const width = Math.round(Math.sqrt(megapixels * 1e6 * 1.5));
  const height = Math.round(width / 1.5);
  // Noise over gradients: encoders do photo-like work.
  const noise = sharp({ create: { width, height, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
  const raw = await noise.blur(1.2).raw().toBuffer();
  await INPUTS[kind](sharp(raw, { raw: { width, height, channels: 3 } })).toFile(file);
  return file;
}

/** Runs in the child: one job, peak RSS growth over it. */
async function child(engine, input, format, width, auto) {
  const hwm = () => Number(fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/)[1]) * 1024;
  let run;
  if (engine === 'sharp') {
    const sharp = require('sharp');
    sharp.concurrency(1);
    await sharp(input).metadata();
    run = () => { let s = sharp(input); if (width) s = s.resize(width); return s.toFormat(format).toBuffer().then(() => ({})); };
  } else {
    const lazy = require(ROOT);
    lazy.inspectFile(input);
    run = () => { const e = lazy.ImageEngine.fromPath(input); if (width) e.resize(width); return e.toBufferWithMetrics(format, auto ? { quality: 'auto' } : {}).then((r) => r.metrics); };
  }
  const before = hwm();
  const metrics = await run();
  process.stdout.write(JSON.stringify({ peak: hwm() - before, estimate: metrics.memoryEstimate || 0 }));
}

async function main() {
  if (process.argv[2] === '--child') return child(...process.argv.slice(3, 6), Number(process.argv[6]) || 0, process.argv[7] === 'auto');
  const megapixels = Number(option('megapixels', '6'));
  const wanted = option('cases', '');
  const auto = process.argv.includes('--auto');
  const rows = [];
  for (const kind of Object.keys(INPUTS)) {
    const input = await makeInput(kind, megapixels);
    // PNG has no quality to choose.
    for (const format of OUTPUTS.filter((f) => !auto || f !== 'png')) {
      for (const width of [0, 800]) {
        const name = `${kind}-${format}${width ? '-800w' : ''}${auto ? '-auto' : ''}`;
        if (wanted && !wanted.split(',').some((c) => c === `${kind}-${format}` || name.startsWith(c))) continue;
        const measure = (engine) => {
          const r = spawnSync(process.execPath, [__filename, '--child', engine, input, format, String(width), auto ? 'auto' : 'fixed'], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`${name} (${engine}): ${r.stderr}`);
          return JSON.parse(r.stdout);
        };
        const lazy = measure('lazy');
        const sharp = measure('sharp');
        const row = { case: name, estimateMb: Math.round(lazy.estimate / MB), lazyPeakMb: Math.round(lazy.peak / MB), sharpPeakMb: Math.round(sharp.peak / MB) };
        row.covered = lazy.estimate >= lazy.peak;
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    }
  }
  console.table(rows);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
