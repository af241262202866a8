'use strict';
// Two facts behind the auto-quality search (docs/PERFORMANCE.md), on the auto-quality
// bench's corpus (run benches/auto-quality.js once to fetch it):
//   node docs/scripts/auto-quality-split.js half      does the half-size answer equal the full-size one?
//   node docs/scripts/auto-quality-split.js threads   auto ÷ fixed time on five photos (run it again
//                                                     under `taskset -c 0` for one core)

const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine, ssimulacra2 } = require('../..');

const CORPUS = path.join(__dirname, '..', '..', '.cache', 'bench', 'deb', 'x');
const TARGET = 75;
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const ms = (since) => Number(process.hrtime.bigint() - since) / 1e6;

/** The corpus' JPEG and PNG files at least 1280 wide, largest first (as the bench picks them). */
async function photos(limit) {
  const files = fs.readdirSync(CORPUS, { recursive: true }).map((f) => path.join(CORPUS, f)).filter((f) => /\.(jpe?g|png)$/i.test(f) && fs.statSync(f).isFile());
  const wide = [];
  for (const f of files) if ((await ImageEngine.fromPath(f).metadata()).width >= 1280) wide.push(f);
  return wide.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size).slice(0, limit);
}

/** Each photo at 1280 and 640 wide, q60–95 in steps of 5, scored at its own size: the lowest reaching the target at each. */
async function half() {
  for (const format of ['webp', 'jpeg']) {
    let same = 0;
    const list = await photos(25);
    for (const p of list) {
      const full = await ImageEngine.fromPath(p).resize(1280).toBuffer('png');
      const small = await ImageEngine.from(full).resize(640).toBuffer('png');
      const lowest = async (ref) => {
        for (let q = 60; q <= 95; q += 5) if (ssimulacra2(ref, await ImageEngine.from(ref).toBuffer(format, { quality: q })) >= TARGET) return q;
        return 100;
      };
      if ((await lowest(full)) === (await lowest(small))) same++;
    }
    console.log(`${format}: the half-size answer equals the full-size one for ${same} of ${list.length} photos`);
  }
}

/** One auto and one fixed q80 output of five photos at 1280 wide, medians. */
async function threads() {
  const names = ['Elephants_3840x2160.jpg', 'RainDrops.jpg', 'Storm.jpg', 'TwoWings.jpg', 'Dune.jpg'];
  const list = (await photos(1000)).filter((p) => names.includes(path.basename(p)));
  for (const format of ['webp', 'jpeg']) {
    const [auto, fixed] = [[], []];
    for (const p of list) {
      let t = process.hrtime.bigint();
      await ImageEngine.fromPath(p).resize(1280).toBuffer(format, { quality: 80 });
      fixed.push(ms(t));
      t = process.hrtime.bigint();
      await ImageEngine.fromPath(p).resize(1280).toBuffer(format, { quality: 'auto' });
      auto.push(ms(t));
    }
    console.log(`${format}, ${list.length} photos: auto ${median(auto).toFixed(0)} ms, fixed ${median(fixed).toFixed(0)} ms, ${(median(auto) / median(fixed)).toFixed(2)}×`);
  }
}

const mode = { half, threads }[process.argv[2]];
if (!mode) {
  console.error('usage: node docs/scripts/auto-quality-split.js half|threads');
  process.exit(2);
}
mode().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
