'use strict';
// Files changing underneath running jobs (in a child process, so a crash is observed rather
// than suffered), and outputs on a full or read-only file system.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');
const { ImageEngine, createStreamingPipeline, ErrorCode } = require('..');
const { fixtures, fromRaw, photoRaw, tmpPath } = require('./helpers');

test('truncating, rewriting, deleting or replacing inputs in flight never kills the process', async () => {
  const dir = tmpPath('underneath');
  fs.mkdirSync(dir, { recursive: true });
  const child = path.join(__dirname, 'change-underneath-child.js');
  const { code, signal, stdout, stderr } = await new Promise((resolve) => {
    execFile(process.execPath, [child, dir], { maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, signal: err ? err.signal : null, stdout, stderr }));
  });
  assert.equal(signal, null, `the child died of ${signal}: ${stderr}`);
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout);
  const seen = (name) => [...report[name].jobs, ...report[name].batch];
  // Truncated or rewritten in place: the mapped bytes changed, and the job says so; a batch
  // entry that had not opened its file yet simply reads a damaged file.
  for (const name of ['truncate', 'rewrite']) {
    for (const outcome of report[name].jobs) {
      assert.ok(['ok', ErrorCode.SOURCE_CHANGED].includes(outcome), `${name}: ${outcome}`);
    }
    for (const outcome of report[name].batch) {
      assert.ok(['ok', ErrorCode.SOURCE_CHANGED, ErrorCode.CORRUPT_INPUT].includes(outcome), `${name} batch: ${outcome}`);
    }
  }
  assert.ok(seen('truncate').includes(ErrorCode.SOURCE_CHANGED), 'a truncation was caught in flight');
  // Unlinked or renamed over: the mapped inode is untouched, so the jobs succeed (a batch
  // entry that had not opened its file yet finds it gone or replaced).
  for (const outcome of seen('delete')) assert.ok(['ok', ErrorCode.FILE_NOT_FOUND].includes(outcome), `delete: ${outcome}`);
  for (const outcome of report.replace.jobs) assert.equal(outcome, 'ok');
  for (const outcome of report.replace.batch) assert.ok(['ok', ErrorCode.UNSUPPORTED_FORMAT].includes(outcome), `replace: ${outcome}`);
});

/** A tmpfs of `size` mounted at a fresh folder (root only); null where mounting is not allowed. */
function mountTmpfs(name, options) {
  const dir = tmpPath(name);
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return { dir, unmount: () => execFileSync('umount', [dir]) };
  } catch {
    return null;
  }
}

const canMount = process.getuid && process.getuid() === 0;

test('a full disk rejects outputs without leaving partial files', { skip: !canMount && 'needs root to mount a tmpfs' }, async (t) => {
  const fsys = mountTmpfs('full-disk', 'size=64k');
  if (!fsys) return t.skip('mount is not permitted here');
  try {
    const big = await fromRaw(photoRaw(600, 400)).png().toBuffer(); // a PNG output far above 64 kB
    await assert.rejects(ImageEngine.from(big).toFile(path.join(fsys.dir, 'out.png'), 'png'), { code: ErrorCode.OUTPUT_WRITE });
    const results = await ImageEngine.from(big).processBatch([await fixtures.png(), await fixtures.jpeg()], fsys.dir, { format: 'png' });
    assert.ok(results.every((r) => !r.success && r.code === ErrorCode.OUTPUT_WRITE), JSON.stringify(results));
    const { writable, readable } = createStreamingPipeline({ format: 'png', tmpDir: fsys.dir });
    writable.on('error', () => {});
    writable.end(big);
    await assert.rejects(async () => { for await (const _ of readable); });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(fs.readdirSync(fsys.dir), [], 'nothing half-written is left');
  } finally {
    fsys.unmount();
  }
});

test('a read-only folder rejects outputs cleanly', { skip: !canMount && 'needs root to mount a tmpfs' }, async (t) => {
  const fsys = mountTmpfs('read-only', 'size=1m,ro');
  if (!fsys) return t.skip('mount is not permitted here');
  try {
    const input = fs.readFileSync(await fixtures.jpeg());
    await assert.rejects(ImageEngine.from(input).toFile(path.join(fsys.dir, 'out.webp'), 'webp'), { code: ErrorCode.OUTPUT_WRITE });
    const [entry] = await ImageEngine.from(input).processBatch([await fixtures.jpeg()], fsys.dir, { format: 'webp' });
    assert.equal(entry.code, ErrorCode.OUTPUT_WRITE);
  } finally {
    fsys.unmount();
  }
});
