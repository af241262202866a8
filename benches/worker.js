'use strict';
// One engine on one task, in a process of its own (so peak RSS is its own):
//   node worker.js <engine> <input> <width> <height|0> <format> <quality> throughput <concurrency> <seconds>
//   node worker.js <engine> <input> <width> <height|0> <format> <qualities,...> sweep <outDir>
// Prints one JSON object.

const fs = require('node:fs');
const { peakRssMb } = require('./peak-rss');
const path = require('node:path');
const { ENGINES } = require('./engines');

async function main() {
  const [name, inputPath, w, h, format, quality, mode, a, b] = process.argv.slice(2);
  const engine = ENGINES[name]();
  const input = fs.readFileSync(inputPath);
  // The thumbnail-recipe task names its watermark in the environment (see engines.js).
  const task = { width: Number(w), height: Number(h) || undefined, watermark: process.env.BENCH_WATERMARK };
  if (mode === 'sweep') {
    const outputs = {};
    fs.mkdirSync(a, { recursive: true });
    const reference = path.join(a, 'reference.png');
    fs.writeFileSync(reference, await engine.run(input, task, 'png'));
    for (const q of quality.split(',').map(Number).filter((n) => n > 0)) {
      const file = path.join(a, `q${q}.${format}`);
      fs.writeFileSync(file, await engine.run(input, task, format, q));
      outputs[q] = file;
    }
    console.log(JSON.stringify({ reference, outputs }));
    return;
  }
  const concurrency = Number(a);
  const deadline = Date.now() + Number(b) * 1000;
  const q = Number(quality) || undefined;
  const first = await engine.run(input, task, format, q); // warm-up, and the size
  let ops = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (Date.now() < deadline || ops < 3 * concurrency) {
      await engine.run(input, task, format, q);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({
    version: engine.version,
    bytes: first.length,
    opsPerSec: ops / seconds,
    peakRssMb: peakRssMb(),
  }));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
