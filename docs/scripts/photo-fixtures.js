'use strict';
// Large photo-like test images, made once into the ignored `.cache/photos/` folder with
// sharp (a devDependency) in a child process, so the measuring process never loads sharp.
//
//   node docs/scripts/photo-fixtures.js <name>     makes one and prints its path

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const CACHE = path.join(__dirname, '..', '..', '.cache', 'photos');

/** name → how to make it: size, alpha, output format and options. */
const PHOTOS = {
  'rgb-png': { width: 6000, height: 4000, alpha: false, format: 'png', file: 'photo-6000x4000-rgb.png' },
  'rgba-png': { width: 6000, height: 4000, alpha: true, format: 'png', file: 'photo-6000x4000-rgba.png' },
  'baseline-jpeg': { width: 6000, height: 4000, alpha: false, format: 'jpeg', options: { quality: 90 }, file: 'photo-6000x4000-baseline.jpg' },
  'progressive-jpeg': { width: 6000, height: 4000, alpha: false, format: 'jpeg', options: { quality: 90, progressive: true }, file: 'photo-6000x4000-progressive.jpg' },
  webp: { width: 6000, height: 4000, alpha: false, format: 'webp', options: { quality: 90 }, file: 'photo-6000x4000.webp' },
  // 8-bit 4:2:0, as phones write AVIF; effort 0 so making it takes seconds, not minutes.
  avif: { width: 6000, height: 4000, alpha: false, format: 'avif', options: { quality: 70, chromaSubsampling: '4:2:0', effort: 0 }, file: 'photo-6000x4000.avif' },
  'mid-png': { width: 4000, height: 3000, alpha: false, format: 'png', file: 'photo-4000x3000-rgb.png' },
};

/** Path of the named photo, making it first if needed (in a child process). */
function photoPath(name) {
  const spec = PHOTOS[name];
  if (!spec) throw new Error(`unknown photo '${name}'; known: ${Object.keys(PHOTOS).join(', ')}`);
  const file = path.join(CACHE, spec.file);
  if (!fs.existsSync(file)) execFileSync(process.execPath, [__filename, name], { stdio: ['ignore', 'ignore', 'inherit'] });
  return file;
}

/** Sky, hills, textured grass and sensor grain: compresses like a photo, not a flat colour. */
function render({ width, height, alpha }) {
  const channels = alpha ? 4 : 3;
  const data = Buffer.alloc(width * height * channels);
  let seed = 1;
  const grain = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 18;
  const sx = width / 1600;
  const sy = height / 1200;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const hill = height * 0.55 + Math.sin(x / (180 * sx)) * 90 * sy + Math.sin(x / (47 * sx)) * 25 * sy;
      const g = grain();
      if (y < hill) {
        const t = y / hill;
        data[i] = 90 + t * 80 + g;
        data[i + 1] = 140 + t * 70 + g;
        data[i + 2] = 230 - t * 40 + g;
      } else {
        const t = (y - hill) / (height - hill);
        const tex = Math.sin(x / (9 * sx) + Math.sin(y / (13 * sy)) * 3) * 25 + Math.sin(y / (5 * sy)) * 10;
        data[i] = 70 + t * 60 + tex + g;
        data[i + 1] = 110 + t * 40 + tex + g;
        data[i + 2] = 40 + t * 20 + tex / 2 + g;
      }
      if (alpha) data[i + 3] = 255 - Math.round((x / width) * 160);
    }
  }
  return { data, info: { width, height, channels } };
}

async function make(name) {
  const sharp = require('sharp');
  const spec = PHOTOS[name];
  const { data, info } = render(spec);
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, spec.file);
  const tmp = `${file}.${process.pid}.tmp`;
  await sharp(data, { raw: info }).blur(0.6).toFormat(spec.format, spec.options || {}).toFile(tmp);
  fs.renameSync(tmp, file);
}

if (require.main === module) {
  const name = process.argv[2];
  if (!PHOTOS[name]) {
    console.error(`usage: node docs/scripts/photo-fixtures.js <${Object.keys(PHOTOS).join('|')}>`);
    process.exit(2);
  }
  make(name).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { PHOTOS, photoPath };
