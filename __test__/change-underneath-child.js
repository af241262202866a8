'use strict';
// Run by underneath.test.js in a child process: converts large files while another part of
// the process truncates, rewrites, deletes or replaces them, and prints what each job saw.
// A crash (SIGBUS) shows up in the parent as a signal instead of this JSON.

const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine } = require('..');
const { fromRaw, photoRaw } = require('./helpers');

const MUTATIONS = {
  truncate: (file) => fs.truncateSync(file, 4096),
  rewrite: (file) => {
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(256 * 1024, 0x5a), 0, 256 * 1024, 1024 * 1024);
    fs.closeSync(fd);
  },
  delete: (file) => fs.unlinkSync(file),
  replace: (file) => {
    fs.writeFileSync(`${file}.new`, 'not an image');
    fs.renameSync(`${file}.new`, file);
  },
};

async function main() {
  const dir = process.argv[2];
  const source = path.join(dir, 'big.png');
  // About 17 MB of barely compressed PNG: decoding it takes long enough to be interrupted.
  await fromRaw(photoRaw(2400, 2400)).png({ compressionLevel: 0 }).toFile(source);
  const report = {};
  for (const [name, mutate] of Object.entries(MUTATIONS)) {
    const files = [0, 1, 2].map((i) => path.join(dir, `${name}-${i}.png`));
    const batchFiles = [0, 1, 2].map((i) => path.join(dir, `${name}-batch-${i}.png`));
    [...files, ...batchFiles].forEach((f) => fs.copyFileSync(source, f));
    const jobs = files.map((f) => ImageEngine.fromPath(f).resize(200).toBuffer('png').then(() => 'ok', (e) => e.code));
    const batch = ImageEngine.fromPath(source).resize(200)
      .processBatch(batchFiles, path.join(dir, `${name}-out`), { format: 'webp', concurrency: 3 })
      .then((rs) => rs.map((r) => (r.success ? 'ok' : r.code)));
    // All six are mapped or queued now and take ~60 ms together: change the files while
    // the first ones decode (copying them here, after the jobs started, once let every job
    // finish before the change on a fast run).
    await new Promise((r) => setImmediate(r));
    [...files, ...batchFiles].forEach(mutate);
    report[name] = { jobs: await Promise.all(jobs), batch: await batch };
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exitCode = 3;
});
