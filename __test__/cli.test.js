'use strict';
// The command-line tool, run as a child process.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { fixtures, decode, tmpPath } = require('./helpers');

const CLI = path.join(__dirname, '..', 'bin', 'lazy-image.js');

function run(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

test('--help and --version', async () => {
  const help = await run('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: lazy-image <input\.\.\.> -o/);
  const version = await run('--version');
  assert.equal(version.stdout.trim(), require('../package.json').version);
});

test('one input converts one file, resized', async () => {
  const out = tmpPath('cli/one/photo.webp');
  const r = await run(await fixtures.jpeg(), '-o', out, '--resize', '160x160', '--fit', 'cover', '-q', '70');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /saved/);
  const img = await decode(fs.readFileSync(out));
  assert.deepEqual([img.width, img.height, img.format], [160, 160, 'webp']);
});

test('a preset and a folder as output', async () => {
  const dir = tmpPath('cli/preset/');
  const r = await run(await fixtures.png(), '-o', dir, '--preset', 'avatar');
  assert.equal(r.code, 0, r.stderr);
  const img = await decode(fs.readFileSync(path.join(dir, 'photo.webp')));
  assert.deepEqual([img.width, img.height], [200, 200]);
});

test('a folder of inputs runs a batch with progress lines and a summary; a failure sets the exit code', async () => {
  const src = tmpPath('cli/batch-in');
  fs.mkdirSync(src, { recursive: true });
  fs.copyFileSync(await fixtures.jpeg(), path.join(src, 'a.jpg'));
  fs.copyFileSync(await fixtures.png(), path.join(src, 'b.png'));
  fs.writeFileSync(path.join(src, 'broken.jpg'), fs.readFileSync(await fixtures.jpeg()).subarray(0, 500));
  fs.writeFileSync(path.join(src, 'notes.txt'), 'not an image');
  const out = tmpPath('cli/batch-out');
  const r = await run(src, '-o', out, '-f', 'png', '-r', '100', '-c', '2');
  assert.equal(r.code, 1, 'one input failed');
  assert.match(r.stdout, /3 files: 2 converted, 1 failed/);
  assert.match(r.stdout, /failed: .*broken\.jpg {2}LAZY_CORRUPT_INPUT/);
  assert.equal(r.stderr.trim().split('\n').filter((l) => /^\[\d\/3\] /.test(l)).length, 3, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['a.png', 'b.png']);
  assert.equal((await decode(fs.readFileSync(path.join(out, 'a.png')))).width, 100);

  const ok = await run(path.join(src, 'a.jpg'), path.join(src, 'b.png'), '-o', out, '-f', 'jpeg');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /2 files: 2 converted, 0 failed/);
});

test('usage errors exit with 2, conversion errors with 1', async () => {
  assert.equal((await run()).code, 2);
  assert.equal((await run(await fixtures.jpeg())).code, 2, '-o missing');
  assert.equal((await run(await fixtures.jpeg(), '-o', tmpPath('cli/x.gif'))).code, 2);
  assert.equal((await run(await fixtures.jpeg(), '-o', tmpPath('cli/x.png'), '--resize', 'big')).code, 2);
  assert.equal((await run(await fixtures.jpeg(), '--bogus')).code, 2);
  const missing = await run(tmpPath('cli/missing.jpg'), '-o', tmpPath('cli/x.png'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /LAZY_FILE_NOT_FOUND/);
});

test('a folder whose first file is empty or missing: only that file fails, and it is named', async () => {
  const src = tmpPath('cli/bad-first-in');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'a-empty.jpg'), '');
  fs.copyFileSync(await fixtures.jpeg(), path.join(src, 'b.jpg'));
  fs.copyFileSync(await fixtures.png(), path.join(src, 'c.png'));
  const out = tmpPath('cli/bad-first-out');
  const r = await run(src, '-o', out, '-f', 'webp', '-r', '100');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /3 files: 2 converted, 1 failed/);
  assert.match(r.stdout, /failed: .*a-empty\.jpg {2}LAZY_EMPTY_INPUT {2}\S/);
  assert.match(r.stderr, /LAZY_EMPTY_INPUT .*a-empty\.jpg/);
  assert.deepEqual(fs.readdirSync(out).sort(), ['b.webp', 'c.webp']);
  for (const name of ['b.webp', 'c.webp']) {
    const img = await decode(fs.readFileSync(path.join(out, name)));
    assert.deepEqual([img.width, img.height, img.format], [100, 75, 'webp'], name);
  }

  // A missing first input named on the command line fails its own entry too.
  const missing = path.join(src, '0-missing.jpg');
  const m = await run(missing, path.join(src, 'b.jpg'), '-o', tmpPath('cli/missing-first-out'), '-f', 'png', '--preset', 'thumbnail');
  assert.equal(m.code, 1, m.stderr);
  assert.match(m.stdout, /2 files: 1 converted, 1 failed/);
  assert.match(m.stdout, /failed: .*0-missing\.jpg {2}LAZY_FILE_NOT_FOUND/);
  const thumb = await decode(fs.readFileSync(tmpPath('cli/missing-first-out/b.png')));
  assert.deepEqual([thumb.width, thumb.height, thumb.format], [150, 150, 'png']);

  // A single empty file: the error names it.
  const single = await run(path.join(src, 'a-empty.jpg'), '-o', tmpPath('cli/empty.png'));
  assert.equal(single.code, 1);
  assert.match(single.stderr, /a-empty\.jpg: .*\(LAZY_EMPTY_INPUT\)/);
  // Bad flag values are usage errors before any input is opened.
  assert.equal((await run(src, '-o', out, '-f', 'webp', '-r', '0')).code, 2);
});
