'use strict';
// The engines compared, behind one call: `run(input, task, quality)` → encoded Buffer of the
// task's resize in the task's format (`format: 'png'` gives the lossless reference).
// Each engine is used with its own defaults, except where a setting is named. A task with
// `watermark` (a PNG's path) is the thumbnail recipe instead of a plain resize: a 400×400
// cover crop at the most salient region, a mild sharpen, the watermark at the bottom right
// (at half opacity where the engine has an opacity).

const path = require('node:path');

/** A package's version, read beside its entry point (some export maps hide package.json). */
function versionOf(name) {
  let dir = path.dirname(require.resolve(name));
  while (!require('node:fs').existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return require(path.join(dir, 'package.json')).version;
}

/** This repository's lazy-image. */
function lazyImage() {
  const { ImageEngine } = require(path.join(__dirname, '..'));
  return {
    version: require('../package.json').version,
    run(input, t, format, quality, fastMode = false) {
      const engine = t.watermark
        ? ImageEngine.from(input).resize(t.width, t.height, { fit: 'cover', position: 'attention' }).sharpen().composite([{ input: t.watermark, gravity: 'southeast', opacity: 0.5 }])
        : ImageEngine.from(input).resize(t.width, t.height, t.height ? 'fill' : 'inside');
      return engine.toBuffer(format, { quality, fastMode });
    },
  };
}

function lazyImageFast() {
  const lazy = lazyImage();
  return { version: lazy.version, run: (input, t, format, quality) => lazy.run(input, t, format, quality, true) };
}

function sharpEngine({ mozjpeg = false } = {}) {
  const sharp = require('sharp');
  sharp.cache(false);
  return {
    version: sharp.versions.sharp,
    run: (input, t, format, quality) => {
      const s = t.watermark
        ? sharp(input).resize(t.width, t.height, { fit: 'cover', position: 'attention' }).sharpen().composite([{ input: t.watermark, gravity: 'southeast' }])
        : sharp(input).resize(t.width, t.height || null, { fit: t.height ? 'fill' : 'inside', kernel: 'lanczos3' });
      switch (format) {
        case 'jpeg': return s.jpeg({ quality, mozjpeg }).toBuffer();
        case 'webp': return s.webp({ quality }).toBuffer();
        case 'avif': return s.avif({ quality }).toBuffer();
        default: return s.png().toBuffer();
      }
    },
  };
}

function napiImage() {
  const { Transformer, ResizeFilterType } = require('@napi-rs/image');
  return {
    version: versionOf('@napi-rs/image'),
    run: (input, t, format, quality) => {
      const tr = new Transformer(input).resize(t.width, t.height || null, ResizeFilterType.Lanczos3);
      switch (format) {
        case 'jpeg': return tr.jpeg(quality);
        case 'webp': return tr.webp(quality);
        case 'avif': return tr.avif({ quality });
        default: return tr.png();
      }
    },
  };
}

function originalLazyImage() {
  const { ImageEngine } = require('@alberteinshutoin/lazy-image');
  return {
    version: versionOf('@alberteinshutoin/lazy-image'),
    run: (input, t, format, quality) =>
      ImageEngine.from(input).resize(t.width, t.height || null, t.height ? 'fill' : 'inside').toBuffer(format, quality),
  };
}

const ENGINES = {
  'lazy-image': lazyImage,
  'lazy-image fast': lazyImageFast,
  sharp: () => sharpEngine(),
  'sharp mozjpeg': () => sharpEngine({ mozjpeg: true }),
  '@napi-rs/image': napiImage,
  'original lazy-image': originalLazyImage,
};

module.exports = { ENGINES };
