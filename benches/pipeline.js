'use strict';
// Throughput of lazy-image alone on one input: median time per output and ops/s with 1 and
// 2 requests in flight, for each output format. Peers (sharp and others) are compared in
// the side-by-side benchmark that the performance work adds.
//
//   node benches/pipeline.js [input] [--width 800] [--runs 15]

const os = require('node:os');
const path = require('node:path');
const { ImageEngine, supportedOutputFormats, inspectFile } = require('..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const input = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : path.join(__dirname, '..', 'examples', 'sample.jpg');
const width = arg('width', 800);
const runs = arg('runs', 15);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Requests per second with exactly `concurrency` requests in flight (median of rounds). */
async function opsPerSecond(format, concurrency) {
  const engine = ImageEngine.fromPath(input).resize(width);
  await engine.toBuffer(format); // warm-up
  const perWorker = 3;
  const rates = [];
  let bytes = 0;
  for (let r = 0; r < Math.max(3, Math.ceil(runs / 3)); r++) {
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = 0; i < perWorker; i++) bytes = (await engine.toBuffer(format)).length;
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push((concurrency * perWorker) / seconds);
  }
  return { rate: median(rates), bytes };
}

async function main() {
  const info = inspectFile(input);
  console.log(`input ${path.basename(input)} ${info.width}x${info.height} ${info.format} → ${width} wide; ${os.cpus().length} cores; node ${process.version}`);
  console.log('format  bytes    median ms  ops/s (1)  ops/s (2)');
  for (const format of supportedOutputFormats()) {
    const engine = ImageEngine.fromPath(input).resize(width);
    const times = [];
    for (let i = 0; i < runs; i++) times.push((await engine.toBufferWithMetrics(format)).metrics.totalMs);
    const one = await opsPerSecond(format, 1);
    const two = await opsPerSecond(format, 2);
    console.log(
      `${format.padEnd(6)} ${String(one.bytes).padStart(7)} ${median(times).toFixed(1).padStart(11)} ${one.rate.toFixed(1).padStart(10)} ${two.rate.toFixed(1).padStart(10)}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
