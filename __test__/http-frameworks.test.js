'use strict';
// lazy-image/http mounted in Express (app.use) and Fastify (reply.hijack() + the raw
// request and response), served on 127.0.0.1 and called with fetch.

const test = require('node:test');
const assert = require('node:assert/strict');
const { createImageHandler } = require('lazy-image/http');
const { sharp } = require('./helpers');
const { listen, get, freshDir, imageFolders } = require('./serving');

let folders;
test.before(async () => {
  folders = await imageFolders();
});

test('Express: app.use(prefix, handler) serves negotiated images; other routes still work', async (t) => {
  const express = require('express');
  const app = express();
  const handler = createImageHandler({ root: folders.root, widths: [128, 256], cacheDir: freshDir('cache') });
  // Express strips the mount path from req.url, so the handler sees /photo.jpg.
  app.use('/img', handler);
  app.get('/health', (req, res) => res.send('ok'));
  const s = await listen(app);
  t.after(s.close);
  const res = await get(`${s.url}/img/photo.jpg?w=256`, { accept: 'image/webp,*/*' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/webp');
  assert.equal(res.headers.get('vary'), 'Accept');
  const meta = await sharp(res.body).metadata();
  assert.deepEqual([meta.format, meta.width], ['webp', 256]);
  const notModified = await get(`${s.url}/img/photo.jpg?w=256`, { accept: 'image/webp,*/*', 'if-none-match': res.headers.get('etag') });
  assert.equal(notModified.status, 304);
  const bad = await get(`${s.url}/img/photo.jpg?w=300`);
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).error.code, 'LAZY_OUT_OF_RANGE');
  assert.equal((await get(`${s.url}/health`)).body.toString(), 'ok');
  assert.equal(handler.stats().conversions, 1);
});

test('Fastify: a wildcard route hands the raw request and response to the handler after reply.hijack()', async (t) => {
  const fastify = require('fastify')();
  t.after(() => fastify.close());
  // Fastify keeps the full URL in request.raw.url: basePath removes the prefix.
  const handler = createImageHandler({ root: folders.root, widths: [128, 256], basePath: '/img' });
  fastify.get('/img/*', (request, reply) => {
    reply.hijack();
    handler(request.raw, reply.raw);
  });
  fastify.get('/health', async () => ({ ok: true }));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${fastify.server.address().port}`;
  const res = await get(`${url}/img/sub/photo.webp?w=128`, { accept: 'image/avif,image/webp' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/avif');
  const meta = await sharp(res.body).metadata();
  assert.deepEqual([meta.format, meta.width], ['heif', 128]);
  const corrupt = await get(`${url}/img/broken.jpg?w=128`, { accept: 'image/webp' });
  assert.equal(corrupt.status, 422);
  assert.equal(JSON.parse(corrupt.body).error.code, 'LAZY_CORRUPT_INPUT');
  assert.deepEqual(JSON.parse((await get(`${url}/health`)).body), { ok: true });
});
