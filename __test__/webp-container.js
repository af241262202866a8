'use strict';
// Builds WebP containers by hand (no dependencies), for files no encoder writes on purpose:
// an animation whose canvas is far larger than its one frame. Used by the tests and by the
// fuzz seed maker.

/** A RIFF chunk: four-character code, little-endian size, body, padding to an even size. */
function chunk(fourcc, body) {
  const head = Buffer.alloc(8);
  head.write(fourcc, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
}

function u24(n) {
  return Buffer.from([n & 255, (n >> 8) & 255, (n >> 16) & 255]);
}

/**
 * An animated WebP (VP8X with the animation and alpha flags) of `width`×`height` whose only
 * frame, at the top-left corner, is the VP8L chunk of `losslessWebp` (a simple-format
 * lossless file, as an encoder writes it), shown for 100 ms.
 */
function animatedWebp(losslessWebp, width, height) {
  const frame = losslessWebp.subarray(12); // the VP8L chunk, after RIFF size WEBP
  const anmf = Buffer.concat([u24(0), u24(0), u24(0), u24(0), u24(100), Buffer.from([0]), frame]);
  const body = Buffer.concat([
    Buffer.from('WEBP'),
    chunk('VP8X', Buffer.concat([Buffer.from([0x12, 0, 0, 0]), u24(width - 1), u24(height - 1)])),
    chunk('ANIM', Buffer.alloc(6)),
    chunk('ANMF', anmf),
  ]);
  const head = Buffer.from('RIFF\0\0\0\0');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

module.exports = { animatedWebp };
