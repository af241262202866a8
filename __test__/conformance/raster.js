'use strict';
// 8-bit RGBA rasters for the conformance suite: `{ data, width, height }`, 4 bytes a pixel,
// row-major. Geometry for the AVIF transforms, a PAM reader for dwebp, and the comparison.

/** One 32-bit word a pixel, over a copy of `data` when it is not 4-byte aligned. */
function words(data) {
  const aligned = data.byteOffset % 4 === 0 ? data : Buffer.from(data);
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
}

/** The `rect` ({ x, y, width, height }) of `img`. */
function crop(img, rect) {
  const data = Buffer.alloc(rect.width * rect.height * 4);
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * img.width + rect.x) * 4;
    img.data.copy(data, y * rect.width * 4, from, from + rect.width * 4);
  }
  return { data, width: rect.width, height: rect.height };
}

/** `img` turned anticlockwise by `quarters` × 90° (irot's direction). */
function rotateAnticlockwise(img, quarters) {
  const q = ((quarters % 4) + 4) % 4;
  if (q === 0) return img;
  const { width: w, height: h } = img;
  const [ow, oh] = q === 2 ? [w, h] : [h, w];
  const src = words(img.data);
  const data = Buffer.alloc(img.data.length);
  const dst = new Uint32Array(data.buffer, data.byteOffset, src.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Source (x, y) lands at: 90° anticlockwise (y, w-1-x); 180° (w-1-x, h-1-y); 270° (h-1-y, x).
      let at;
      if (q === 1) at = (w - 1 - x) * ow + y;
      else if (q === 2) at = (h - 1 - y) * ow + (w - 1 - x);
      else at = x * ow + (h - 1 - y);
      dst[at] = src[y * w + x];
    }
  }
  return { data, width: ow, height: oh };
}

/**
 * `img` mirrored as an `imir` box with this `axis` says, per ISO/IEC 23008-12:2022 6.5.12
 * (and libavif): 0 exchanges the top and bottom parts (a vertical flip, EXIF orientation 4),
 * 1 exchanges the left and right parts (a horizontal flip, EXIF orientation 2).
 */
function mirror(img, axis) {
  const { width: w, height: h } = img;
  const data = Buffer.alloc(img.data.length);
  const src = words(img.data);
  const dst = new Uint32Array(data.buffer, data.byteOffset, src.length);
  for (let y = 0; y < h; y++) {
    if (axis === 0) {
      dst.set(src.subarray(y * w, (y + 1) * w), (h - 1 - y) * w);
    } else {
      for (let x = 0; x < w; x++) dst[y * w + (w - 1 - x)] = src[y * w + x];
    }
  }
  return { data, width: w, height: h };
}

/** A PAM file (as `dwebp -pam` writes: DEPTH 4, MAXVAL 255, RGB_ALPHA) as an RGBA raster. */
function parsePam(buf) {
  const end = buf.indexOf('ENDHDR\n');
  if (buf.toString('latin1', 0, 3) !== 'P7\n' || end < 0) throw new Error('not a PAM file');
  const fields = {};
  for (const line of buf.toString('latin1', 3, end).split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key && !key.startsWith('#')) fields[key] = rest.join(' ');
  }
  const width = Number(fields.WIDTH);
  const height = Number(fields.HEIGHT);
  if (fields.DEPTH !== '4' || fields.MAXVAL !== '255') {
    throw new Error(`PAM with DEPTH ${fields.DEPTH}, MAXVAL ${fields.MAXVAL}: expected 4 and 255`);
  }
  const data = buf.subarray(end + 7, end + 7 + width * height * 4);
  if (data.length !== width * height * 4) throw new Error('PAM data is short');
  return { data: Buffer.from(data), width, height };
}

/**
 * Mean and maximum absolute difference per channel between two rasters of equal size, each
 * premultiplied by its alpha first (so the colour under alpha 0 does not count; alpha itself
 * is compared as it is). In 8-bit levels.
 */
function premultipliedDiff(a, b) {
  // Colour sums in units of 1/255 of a level (integers), alpha sums in levels.
  let colour = 0;
  let colourMax = 0;
  let alpha = 0;
  let alphaMax = 0;
  const A = a.data;
  const B = b.data;
  const n = a.width * a.height * 4;
  for (let i = 0; i < n; i += 4) {
    const aa = A[i + 3];
    const ba = B[i + 3];
    for (let c = i; c < i + 3; c++) {
      let d = A[c] * aa - B[c] * ba;
      if (d < 0) d = -d;
      colour += d;
      if (d > colourMax) colourMax = d;
    }
    let d = aa - ba;
    if (d < 0) d = -d;
    alpha += d;
    if (d > alphaMax) alphaMax = d;
  }
  return { mean: (colour / 255 + alpha) / n, max: Math.max(colourMax / 255, alphaMax) };
}

module.exports = { crop, rotateAnticlockwise, mirror, parsePam, premultipliedDiff };
