'use strict';
// Metadata and colour: stripped by default, ICC and EXIF carried on request, and colours
// converted to sRGB whenever a source profile is not carried.

const test = require('node:test');
const assert = require('node:assert/strict');
const { ImageEngine } = require('..');
const { sharp, fixtures, decode, pixel, meanDiff, near, tmpPath } = require('./helpers');

const COLOUR = [200, 100, 50];

/** An 8x8 PNG whose sRGB colour COLOUR was converted to Display P3 and tagged with it. */
function p3Png() {
  const raw = Buffer.alloc(8 * 8 * 3).fill(Buffer.from(COLOUR));
  return sharp(raw, { raw: { width: 8, height: 8, channels: 3 } }).withIccProfile('p3').png().toBuffer();
}

/** A JPEG with a camera-like EXIF block: maker, orientation 6 and a GPS position. */
async function cameraJpeg() {
  const raw = Buffer.alloc(40 * 30 * 3, 120);
  return sharp(raw, { raw: { width: 40, height: 30, channels: 3 } })
    .withExif({ IFD0: { Make: 'LazyCam' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '35/1 41/1 0/1' } })
    .jpeg()
    .toBuffer();
}

/** The GPS IFD pointer tag (0x8825) in a little-endian EXIF block. */
const GPS_POINTER = Buffer.from([0x25, 0x88]);

test('a P3 source is converted to sRGB when its profile is dropped (the default)', async () => {
  const input = await p3Png();
  const stored = await sharp(input, { ignoreIcc: true }).raw().toBuffer();
  assert.ok(!near([...stored.subarray(0, 3)], COLOUR, 3), 'the source holds P3 values, not sRGB ones');
  for (const format of ['png', 'jpeg', 'webp', 'avif']) {
    const { data, metrics } = await ImageEngine.from(input).toBufferWithMetrics(format, 95);
    const out = await decode(data);
    assert.equal(out.meta.icc, undefined, `${format}: no profile by default`);
    assert.ok(near(pixel(out, 4, 4), COLOUR, 4), `${format}: ${pixel(out, 4, 4)} is not sRGB ${COLOUR}`);
    assert.equal(metrics.iccPreserved, false);
    assert.equal(metrics.metadataStripped, true);
  }
});

test('keepMetadata({ icc: true }) carries the profile with untouched pixels', async () => {
  const input = await p3Png();
  const stored = await sharp(input, { ignoreIcc: true }).raw().toBuffer();
  const profile = (await sharp(input).metadata()).icc;
  for (const format of ['png', 'jpeg', 'webp', 'avif']) {
    const { data, metrics } = await ImageEngine.from(input).keepMetadata({ icc: true }).toBufferWithMetrics(format, 100);
    const meta = await sharp(data).metadata();
    assert.deepEqual(meta.icc, profile, `${format}: the same profile`);
    assert.equal(metrics.iccPreserved, true);
    const raw = await sharp(data, { ignoreIcc: true }).raw().toBuffer();
    assert.ok(near([...raw.subarray(0, 3)], [...stored.subarray(0, 3)], 4), `${format}: pixels stay in P3`);
  }
});

test('a strict policy refuses to carry a profile and reports it', async () => {
  const input = await p3Png();
  const engine = ImageEngine.from(input).keepMetadata({ icc: true }).sanitize({ policy: 'strict' });
  const { data, metrics } = await engine.toBufferWithMetrics('png');
  assert.deepEqual(metrics.policyViolations, ['icc_refused']);
  assert.equal(metrics.iccPreserved, false);
  assert.ok(near(pixel(await decode(data), 4, 4), COLOUR, 4), 'converted to sRGB instead');
});

test('a CMYK JPEG with a profile is converted with it', async () => {
  const file = await fixtures.cmykProfiledJpeg();
  const meta = await sharp(file).metadata();
  assert.ok(meta.space === 'cmyk' && meta.icc, 'the fixture is CMYK with a profile');
  const ours = await decode(await ImageEngine.fromPath(file).toBuffer('png'));
  const theirs = await decode(file);
  const diff = meanDiff(ours, theirs);
  assert.ok(diff < 4, `differs from sharp's colour-managed decode by ${diff.toFixed(2)}`);
});

