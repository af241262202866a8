'use strict';
// Hostile and broken inputs: every case ends, within a time bound, in a coded error or (for
// damaged metadata around a sound image) in a correct output without that metadata. Nothing
// crashes, hangs or leaks descriptors or temporary files.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync, execFile } = require('node:child_process');
const { ImageEngine, ErrorCode } = require('..');
const { fixtures, fromRaw, photoRaw, pngFrom, pngDeclaring, tmpPath, decode } = require('./helpers');

const TIME_BOUND_MS = 3000;
const C = ErrorCode;

function openDescriptors() {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Splits a PNG into its chunks: [{ type, data }]. */
function pngChunks(png) {
  const chunks = [];
  for (let i = 8; i + 8 <= png.length; ) {
    const len = png.readUInt32BE(i);
    chunks.push({ type: png.toString('latin1', i + 4, i + 8), data: png.subarray(i + 8, i + 8 + len) });
    i += 12 + len;
  }
  return chunks;
}

/** The PNG with a chunk inserted right after IHDR. */
function pngWith(png, type, data) {
  const [ihdr, ...rest] = pngChunks(png);
  return pngFrom([ihdr, { type, data }, ...rest]);
}

function withIhdr(png, edit) {
  const chunks = pngChunks(png);
  const ihdr = Buffer.from(chunks[0].data);
  edit(ihdr);
  chunks[0] = { type: 'IHDR', data: ihdr };
  return pngFrom(chunks);
}

/** Offset of the first JPEG marker `code` (after SOI), walking segment lengths. */
function jpegSegment(jpeg, code) {
  for (let i = 2; i + 4 <= jpeg.length; ) {
    if (jpeg[i] !== 0xff) return -1;
    if (jpeg[i + 1] === code) return i;
    if (jpeg[i + 1] === 0xda) return -1;
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  return -1;
}

function jpegWithApp(jpeg, marker, payload) {
  const seg = Buffer.alloc(4);
  seg.writeUInt16BE(0xff00 | marker, 0);
  seg.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), seg, payload, jpeg.subarray(2)]);
}

function edited(buf, at, bytes) {
  const out = Buffer.from(buf);
  out.set(bytes, at);
  return out;
}

/** A little-endian TIFF block whose first IFD is at `ifdOffset`, with `entries` raw 12-byte entries and `next`. */
function tiff(ifdOffset, entries, next) {
  const head = Buffer.alloc(8);
  head.write('II*\0', 0, 'latin1');
  head.writeUInt32LE(ifdOffset, 4);
  const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach((e, i) => e.copy(ifd, 2 + i * 12));
  ifd.writeUInt32LE(next, 2 + entries.length * 12);
  return Buffer.concat([head, ifd]);
}

function entry(tag, type, count, value) {
  const e = Buffer.alloc(12);
  e.writeUInt16LE(tag, 0);
  e.writeUInt16LE(type, 2);
  e.writeUInt32LE(count, 4);
  e.writeUInt32LE(value, 8);
  return e;
}

const exif = (t) => Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), t]);
const iccApp2 = (profile) => Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([1, 1]), profile]);

