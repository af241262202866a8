'use strict';
// Soak: many mixed operations over every format, several engines and clones, a fixed number
// in flight, sampling RSS every 250 operations. Holds: the median RSS of the last quarter of
// the run is less than 10 % above that of the third quarter (medians, because RSS swings by
// tens of MB with the jobs in flight), no descriptor or temporary file is left, every output
// decodes to the expected size. Not part of `npm test` (minutes long).
//
//   node benches/soak.js [--ops 10000] [--concurrency 8]

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { ImageEngine, createStreamingPipeline, inspect } = require('..');
const { fromRaw, photoRaw } = require('../__test__/helpers');

const { values } = parseArgs({ options: { ops: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '8' } } });
const OPS = Number(values.ops);
const CONCURRENCY = Number(values.concurrency);
const FORMATS = ['jpeg', 'png', 'webp', 'webp', 'jpeg', 'png', 'webp', 'jpeg', 'png', 'avif'];

/** Deterministic pseudo-random numbers, so a failing run can be replayed. */
let seed = 42;
function rand(n) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}

async function makeSources(dir) {
  const make = async (name, pipeline) => {
    const file = path.join(dir, name);
    await pipeline.toFile(file);
    return file;
  };
  return [
    await make('photo.jpg', fromRaw(photoRaw(640, 480)).jpeg({ quality: 85 })),
    await make('progressive.jpg', fromRaw(photoRaw(500, 400)).jpeg({ progressive: true })),
    await make('rotated.jpg', fromRaw(photoRaw(480, 320)).jpeg().withMetadata({ orientation: 6 })),
    await make('cmyk.jpg', fromRaw(photoRaw(320, 240)).withIccProfile('cmyk').jpeg()),
    await make('alpha.png', fromRaw(photoRaw(480, 360, 4)).png()),
    await make('p3.png', fromRaw(photoRaw(400, 300)).withIccProfile('p3').png()),
    await make('grey.png', fromRaw(photoRaw(300, 300)).grayscale().png()),
    await make('photo.webp', fromRaw(photoRaw(640, 400)).webp({ quality: 80 })),
    await make('alpha.webp', fromRaw(photoRaw(300, 300, 4)).webp({ lossless: true })),
    await make('photo.avif', fromRaw(photoRaw(480, 320)).avif({ quality: 60, chromaSubsampling: '4:2:0' })),
    await make('alpha.avif', fromRaw(photoRaw(240, 240, 4)).avif({ quality: 60 })),
  ];
}

function openDescriptors() {
  return fs.readdirSync('/proc/self/fd').length;
}

function streamTemps() {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('lazy-image-stream-')).length;
}

/** One random job: an engine (fresh, from a Buffer, or a clone), random operations, one output. */
async function job(i, sources, buffers, shared, outDir) {
  const s = rand(sources.length);
  const way = rand(3);
  const engine = way === 0 ? ImageEngine.fromPath(sources[s]) : way === 1 ? ImageEngine.from(buffers[s]) : shared[s].clone();
  const width = 16 + rand(300);
  engine.resize({ width, fit: ['inside', 'cover', 'fill', 'contain', 'outside'][rand(5)], height: rand(2) ? 16 + rand(300) : undefined });
  if (rand(4) === 0) engine.rotate(90 * rand(4));
  if (rand(5) === 0) engine.grayscale();
  if (rand(6) === 0) engine.flipH().contrast(rand(100) - 50);
  if (rand(5) === 0) engine.keepMetadata();
  const format = FORMATS[rand(FORMATS.length)];
  const options = { quality: 40 + rand(60), fastMode: format === 'avif' || rand(2) === 0 };
  const out = path.join(outDir, `${i}.${format}`);
  let data;
  switch (rand(8)) {
    case 0:
      await engine.toFile(out, format, options);
      data = fs.readFileSync(out);
      fs.unlinkSync(out);
      break;
    case 1: {
      const [entry] = await engine.processBatch([sources[s]], path.join(outDir, `batch-${i}`), { format, ...options, concurrency: 1 });
      if (!entry.success) throw new Error(`batch: ${entry.code} ${entry.error}`);
      data = fs.readFileSync(entry.outputPath);
      fs.rmSync(path.join(outDir, `batch-${i}`), { recursive: true });
      break;
    }
    case 2: {
      const { writable, readable } = createStreamingPipeline({ format, ...options, ops: [['resize', width]] });
      writable.end(buffers[s]);
      const chunks = [];
      for await (const c of readable) chunks.push(c);
      data = Buffer.concat(chunks);
      break;
    }
    default:
      data = (await engine.toBufferWithMetrics(format, options)).data;
  }
  return check(data, format);
}

