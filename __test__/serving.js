'use strict';
// Shared by the serving tests: a real HTTP server on loopback around a handler, raw
// requests (nothing normalised, for traversal attempts), and a folder of images to serve.

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { sharp, tmp } = require('./helpers');

const SAMPLE = path.join(__dirname, '..', 'examples', 'sample.jpg');

/** Starts `http.createServer(listener)` on 127.0.0.1 and a free port: `{ url, server, close }`. */
function listen(listener) {
  const server = http.createServer(listener);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        server,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
      });
    });
  });
}

/** A GET with the request target sent exactly as given: `{ status, headers, body }`. */
function rawGet(port, target, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: target, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `fetch(url)` → `{ status, headers, body: Buffer }`. */
async function get(url, headers = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

let n = 0;
/** A fresh folder in the test temporary folder. */
function freshDir(name) {
  const dir = path.join(tmp, `${name}-${process.pid}-${n++}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A folder to serve, beside one that must never be reached:
 *   root/photo.jpg (1600×1200), root/sub/photo.webp, root/alpha.png (RGBA), root/broken.jpg
 *   (truncated), root/garbage.jpg (not an image), root/.hidden.jpg, root/inside.jpg →
 *   photo.jpg, root/escape.jpg → ../outside/secret.jpg, root/linkdir → ../outside
 *   outside/secret.jpg (a valid JPEG), outside/passwd (text)
 */
async function imageFolders() {
  const base = freshDir('serve');
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(outside);
  const jpeg = fs.readFileSync(SAMPLE);
  fs.writeFileSync(path.join(root, 'photo.jpg'), jpeg);
  await sharp(jpeg).resize(800).webp({ quality: 80 }).toFile(path.join(root, 'sub', 'photo.webp'));
  await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 200, g: 30, b: 30, alpha: 0.5 } } }).png().toFile(path.join(root, 'alpha.png'));
  fs.writeFileSync(path.join(root, 'broken.jpg'), jpeg.subarray(0, 6000));
  fs.writeFileSync(path.join(root, 'garbage.jpg'), Buffer.from('this is not an image, only text pretending to be one'));
  fs.writeFileSync(path.join(root, '.hidden.jpg'), jpeg);
  fs.symlinkSync(path.join(root, 'photo.jpg'), path.join(root, 'inside.jpg'));
  const secret = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#0f0' } }).jpeg().toBuffer();
  fs.writeFileSync(path.join(outside, 'secret.jpg'), secret);
  fs.writeFileSync(path.join(outside, 'passwd'), 'root:x:0:0:SECRET-MARKER:/root:/bin/sh\n');
  fs.symlinkSync(path.join(outside, 'secret.jpg'), path.join(root, 'escape.jpg'));
  fs.symlinkSync(outside, path.join(root, 'linkdir'));
  return { base, root, outside, secret };
}

/** Every file under `dir` (recursively) with its size. */
function filesUnder(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else out.push({ name: entry.name, path: full, size: fs.statSync(full).size });
  }
  return out;
}

module.exports = { SAMPLE, listen, rawGet, get, freshDir, imageFolders, filesUnder };