async function cases() {
  const jpeg = fs.readFileSync(await fixtures.jpeg());
  const png = fs.readFileSync(await fixtures.png());
  const webp = fs.readFileSync(await fixtures.webp());
  const webpAlpha = await fromRaw(photoRaw(32, 32, 4)).webp({ quality: 60 }).toBuffer();
  const avif = await ImageEngine.from(png).resize(64).toBuffer('avif', { fastMode: true });
  const ispe = avif.indexOf('ispe');
  const sof = jpegSegment(jpeg, 0xc0) >= 0 ? jpegSegment(jpeg, 0xc0) : jpegSegment(jpeg, 0xc2);
  const dht = jpegSegment(jpeg, 0xc4);
  const idat = png.indexOf('IDAT');
  const vp8x = webpAlpha.indexOf('VP8X') + 8;
  const webpChunk = webp.indexOf('VP8');
  const hugeIcc = zlib.deflateSync(Buffer.alloc(256 * 1024 * 1024));
  const reject = (code) => ({ reject: code });
  const ignore = { ignore: true };
  return [
    // JPEG
    ['jpeg: truncated after SOI', jpeg.subarray(0, 2), reject(C.UNSUPPORTED_FORMAT)],
    ['jpeg: truncated at 20 bytes', jpeg.subarray(0, 20), reject(C.CORRUPT_INPUT)],
    ['jpeg: truncated at 200 bytes', jpeg.subarray(0, 200), reject(C.CORRUPT_INPUT)],
    ['jpeg: truncated at half', jpeg.subarray(0, jpeg.length >> 1), reject(C.CORRUPT_INPUT)],
    ['jpeg: EOI missing', jpeg.subarray(0, jpeg.length - 2), reject(C.CORRUPT_INPUT)],
    ['jpeg: wrong magic', edited(jpeg, 0, [0, 0]), reject(C.UNSUPPORTED_FORMAT)],
    ['jpeg: width 0 in SOF', edited(jpeg, sof + 7, [0, 0]), reject(C.CORRUPT_INPUT)],
    ['jpeg: height 0 in SOF', edited(jpeg, sof + 5, [0, 0]), reject(C.CORRUPT_INPUT)],
    ['jpeg: 65500 x 65500 bomb', edited(jpeg, sof + 5, [0xff, 0xdc, 0xff, 0xdc]), reject(C.LIMIT_EXCEEDED)],
    ['jpeg: Huffman table overwritten', edited(jpeg, dht + 5, Buffer.alloc(40, 0xff)), reject(C.CORRUPT_INPUT)],
    ['jpeg: segment length past the end', edited(jpeg, dht + 2, [0xff, 0xff]), reject(C.CORRUPT_INPUT)],
    ['jpeg: entropy data scrambled', edited(jpeg, jpeg.length - 600, Buffer.alloc(300, 0xff)), reject(C.CORRUPT_INPUT)],
    ['jpeg: EXIF IFD offset outside the file', jpegWithApp(jpeg, 0xe1, exif(tiff(0xfffffff0, [], 0))), ignore],
    ['jpeg: EXIF entry value outside the file', jpegWithApp(jpeg, 0xe1, exif(tiff(8, [entry(0x010f, 2, 400, 0x7ffffff0)], 0))), ignore],
    ['jpeg: EXIF IFD chain loops', jpegWithApp(jpeg, 0xe1, exif(tiff(8, [entry(0x0112, 3, 1, 6)], 8))), ignore],
    ['jpeg: EXIF orientation 77', jpegWithApp(jpeg, 0xe1, exif(tiff(8, [entry(0x0112, 3, 1, 77)], 0))), ignore],
    ['jpeg: garbage ICC profile', jpegWithApp(jpeg, 0xe2, iccApp2(Buffer.alloc(3000, 0x5a))), ignore],
    ['jpeg: ICC segment 1 of 9 only', jpegWithApp(jpeg, 0xe2, Buffer.concat([Buffer.from('ICC_PROFILE\0'), Buffer.from([1, 9]), Buffer.alloc(100)])), ignore],
    // PNG
    ['png: signature only', png.subarray(0, 8), reject(C.CORRUPT_INPUT)],
    ['png: truncated in IHDR', png.subarray(0, 20), reject(C.CORRUPT_INPUT)],
    ['png: truncated after IHDR', png.subarray(0, 33), reject(C.CORRUPT_INPUT)],
    ['png: truncated in IDAT', png.subarray(0, idat + 100), reject(C.CORRUPT_INPUT)],
    ['png: IEND missing', png.subarray(0, png.length - 12), reject(C.CORRUPT_INPUT)],
    ['png: wrong magic', edited(png, 1, [0x51]), reject(C.UNSUPPORTED_FORMAT)],
    ['png: IHDR CRC wrong', edited(png, 29, [0, 0, 0, 0]), reject(C.CORRUPT_INPUT)],
    ['png: IDAT CRC wrong', edited(png, idat + 50, [0xde, 0xad]), reject(C.CORRUPT_INPUT)],
    ['png: chunk length 2^31-1', edited(png, idat - 4, [0x7f, 0xff, 0xff, 0xff]), reject(C.CORRUPT_INPUT)],
    ['png: width 0', withIhdr(png, (h) => h.writeUInt32BE(0, 0)), reject(C.CORRUPT_INPUT)],
    ['png: height 2^31', withIhdr(png, (h) => h.writeUInt32BE(2 ** 31, 4)), reject(C.LIMIT_EXCEEDED)],
    ['png: width 100000 (bomb)', pngDeclaring(100000, 100000), reject(C.LIMIT_EXCEEDED)],
    ['png: bit depth 3', withIhdr(png, (h) => (h[8] = 3)), reject(C.CORRUPT_INPUT)],
    ['png: colour type 5', withIhdr(png, (h) => (h[9] = 5)), reject(C.CORRUPT_INPUT)],
    ['png: interlace method 9', withIhdr(png, (h) => (h[12] = 9)), reject(C.CORRUPT_INPUT)],
    ['png: no IDAT', pngFrom([pngChunks(png)[0], { type: 'IEND', data: Buffer.alloc(0) }]), reject(C.CORRUPT_INPUT)],
    ['png: IDAT is not zlib', pngFrom([pngChunks(png)[0], { type: 'IDAT', data: Buffer.alloc(500, 0x42) }, { type: 'IEND', data: Buffer.alloc(0) }]), reject(C.CORRUPT_INPUT)],
    ['png: IDAT inflates to too little', pngFrom([pngChunks(png)[0], { type: 'IDAT', data: zlib.deflateSync(Buffer.alloc(10)) }, { type: 'IEND', data: Buffer.alloc(0) }]), reject(C.CORRUPT_INPUT)],
    ['png: garbage iCCP', pngWith(png, 'iCCP', Buffer.concat([Buffer.from('junk\0\0'), zlib.deflateSync(Buffer.alloc(2000, 7))])), ignore],
    ['png: iCCP inflating to 256 MB', pngWith(png, 'iCCP', Buffer.concat([Buffer.from('bomb\0\0'), hugeIcc])), ignore],
    ['png: zTXt inflating to 256 MB', pngWith(png, 'zTXt', Buffer.concat([Buffer.from('Comment\0\0'), hugeIcc])), ignore],
    ['png: eXIf with a looping IFD', pngWith(png, 'eXIf', tiff(8, [entry(0x0112, 3, 1, 3)], 8)), ignore],
    // WebP
    ['webp: header only', webp.subarray(0, 12), reject(C.CORRUPT_INPUT)],
    ['webp: truncated at 30 bytes', webp.subarray(0, 30), reject(C.CORRUPT_INPUT)],
    ['webp: truncated at half', webp.subarray(0, webp.length >> 1), reject(C.CORRUPT_INPUT)],
    ['webp: wrong magic', edited(webp, 8, Buffer.from('WEBQ')), reject(C.UNSUPPORTED_FORMAT)],
    ['webp: RIFF size 4 GB', edited(webp, 4, [0xff, 0xff, 0xff, 0xff]), reject(C.CORRUPT_INPUT)],
    ['webp: VP8 chunk larger than the file', edited(webp, webpChunk + 4, [0xff, 0xff, 0xff, 0x0f]), reject(C.CORRUPT_INPUT)],
    ['webp: bitstream scrambled', edited(webp, webp.length - 400, Buffer.alloc(200, 0x99)), reject(C.CORRUPT_INPUT)],
    ['webp: canvas 60000 x 60000 (bomb)', edited(webpAlpha, vp8x + 4, [0x5f, 0xea, 0x00, 0x5f, 0xea, 0x00]), reject(C.LIMIT_EXCEEDED)],
    ['webp: canvas over 2^32 pixels', edited(webpAlpha, vp8x + 4, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), reject(C.CORRUPT_INPUT)],
    ['webp: canvas 1 x 1 around a 32 x 32 frame', edited(webpAlpha, vp8x + 4, [0, 0, 0, 0, 0, 0]), reject(C.CORRUPT_INPUT)],
    // AVIF
    ['avif: sound file (control)', avif, ignore],
    ['avif: ftyp box only', avif.subarray(0, 32), reject(C.CORRUPT_INPUT)],
    ['avif: ftyp size 4 GB', edited(avif, 0, [0xff, 0xff, 0xff, 0xff]), reject(C.CORRUPT_INPUT)],
    ['avif: truncated at half', avif.subarray(0, avif.length >> 1), reject(C.CORRUPT_INPUT)],
    ['avif: AV1 payload cut short', avif.subarray(0, avif.length - 40), reject(C.CORRUPT_INPUT)],
    ['avif: ispe 40000 x 40000 (bomb)', edited(avif, ispe + 8, [0, 0, 0x9c, 0x40, 0, 0, 0x9c, 0x40]), reject(C.LIMIT_EXCEEDED)],
    ['avif: ispe 0 x 0', edited(avif, ispe + 8, Buffer.alloc(8)), reject(C.CORRUPT_INPUT)],
    // Not images
    ['empty', Buffer.alloc(0), reject(C.EMPTY_INPUT)],
    ['one byte', Buffer.from([0xff]), reject(C.UNSUPPORTED_FORMAT)],
    ['text', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), reject(C.UNSUPPORTED_FORMAT)],
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24)), reject(C.UNSUPPORTED_FORMAT)],
  ];
}

