'use strict';
// failOn, as sharp takes it: a file cut short is refused by default with a message that says
// so and names the level that accepts it, and decodes as far as it goes with 'none' — the
// rows that were there agree with sharp's own failOn: 'none' decode.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { ImageEngine, ErrorCode, recipe } = require('..');
const { sharp, fixtures, tmpPath } = require('./helpers');

async function rows(bytes, count) {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: data.subarray(0, count * info.width * 3), width: info.width, height: info.height };
}

test('failOn: a truncated JPEG or PNG is refused by default and decodes with none like sharp\'s', async () => {
  for (const [make, cutAt] of [[fixtures.jpeg, 0.5], [fixtures.png, 0.5]]) {
    const whole = fs.readFileSync(await make());
    const cut = tmpPath(`cut-${cutAt}-${make.name}.bin`);
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * cutAt)));
    for (const level of [undefined, 'warning', 'error', 'truncated']) {
      const engine = level ? ImageEngine.fromPath(cut, { failOn: level }) : ImageEngine.fromPath(cut);
      await assert.rejects(engine.toBuffer('png'), (e) => e.code === ErrorCode.CORRUPT_INPUT && /truncated/.test(e.message) && /failOn: 'none'/.test(e.message), `${level}`);
    }
    const ours = await ImageEngine.fromPath(cut, { failOn: 'none' }).toBuffer('png');
    const theirs = await sharp(cut, { failOn: 'none' }).png().toBuffer();
    const [a, b] = [await rows(ours, 20), await rows(theirs, 20)];
    assert.deepEqual([a.width, a.height], [b.width, b.height]);
    let sum = 0;
    for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
    assert.ok(sum / a.data.length < 1.5, `the first rows agree with sharp: ${sum / a.data.length}`);
    // The same through the step and through recipe JSON.
    const step = await ImageEngine.fromPath(cut).failOn('none').toBuffer('png');
    assert.deepEqual(step, ours);
    assert.deepEqual(await ImageEngine.fromPath(cut).apply(JSON.parse(JSON.stringify(recipe().failOn('none')))).toBuffer('png'), ours);
  }
  const jpeg = await fixtures.jpeg();
  assert.throws(() => ImageEngine.fromPath(jpeg, { failOn: 'sometimes' }), (e) => e instanceof RangeError && /none, truncated, error, warning/.test(e.message));
  assert.throws(() => ImageEngine.fromPath(jpeg, { failon: 'none' }), (e) => e instanceof TypeError && /did you mean 'failOn'/.test(e.message));
});

test('limit messages say which limit was hit, what set it and how to raise it', async () => {
  const jpeg = await fixtures.jpeg(); // 320x240
  await assert.rejects(ImageEngine.fromPath(jpeg).limits({ maxPixels: 1000 }).toBuffer('png'), (e) => e.code === ErrorCode.LIMIT_EXCEEDED && /\(76800 pixels\) exceeds the pixel limit of 1000 \(set by limits\(\{ maxPixels \}\)\); raise it with limits\(\{ maxPixels \}\)/.test(e.message));
  await assert.rejects(ImageEngine.fromPath(jpeg).sanitize({ policy: 'strict' }).limits({ maxBytes: 100 }).toBuffer('png'), (e) => e.code === ErrorCode.INPUT_TOO_LARGE && /set by sanitize\(\{ policy: 'strict' \}\); raise it with limits\(\{ maxBytes \}\)/.test(e.message));
});