test('EXIF is stripped by default; kept EXIF is upright, sized to the output and without GPS', async () => {
  const input = await cameraJpeg();
  const source = await sharp(input).metadata();
  assert.ok(source.exif.includes(GPS_POINTER), 'the source carries GPS');

  const plain = await ImageEngine.from(input).toBufferWithMetrics('jpeg');
  assert.equal((await sharp(plain.data).metadata()).exif, undefined);
  assert.equal(plain.metrics.metadataStripped, true);

  for (const format of ['jpeg', 'png', 'webp']) {
    const data = await ImageEngine.from(input).keepMetadata({ exif: true }).resize(20).toBuffer(format);
    const meta = await sharp(data).metadata();
    assert.ok(meta.exif, `${format}: EXIF kept`);
    assert.ok(meta.exif.includes('LazyCam'), `${format}: other fields kept`);
    assert.ok(!meta.exif.includes(GPS_POINTER), `${format}: GPS removed`);
    assert.equal(meta.icc, undefined, `${format}: only EXIF was asked for`);
  }
  const withGps = await ImageEngine.from(input).keepMetadata({ exif: true, stripGps: false }).toBuffer('jpeg');
  assert.ok((await sharp(withGps).metadata()).exif.includes(GPS_POINTER));
});

test('kept EXIF says orientation 1 after auto-orientation', async () => {
  const file = await fixtures.oriented(6);
  assert.equal((await sharp(file).metadata()).orientation, 6);
  const data = await ImageEngine.fromPath(file).keepMetadata().toBuffer('jpeg');
  const meta = await sharp(data).metadata();
  assert.equal(meta.orientation, 1);
  assert.deepEqual([meta.width, meta.height], [40, 60]);
});

test('keepMetadata validates its options', () => {
  const engine = ImageEngine.from(Buffer.from([1]));
  assert.throws(() => engine.keepMetadata('all'), TypeError);
  assert.throws(() => engine.keepMetadata({ icc: 'yes' }), TypeError);
});

test('an HDR AVIF (BT.2020, PQ) is tone-mapped to SDR sRGB and says so', async () => {
  // A ramp encoded by libavif's own avifenc with HDR code points, as a camera or editor would tag it.
  const ramp = Buffer.alloc(64 * 16 * 3);
  for (let i = 0; i < ramp.length; i++) ramp[i] = Math.floor(((i / 3) % 64) * 4);
  const png = tmpPath('ramp.png');
  await sharp(ramp, { raw: { width: 64, height: 16, channels: 3 } }).png().toFile(png);
  const hdr = tmpPath('ramp-pq.avif');
  const sdr = tmpPath('ramp-srgb.avif');
  require('node:child_process').execFileSync('avifenc', ['-l', '-d', '10', '-y', '444', '--cicp', '9/16/9', png, hdr], { stdio: 'ignore' });
  require('node:child_process').execFileSync('avifenc', ['-l', '-d', '10', '-y', '444', '--cicp', '1/13/0', png, sdr], { stdio: 'ignore' });
  const mapped = await ImageEngine.fromPath(hdr).toBufferWithMetrics('png');
  const plain = await ImageEngine.fromPath(sdr).toBufferWithMetrics('png');
  assert.equal(mapped.metrics.toneMapped, true);
  assert.equal(plain.metrics.toneMapped, false);
  const [m, p] = [await decode(mapped.data), await decode(plain.data)];
  const level = (img, x) => pixel(img, x, 8)[1];
  // Code value 128/255 of PQ is ~92 nits (about half of reference white): sRGB ~ 180, where
  // the same code read as sRGB stays 128; the ramp keeps its order.
  assert.ok(Math.abs(level(p, 32) - 128) <= 2, `sRGB ramp ${level(p, 32)}`);
  assert.ok(level(m, 32) > 160 && level(m, 32) < 200, `PQ ramp ${level(m, 32)}`);
  for (let x = 1; x < 64; x++) assert.ok(level(m, x) >= level(m, x - 1), `monotonic at ${x}`);
});
