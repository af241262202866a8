'use strict';
// The README runs: every ```js / ```javascript / ```mjs block is written into a temporary
// folder beside the images it names and run with node in a child process, where
// `require('lazy-image')` / `import 'lazy-image'` resolve to this checkout. A block with
// top-level await or `import` runs as ESM (.mjs), any other as CommonJS (.cjs). A block
// fenced ```js server starts a server: it must print `listening on <port>` (it is given
// PORT=0), and the test sends it a real image and a bad upload, then stops it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const vm = require('node:vm');
const { spawn } = require('node:child_process');
const { sharp, decode } = require('./helpers');

const ROOT = path.join(__dirname, '..');
const SAMPLE = path.join(ROOT, 'examples', 'sample.jpg');

/** `[{ info, code, line }]` for every fenced JavaScript block of `markdown`. */
function jsBlocks(markdown) {
  const blocks = [];
  const fence = /^```([^\n`]*)\n([\s\S]*?)^```\s*$/gm;
  let m;
  while ((m = fence.exec(markdown)) !== null) {
    const info = m[1].trim().split(/\s+/);
    if (['js', 'javascript', 'mjs'].includes(info[0])) {
      blocks.push({ lang: info[0], flags: info.slice(1), code: m[2], line: markdown.slice(0, m.index).split('\n').length });
    }
  }
  return blocks;
}

/** Whether `code` must run as an ES module: `import`/`export` statements or top-level await. */
function isModule(lang, code) {
  if (lang === 'mjs' || /^\s*(import|export)\s/m.test(code)) return true;
  try {
    new vm.Script(`(function (require, module, exports) {\n${code}\n})`);
    return false;
  } catch (err) {
    if (err instanceof SyntaxError && /await/.test(err.message)) return true;
    throw err;
  }
}

/** A folder holding the inputs the README names, with `lazy-image` resolving to this checkout. */
async function workspace() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-image-readme-'));
  for (const name of ['photo.jpg', 'input.jpg', 'upload.jpg', 'a.jpg', 'any.jpg', 'in.jpg']) fs.copyFileSync(SAMPLE, path.join(dir, name));
  for (const name of ['photo.png', 'b.png']) await sharp(SAMPLE).resize(640).png().toFile(path.join(dir, name));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'lazy-image'), 'dir');
  return dir;
}

function start(file, cwd, env = {}) {
  const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.on('data', (d) => (child.output += d));
  child.stderr.on('data', (d) => (child.output += d));
  child.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return child;
}

function post(port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/' }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function untilListening(child) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /listening on (\d+)/.exec(child.output);
    if (m) return Number(m[1]);
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not say 'listening on <port>':\n${child.output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = jsBlocks(readme);

test('the README has JavaScript blocks to run, one of them a server', () => {
  assert.ok(blocks.length >= 2, `${blocks.length} blocks`);
  assert.ok(blocks.some((b) => b.flags.includes('server')));
});

for (const block of blocks) {
  const kind = block.flags.includes('server') ? 'server' : 'script';
  test(`README.md line ${block.line}: the ${kind} block runs`, async () => {
    const dir = await workspace();
    try {
      const file = path.join(dir, `snippet.${isModule(block.lang, block.code) ? 'mjs' : 'cjs'}`);
      fs.writeFileSync(file, block.code);
      if (kind === 'script') {
        const child = start(file, dir);
        const { code } = await child.exited;
        assert.equal(code, 0, child.output);
        return;
      }
      const child = start(file, dir, { PORT: '0' });
      try {
        const port = await untilListening(child);
        const ok = await post(port, fs.readFileSync(SAMPLE));
        assert.equal(ok.status, 200, ok.body.toString());
        const img = await decode(ok.body);
        assert.equal(img.format, ok.type.replace('image/', ''));
        const bad = await post(port, Buffer.from('this is not an image'));
        assert.ok(bad.status >= 400 && bad.status < 500, `a bad upload is answered ${bad.status}`);
      } finally {
        child.kill();
        await child.exited;
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