/** Decodes the output again: its header and its pixels. */
async function check(data, format) {
  const info = inspect(data);
  if (info.format !== format || info.width < 1 || info.height < 1) throw new Error(`bad ${format} output`);
  const back = inspect(await ImageEngine.from(data).resize(8).toBuffer('png'));
  if (back.width !== 8) throw new Error('output did not decode');
}

function median(samples, key) {
  const values = samples.map((s) => s[key]).sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-soak-'));
  const outDir = path.join(dir, 'out');
  fs.mkdirSync(outDir);
  const sources = await makeSources(dir);
  const buffers = sources.map((f) => fs.readFileSync(f));
  const shared = sources.map((f) => ImageEngine.fromPath(f).autoOrient(true));
  const fdsBefore = openDescriptors();
  const tempsBefore = streamTemps();
  const samples = [];
  let done = 0;
  let failures = 0;
  const started = Date.now();
  let next = 0;
  async function worker() {
    while (next < OPS) {
      const i = next++;
      try {
        await job(i, sources, buffers, shared, outDir);
      } catch (err) {
        failures++;
        console.error(`op ${i}: ${err.code || ''} ${err.message}`);
      }
      if (++done % 250 === 0) {
        const { rss, heapUsed } = process.memoryUsage();
        samples.push({ ops: done, rssMb: +(rss / 2 ** 20).toFixed(1), heapMb: +(heapUsed / 2 ** 20).toFixed(1) });
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (global.gc) global.gc();
  await new Promise((r) => setTimeout(r, 200));
  const quarter = Math.floor(samples.length / 4);
  const third = samples.slice(2 * quarter, 3 * quarter);
  const fourth = samples.slice(3 * quarter);
  const peak = Math.max(...samples.map((s) => s.rssMb));
  const growth = median(fourth, 'rssMb') / median(third, 'rssMb') - 1;
  const leftovers = fs.readdirSync(outDir).length;
  const result = {
    ops: done,
    concurrency: CONCURRENCY,
    seconds: +((Date.now() - started) / 1000).toFixed(1),
    failures,
    rss_first_mb: samples[0].rssMb,
    rss_q3_median_mb: median(third, 'rssMb'),
    rss_q4_median_mb: median(fourth, 'rssMb'),
    rss_peak_mb: peak,
    growth_last_quarter_pct: +(growth * 100).toFixed(1),
    js_heap_q3_q4_median_mb: [median(third, 'heapMb'), median(fourth, 'heapMb')],
    // the shape of a long run: a leak climbs steadily, allocator retention levels off
    rss_median_by_tenth_mb: Array.from({ length: 10 }, (_, i) =>
      median(samples.slice(Math.floor((i * samples.length) / 10), Math.floor(((i + 1) * samples.length) / 10)), 'rssMb'),
    ),
    fds_leaked: openDescriptors() - fdsBefore,
    stream_temps_leaked: streamTemps() - tempsBefore,
    output_files_left: leftovers,
  };
  result.pass = failures === 0 && growth < 0.1 && result.fds_leaked <= 0 && result.stream_temps_leaked <= 0 && leftovers === 0;
  console.log(JSON.stringify(result, null, 2));
  console.log(samples.map((s) => `${s.ops}:${s.rssMb}`).join(' '));
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = result.pass ? 0 : 1;
}

main();
