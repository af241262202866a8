// The ESM entry exposes the same objects as the CommonJS one.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import lazyDefault, { ImageEngine, createStreamingPipeline, ErrorCode, version } from 'lazy-image';

const require = createRequire(import.meta.url);

test('import and require give the same module', async () => {
  const cjs = require('lazy-image');
  assert.equal(ImageEngine, cjs.ImageEngine);
  assert.equal(createStreamingPipeline, cjs.createStreamingPipeline);
  assert.equal(lazyDefault, cjs);
  assert.equal(ErrorCode.TIMEOUT, 'LAZY_TIMEOUT');
  assert.equal(version(), require('../package.json').version);
  const small = await ImageEngine.fromPath(new URL('../examples/sample.jpg', import.meta.url)).resize(32).toBuffer('webp');
  assert.deepEqual(cjs.inspect(small).width, 32);
});