/** Runs one input through a metadata-keeping resize; returns null or the error. */
async function attempt(engine, outFile) {
  try {
    await engine.keepMetadata().resize(48).toFile(outFile, 'png');
    return null;
  } catch (err) {
    return err;
  }
}

test('at least 40 malformed inputs end in a coded error or a clean output, from memory and from a file', async () => {
  const all = await cases();
  assert.ok(all.length >= 40, `${all.length} cases`);
  const dir = tmpPath('hostile');
  fs.mkdirSync(dir, { recursive: true });
  const fdsBefore = openDescriptors();
  const wrong = [];
  for (const [name, bytes, expect] of all) {
    const file = path.join(dir, 'input');
    fs.writeFileSync(file, bytes);
    for (const [how, make] of [['memory', () => ImageEngine.from(bytes)], ['file', () => ImageEngine.fromPath(file)]]) {
      const started = Date.now();
      let err;
      try {
        err = await attempt(make(), path.join(dir, 'out.png'));
      } catch (thrown) {
        err = thrown; // fromPath and from() throw synchronously for empty input
      }
      const ms = Date.now() - started;
      assert.ok(ms < TIME_BOUND_MS, `${name} (${how}) took ${ms} ms`);
      if (expect.reject) {
        if (!err || err.code !== expect.reject || typeof err.errorCode !== 'number' || !err.category) {
          wrong.push(`${name} (${how}): expected ${expect.reject}, got ${err ? `${err.code}: ${err.message}` : 'success'}`);
        }
      } else if (err) {
        wrong.push(`${name} (${how}): expected an output, got ${err.code}: ${err.message}`);
      } else {
        const out = await decode(fs.readFileSync(path.join(dir, 'out.png')));
        if (out.width !== 48) wrong.push(`${name} (${how}): output ${out.width} wide`);
      }
    }
  }
  assert.deepEqual(wrong, []);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(openDescriptors(), fdsBefore, 'no descriptor leaked');
  const peakMb = process.resourceUsage().maxRSS / 1024;
  assert.ok(peakMb < 300, `peak RSS ${peakMb.toFixed(0)} MB: a metadata bomb was inflated`);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['input', 'out.png'], 'no temporary file left');
});

