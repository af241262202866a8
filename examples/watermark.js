'use strict';
// Watermarks a photo: a cover crop that keeps the most salient region, a sharpen after the
// downscale, and a logo composited in the bottom-right corner at half opacity.
// Run from the repository root: `node examples/watermark.js [photo] [logo.png]`.

const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine } = require('..');

async function main() {
  const photo = process.argv[2] || path.join(__dirname, 'sample.jpg');
  const outDir = path.join(__dirname, 'out');
  fs.mkdirSync(outDir, { recursive: true });

  // Without a logo at hand, one is made from the photo itself: a grey 100 px square with a
  // transparent border (an engine is a layer input too, its operations applied first).
  const logo = process.argv[3] || ImageEngine.fromPath(photo).resize(100, 100, { fit: 'cover' }).grayscale().extend({ top: 10, right: 10, bottom: 10, left: 10, background: 'transparent' });

  const { data, metrics } = await ImageEngine.fromPath(photo)
    .resize(400, 400, { fit: 'cover', position: 'attention' })
    .sharpen()
    .composite([{ input: logo, gravity: 'southeast', opacity: 0.5 }])
    .toBufferWithMetrics('jpeg', { quality: 80 });
  fs.writeFileSync(path.join(outDir, 'watermarked.jpg'), data);
  console.log(`watermarked.jpg: ${metrics.widthOut}x${metrics.heightOut}, ${metrics.bytesOut} bytes, crop at ${metrics.cropOffsetLeft},${metrics.cropOffsetTop}, ${metrics.totalMs.toFixed(1)} ms`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
