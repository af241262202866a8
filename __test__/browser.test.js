'use strict';
// A real headless Chromium loads a page whose <img srcset> points at lazy-image/http on
// the same loopback server. The server records what it sent; the page reports what it
// decoded. Chromium names image/avif in its Accept header, so it must be sent AVIF, at the
// width its srcset selection asked for. A screenshot is kept in __test__/artifacts/.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { createImageHandler } = require('lazy-image/http');
const { sharp } = require('./helpers');
const { listen, freshDir, imageFolders } = require('./serving');

function chromiumPath() {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim().split('\n')[0] || null;
  } catch {
    return null;
  }
}

const executablePath = chromiumPath();
const skip = executablePath === null ? 'chromium is not installed (apt-get install chromium); .ci/run installs it' : false;
const ARTIFACTS = path.join(__dirname, 'artifacts');

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>lazy-image serving</title>
<style>body { margin: 0; font: 14px sans-serif } img { display: block; margin: 4px }</style></head>
<body>
<img id="small" alt="small" sizes="320px" width="320"
     srcset="/img/photo.jpg?w=320 320w, /img/photo.jpg?w=640 640w, /img/photo.jpg?w=1080 1080w">
<img id="large" alt="large" sizes="640px" width="640"
     srcset="/img/sub/photo.webp?w=320 320w, /img/sub/photo.webp?w=640 640w">
<img id="png" alt="png" src="/img/alpha.png?w=320&amp;f=png" width="320">
</body></html>`;

test('headless Chromium is sent AVIF for srcset images and decodes each at the width it chose', { skip, timeout: 60_000 }, async (t) => {
  const { chromium } = require('playwright-core');
  const folders = await imageFolders();
  const handler = createImageHandler({ root: folders.root, widths: [320, 640, 1080], cacheDir: freshDir('cache') });
  const sent = [];
  const server = await listen((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(PAGE);
      return;
    }
    if (req.url.startsWith('/img/')) {
      const url = req.url;
      const accept = req.headers.accept;
      const chunks = [];
      const write = res.write.bind(res);
      const end = res.end.bind(res);
      const writeHead = res.writeHead.bind(res);
      let head = {};
      res.writeHead = (status, headers) => ((head = headers ?? {}), writeHead(status, headers));
      res.write = (chunk, ...rest) => (chunk && chunks.push(Buffer.from(chunk)), write(chunk, ...rest));
      res.end = (chunk, ...rest) => {
        if (chunk) chunks.push(Buffer.from(chunk));
        sent.push({ url, accept, status: res.statusCode, type: head['Content-Type'], vary: head.Vary, body: Buffer.concat(chunks) });
        return end(chunk, ...rest);
      };
      req.url = url.slice('/img'.length);
      handler(req, res);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const browser = await chromium.launch({ executablePath, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`${server.url}/`, { waitUntil: 'load' });
  const images = await page.evaluate(async () => {
    const all = [...document.images];
    await Promise.all(all.map((img) => img.decode()));
    return all.map((img) => ({ id: img.id, complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight, currentSrc: img.currentSrc }));
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'serving-chromium.png'), fullPage: true });

  const byId = Object.fromEntries(images.map((i) => [i.id, i]));
  assert.equal(new URL(byId.small.currentSrc).search, '?w=320');
  assert.equal(new URL(byId.large.currentSrc).search, '?w=640');
  assert.deepEqual([byId.small.naturalWidth, byId.small.naturalHeight], [320, 240]);
  assert.deepEqual([byId.large.naturalWidth, byId.large.naturalHeight], [640, 480]);
  // The PNG source is 300×200: never enlarged, it is served at its own size.
  assert.deepEqual([byId.png.naturalWidth, byId.png.naturalHeight], [300, 200]);
  assert.ok(images.every((i) => i.complete));

  // What the server sent, as sharp reads it.
  const negotiated = sent.filter((s) => !s.url.includes('f=png'));
  assert.ok(negotiated.length >= 2, JSON.stringify(sent.map((s) => s.url)));
  for (const s of negotiated) {
    assert.match(s.accept, /image\/avif/, 'Chromium names AVIF in Accept');
    assert.equal(s.status, 200);
    assert.equal(s.type, 'image/avif', s.url);
    assert.equal(s.vary, 'Accept');
    const meta = await sharp(s.body).metadata();
    assert.equal(meta.format, 'heif');
    assert.equal(meta.width, Number(new URL(s.url, 'http://x').searchParams.get('w')));
  }
  const png = sent.find((s) => s.url.includes('f=png'));
  assert.equal(png.type, 'image/png');
  assert.equal((await sharp(png.body).metadata()).format, 'png');
  assert.ok(fs.statSync(path.join(ARTIFACTS, 'serving-chromium.png')).size > 1000);
});
