'use strict';
// The srcset task: one large photo → widths 320, 640, 1280, 1920 × AVIF q60, WebP q80, JPEG
// q80, one call per source: lazy-image's toOutputs (one decode) against sharp with clone()
// (one decode per output, as sharp's documentation shows). Each engine in a process of its
// own, 2 sources in flight, sources per second and peak RSS, engines taking turns.
//   node benches/srcset.js <photo> [--seconds 30] [--runs 3]
//   node benches/srcset.js --worker <engine> <photo> <seconds>

const path = require('node:path');
const { peakRssMb } = require('./peak-rss');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');

const WIDTHS = [320, 640, 1280, 1920];
const FORMATS = [['avif', 60], ['webp', 80], ['jpeg', 80]];

const ENGINES = {
  'lazy-image': () => {
    const { ImageEngine } = require('..');
    const specs = FORMATS.flatMap(([format, quality]) => WIDTHS.map((width) => ({ resize: { width, withoutEnlargement: true }, format, quality })));
    return async (photo) => {
      const entries = await ImageEngine.fromPath(photo).toOutputs(specs);
      return entries.reduce((n, e) => n + (e.success ? e.bytes : 0), 0);
    };
  },
  sharp: () => {
    const sharp = require('sharp');
    sharp.cache(false);
    return async (photo) => {
      const base = sharp(photo);
      const outputs = FORMATS.flatMap(([format, quality]) => WIDTHS.map((width) => base.clone().resize({ width, withoutEnlargement: true }).toFormat(format, { quality }).toBuffer()));
      return (await Promise.all(outputs)).reduce((n, b) => n + b.length, 0);
    };
  },
};

async function worker(name, photo, seconds) {
  const run = ENGINES[name]();
  const bytes = await run(photo); // warm-up, and the set's size
  const deadline = Date.now() + seconds * 1000;
  let sources = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (Date.now() < deadline || sources < 2) {
      await run(photo);
      sources++;
    }
  };
  await Promise.all([lane(), lane()]);
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ sourcesPerSec: sources / s, bytes, peakRssMb: peakRssMb() }));
}

function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { seconds: { type: 'string', default: '30' }, runs: { type: 'string', default: '3' }, worker: { type: 'string' } } });
  if (values.worker) return worker(values.worker, positionals[0], Number(positionals[1]));
  const photo = positionals[0];
  const runs = [];
  for (let r = 1; r <= Number(values.runs); r++) {
    for (const name of Object.keys(ENGINES)) {
      const out = JSON.parse(execFileSync(process.execPath, [__filename, '--worker', name, photo, values.seconds], { encoding: 'utf8' }));
      runs.push({ run: r, engine: name, ...out });
      console.error(JSON.stringify(runs.at(-1)));
    }
  }
  console.log(JSON.stringify(runs));
}

main();
