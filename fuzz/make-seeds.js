'use strict';
// Seed corpora for the fuzz targets: small valid files of every input format, in several
// colour layouts, made with lazy-image from the repository's sample photo.
//   node fuzz/make-seeds.js

const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine } = require('..');

async function main() {
  const sample = path.join(__dirname, '..', 'examples', 'sample.jpg');
  const seeds = [];
  for (const [w, h] of [[16, 12], [33, 7], [64, 48]]) {
    for (const grey of [false, true]) {
      const engine = ImageEngine.fromPath(sample).resize(w, h, 'fill');
      if (grey) engine.grayscale();
      for (const [format, options] of [['jpeg', { quality: 70 }], ['jpeg', { quality: 90, fastMode: true }], ['png', {}], ['webp', { quality: 60 }], ['webp', { lossless: true }], ['avif', { quality: 50, fastMode: true }]]) {
        seeds.push([`${w}x${h}${grey ? '-grey' : ''}-${format}-${seeds.length}.${format}`, await engine.clone().toBuffer(format, options)]);
      }
    }
  }
  const settings = Buffer.from([0x0f, 0x20, 0x18, 0x01, 0x09, 0x03, 0x41, 0x07]);
  for (const target of ['probe', 'decode', 'pipeline']) {
    const dir = path.join(__dirname, 'corpus', target);
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of seeds) {
      fs.writeFileSync(path.join(dir, name), target === 'pipeline' ? Buffer.concat([settings, bytes]) : bytes);
    }
  }
  console.log(`${seeds.length} seeds per target in fuzz/corpus/`);
}

main();