test('paths that are not readable regular files are refused at once', async () => {
  const dir = tmpPath('hostile-paths');
  fs.mkdirSync(dir, { recursive: true });
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  fs.symlinkSync(path.join(dir, 'nowhere.jpg'), path.join(dir, 'dangling.jpg'));
  const started = Date.now();
  assert.throws(() => ImageEngine.fromPath(dir), { code: C.NOT_A_FILE });
  assert.throws(() => ImageEngine.fromPath(fifo), { code: C.NOT_A_FILE });
  assert.throws(() => ImageEngine.fromPath(path.join(dir, 'dangling.jpg')), { code: C.FILE_NOT_FOUND });
  assert.throws(() => ImageEngine.fromPath('/dev/zero'), { code: C.NOT_A_FILE });
  assert.ok(Date.now() - started < 1000, 'a FIFO never blocks');
  const results = await ImageEngine.from(fs.readFileSync(await fixtures.jpeg()))
    .processBatch([dir, fifo, path.join(dir, 'dangling.jpg')], path.join(dir, 'out'), { format: 'png' });
  assert.deepEqual(results.map((r) => r.code), [C.NOT_A_FILE, C.NOT_A_FILE, C.FILE_NOT_FOUND]);
});

test('a file without read permission is refused with LAZY_FILE_READ', { skip: process.getuid === undefined }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-perm-'));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'secret.jpg');
  fs.copyFileSync(await fixtures.jpeg(), file);
  fs.chmodSync(file, 0o000);
  // Root reads anything: the check runs as an unprivileged user when the test runs as root.
  const asUser = process.getuid() === 0 ? { uid: 65534, gid: 65534 } : {};
  const script = `try { require(${JSON.stringify(path.join(__dirname, '..'))}).ImageEngine.fromPath(${JSON.stringify(file)}); console.log('opened') } catch (e) { console.log(e.code) }`;
  const out = await new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], asUser, (err, stdout) => resolve(err ? err : stdout.trim()));
  });
  fs.rmSync(dir, { recursive: true, force: true });
  if (out instanceof Error && out.code === 'EPERM') return t.skip('cannot switch to an unprivileged user here');
  assert.equal(out, C.FILE_READ);
});
