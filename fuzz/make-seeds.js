'use strict';
// Seed corpora for the fuzz targets: small valid files of every input format, in several
// colour layouts, made with lazy-image from the repository's sample photo.
//   node fuzz/make-seeds.js

const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine } = require('..');
const { animatedWebp } = require('../__test__/webp-container');

async function main() {
  const sample = path.join(__dirname, '..', 'examples', 'sample.jpg');
  const seeds = [];
  for (const [w, h] of [[16, 12], [33, 7], [64, 48]]) {
    for (const grey of [false, true]) {
      const engine = ImageEngine.fromPath(sample).resize(w, h, 'fill');
      if (grey) engine.grayscale();
      for (const [format, options] of [['jpeg', { quality: 70 }], ['jpeg', { quality: 90, fastMode: true }], ['png', {}], ['webp', { quality: 60 }], ['webp', { lossless: true }], ['avif', { quality: 50, fastMode: true }], ['gif', { colours: 16 }]]) {
        seeds.push([`${w}x${h}${grey ? '-grey' : ''}-${format}-${seeds.length}.${format}`, await engine.clone().toBuffer(format, options)]);
      }
    }
  }
  seeds.push(...(await bombShapes(sample)));
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

/** PNG chunk with its CRC. */
function pngChunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let c = ~0;
  for (const byte of body) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(~c >>> 0, body.length + 4);
  return out;
}

/**
 * Small files of the shapes the header caps stop (see SECURITY.md): many text chunks, an
 * AVIF with a long item table and an ispe smaller than its frame, an animated WebP with a
 * large canvas around a tiny frame. The fuzzer mutates them around the caps.
 */
async function bombShapes(sample) {
  const small = ImageEngine.fromPath(sample).resize(16, 12, 'fill');
  const png = await small.clone().toBuffer('png');
  const text = pngChunk('tEXt', Buffer.from('Comment\0x'));
  const avif = await small.clone().toBuffer('avif', { quality: 50, fastMode: true });
  const items = Buffer.from(avif);
  const iinf = items.indexOf('iinf') + 4;
  items.writeUInt16BE(5000, iinf + 4);
  const ispe = Buffer.from(avif);
  const at = ispe.indexOf('ispe') + 8;
  ispe.writeUInt32BE(4, at);
  ispe.writeUInt32BE(4, at + 4);
  const lossless = await ImageEngine.fromPath(sample).resize(1, 1, 'fill').toBuffer('webp', { lossless: true });
  return [
    ['bomb-png-text.png', Buffer.concat([png.subarray(0, 33), ...Array(200).fill(text), png.subarray(33)])],
    ['bomb-avif-items.avif', items],
    ['bomb-avif-ispe.avif', ispe],
    ['bomb-webp-canvas.webp', animatedWebp(lossless, 2048, 2048)],
  ];
}

main();
