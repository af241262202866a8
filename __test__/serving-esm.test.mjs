// The serving entries load as ES modules too, with the same instances as CommonJS.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import http, { createImageHandler, negotiate } from 'lazy-image/http';
import queue, { createWorker, imageJob } from 'lazy-image/queue';

const require = createRequire(import.meta.url);

test('lazy-image/http and lazy-image/queue import as ESM and are the CommonJS modules', () => {
  assert.equal(createImageHandler, require('lazy-image/http').createImageHandler);
  assert.equal(http, require('lazy-image/http'));
  assert.equal(negotiate('image/webp', ['avif', 'webp']), 'webp');
  assert.equal(createWorker, require('lazy-image/queue').createWorker);
  assert.equal(queue.imageJob, imageJob);
});
