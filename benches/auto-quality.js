'use strict';
// Quality chosen per image against fixed quality, over a corpus of real photos (Debian's
// wallpaper packages, fetched once into .cache): each photo resized to 1280 wide, for each
// format: the bytes of `quality: 'auto'` (target 75) against the lowest fixed quality (steps
// of 5) that keeps at least 95 % of the corpus at SSIMULACRA2 ≥ 75, ours and sharp's; every
// score by `ssimulacra2()` against the lossless resize.
//   node benches/auto-quality.js [--formats webp,jpeg,avif] [--limit 30] [--qualities 70,75,...]
// (the fixed sweep's qualities: the default is every step of 5; the lowest that keeps 95 %
// at the target must be among them). The results go to .cache/bench/auto-quality.json and
// a chart of bytes per image per format to docs/bench/ (benches/auto-quality-chart.js).

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const sharp = require('sharp');
const { ImageEngine, ssimulacra2 } = require('..');
const { drawAutoQuality, RESULTS } = require('./auto-quality-chart');

const { values: args } = parseArgs({ options: { formats: { type: 'string', default: 'webp,jpeg' }, limit: { type: 'string', default: '30' }, qualities: { type: 'string' } } });
const CACHE = path.join(__dirname, '..', '.cache', 'bench', 'deb');
const PACKAGES = ['ukui-wallpapers', 'mate-backgrounds'];
const TARGET = 75;
const QUALITIES = args.qualities ? args.qualities.split(',').map(Number) : [30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95];

/** The JPEG and PNG photos of the packages, at least 1280 wide, largest files first. */
async function corpus() {
  fs.mkdirSync(CACHE, { recursive: true });
  for (const p of PACKAGES) {
    if (!fs.readdirSync(CACHE).some((f) => f.startsWith(`${p}_`))) execFileSync('apt-get', ['download', p], { cwd: CACHE, stdio: 'inherit' });
  }
  for (const deb of fs.readdirSync(CACHE).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg-deb', ['-x', deb, 'x'], { cwd: CACHE });
  const files = fs.readdirSync(path.join(CACHE, 'x'), { recursive: true }).map((f) => path.join(CACHE, 'x', f)).filter((f) => /\.(jpe?g|png)$/i.test(f) && fs.statSync(f).isFile());
  const wide = [];
  for (const f of files) if ((await sharp(f).metadata()).width >= 1280) wide.push(f);
  return wide.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size).slice(0, Number(args.limit));
}

/** CPU time of this process (every thread) since `since`, in ms. */
const cpuMs = (since) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000; };
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

async function main() {
  const photos = await corpus();
  console.log(`${photos.length} photos`);
  const rows = [];
  for (const format of args.formats.split(',')) {
    const ours = { auto: [], fixed: Object.fromEntries(QUALITIES.map((q) => [q, []])), autoMs: [], fixedMs: [], autoCpuMs: [], fixedCpuMs: [] };
    const theirs = Object.fromEntries(QUALITIES.map((q) => [q, []]));
    for (const photo of photos) {
      const engine = ImageEngine.fromPath(photo).resize(1280);
      const reference = await engine.toBuffer('png');
      let [t, cpu] = [process.hrtime.bigint(), process.cpuUsage()];
      const [auto] = await ImageEngine.fromPath(photo).toOutputs([{ resize: 1280, format, quality: 'auto', target: TARGET }]);
      ours.autoMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      ours.autoCpuMs.push(cpuMs(cpu));
      ours.auto.push({ bytes: auto.bytes, score: ssimulacra2(reference, auto.data), quality: auto.quality });
      const sharpReference = await sharp(photo).resize(1280).png().toBuffer();
      for (const q of QUALITIES) {
        [t, cpu] = [process.hrtime.bigint(), process.cpuUsage()];
        const data = await engine.toBuffer(format, { quality: q });
        if (q === QUALITIES.at(-1)) {
          ours.fixedMs.push(Number(process.hrtime.bigint() - t) / 1e6);
          ours.fixedCpuMs.push(cpuMs(cpu));
        }
        ours.fixed[q].push({ bytes: data.length, score: ssimulacra2(reference, data) });
        const s = await sharp(photo).resize(1280).toFormat(format, { quality: q }).toBuffer();
        theirs[q].push({ bytes: s.length, score: ssimulacra2(sharpReference, s) });
      }
      process.stderr.write(`${format} ${path.basename(photo)}: auto q${auto.quality} ${auto.bytes} B\n`);
    }
    const lowest = (byQ) => QUALITIES.find((q) => byQ[q].filter((r) => r.score >= TARGET).length >= 0.95 * photos.length) ?? 95;
    const total = (list) => list.reduce((n, r) => n + r.bytes, 0);
    const [qOurs, qSharp] = [lowest(ours.fixed), lowest(theirs)];
    const autoBytes = total(ours.auto);
    rows.push({
      format,
      photos: photos.length,
      autoBytes,
      autoAtTarget: ours.auto.filter((r) => r.score >= TARGET).length,
      autoMedianQuality: median(ours.auto.map((r) => r.quality)),
      fixedOurs: { quality: qOurs, bytes: total(ours.fixed[qOurs]) },
      fixedSharp: { quality: qSharp, bytes: total(theirs[qSharp]) },
      ratioOurs: autoBytes / total(ours.fixed[qOurs]),
      ratioSharp: autoBytes / total(theirs[qSharp]),
      autoMs: median(ours.autoMs),
      fixedMs: median(ours.fixedMs),
      autoCpuMs: median(ours.autoCpuMs),
      fixedCpuMs: median(ours.fixedCpuMs),
      perImage: photos.map((p, i) => ({ photo: path.basename(p), auto: ours.auto[i].bytes, fixed: ours.fixed[qOurs][i].bytes, quality: ours.auto[i].quality })),
    });
  }
  console.log(JSON.stringify(rows, null, 1));
  fs.writeFileSync(RESULTS, JSON.stringify(rows, null, 1));
  for (const file of drawAutoQuality(rows)) console.error(`chart: ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
