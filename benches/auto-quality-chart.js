'use strict';
// Bytes per image, fixed quality against `quality: 'auto'`, one SVG chart per format in
// docs/bench/auto-quality-<format>.svg, from the results benches/auto-quality.js writes:
//   node benches/auto-quality-chart.js [results.json]   (default .cache/bench/auto-quality.json)
// The bench draws them itself after a run; this draws them again from its saved results.

const fs = require('node:fs');
const path = require('node:path');
const { drawBars } = require('./chart');

const ROOT = path.join(__dirname, '..');
const RESULTS = path.join(ROOT, '.cache', 'bench', 'auto-quality.json');

const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;

/** One chart per format row of the bench's results; returns the files written. */
function drawAutoQuality(rows, dir = path.join(ROOT, 'docs', 'bench')) {
  return rows.map((r) => {
    const file = path.join(dir, `auto-quality-${r.format}.svg`);
    const fixed = r.fixedOurs;
    const title = `${r.format}, ${r.photos} photos at 1280 wide: auto ${mb(r.autoBytes)} against fixed q${fixed.quality} ${mb(fixed.bytes)} (${(r.autoBytes / fixed.bytes).toFixed(2)}×)`;
    const series = [{ name: `fixed q${fixed.quality} (lowest with 95 % at target)` }, { name: "quality: 'auto', target 75 (the quality it chose in brackets)" }];
    drawBars(file, title, series, r.perImage.map((p) => ({ label: `${p.photo} (q${p.quality})`, values: [p.fixed, p.auto] })));
    return file;
  });
}

if (require.main === module) {
  const file = process.argv[2] ?? RESULTS;
  if (!fs.existsSync(file)) {
    console.error(`no results at ${file}: run node benches/auto-quality.js first`);
    process.exitCode = 1;
  } else {
    for (const written of drawAutoQuality(JSON.parse(fs.readFileSync(file, 'utf8')))) console.log(written);
  }
}

module.exports = { drawAutoQuality, RESULTS };
