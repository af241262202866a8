'use strict';
// An HTTP service that resizes uploads: POST an image, get an 800-px-wide WebP back.
// The request body streams to a temporary file, is processed there (memory-mapped, off the
// JS thread) and the result streams back; a bad upload gets a JSON error with its code.
//
//   node examples/stream-server.js            # listens on PORT or 3000
//   curl --data-binary @examples/sample.jpg localhost:3000 -o out.webp

const http = require('node:http');
const { pipeline } = require('node:stream');
const { createStreamingPipeline, getErrorCategory } = require('..');

const STATUS = { user_input: 400, codec: 422, resource_limit: 413, internal: 500 };

function createServer({ tmpDir } = {}) {
  return http.createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const { writable, readable } = createStreamingPipeline({
      format: 'webp',
      quality: 80,
      ops: [['resize', { width: 800, withoutEnlargement: true }], ['sanitize', { policy: 'strict' }]],
      maxBytes: 32 * 1024 * 1024,
      tmpDir,
    });
    // Upload errors surface on `readable`, with the engine's codes.
    pipeline(req, writable, () => {});
    readable.once('error', (err) => {
      if (res.headersSent) return res.destroy(err);
      const body = JSON.stringify({ code: err.code, message: err.message });
      return res.writeHead(STATUS[getErrorCategory(err)] || 500, { 'content-type': 'application/json' }).end(body);
    });
    readable.once('readable', () => {
      res.writeHead(200, { 'content-type': 'image/webp' });
      pipeline(readable, res, () => {});
    });
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT) || 3000;
  createServer().listen(port, () => console.log(`POST an image to http://localhost:${port}/`));
}

module.exports = { createServer };
