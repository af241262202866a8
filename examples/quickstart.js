'use strict';
// Resizes the sample photo to 800 px wide and encodes it to every output format, printing
// sizes and timings. Run from the repository root: `node examples/quickstart.js [image]`.

const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine, supportedOutputFormats } = require('..');

async function main() {
  const input = process.argv[2] || path.join(__dirname, 'sample.jpg');
  const outDir = path.join(__dirname, 'out');
  fs.mkdirSync(outDir, { recursive: true });

  const engine = ImageEngine.fromPath(input).resize(800);
  const { width, height } = ImageEngine.fromPath(input).dimensions();
  console.log(`${path.basename(input)}: ${width}x${height}, ${fs.statSync(input).size} bytes`);
  console.log('format  bytes    ratio  decode ms  ops ms  encode ms  total ms  file');

  for (const format of supportedOutputFormats()) {
    const { data, metrics: m } = await engine.toBufferWithMetrics(format);
    const file = path.join(outDir, `sample-800.${format === 'jpeg' ? 'jpg' : format}`);
    await engine.toFile(file, format);
    console.log(
      [
        format.padEnd(6),
        String(data.length).padStart(7),
        m.compressionRatio.toFixed(1).padStart(6),
        m.decodeMs.toFixed(1).padStart(10),
        m.opsMs.toFixed(1).padStart(7),
        m.encodeMs.toFixed(1).padStart(10),
        m.totalMs.toFixed(1).padStart(9),
        ` ${path.relative(process.cwd(), file)}`,
      ].join(' '),
    );
  }
}

main().catch((err) => {
  console.error(`${err.code || 'ERROR'}: ${err.message}`);
  process.exit(1);
});
