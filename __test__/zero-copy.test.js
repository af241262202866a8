'use strict';
// The zero-copy contract, measured in a child process by the same script users run
// (docs/scripts/measure-zero-copy.js): memory assertions, not timings.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { photoPath } = require('../docs/scripts/photo-fixtures');

const script = path.join(__dirname, '..', 'docs', 'scripts', 'measure-zero-copy.js');

function measure(...args) {
  const child = spawnSync(process.execPath, ['--expose-gc', script, ...args], { encoding: 'utf8' });
  assert.ok(child.status === 0 || child.status === 1, child.stderr);
  return JSON.parse(child.stdout);
}

test('a 12 MP PNG resized to 800 wide stays inside the memory formula', () => {
  const r = measure(photoPath('mid-png'), '--width', '800', '--format', 'jpeg');
  assert.equal(r.decoded_mb, 45.8); // 4000 x 3000 x 4 bytes in MiB (PNG counts 4 bytes a pixel)
  assert.ok(r.heap_delta_mb <= 2, `JS heap grew by ${r.heap_delta_mb} MB`);
  assert.ok(r.peak_rss_metrics_mb <= r.budget_mb, `peak RSS ${r.peak_rss_metrics_mb} MB > budget ${r.budget_mb} MB`);
  assert.ok(r.rss_end_mb <= r.budget_mb * 1.1, `RSS at the end ${r.rss_end_mb} MB`);
  assert.equal(r.pass, true);
});

test('concurrent jobs and a batch stay inside one budget per job in flight', () => {
  const jobs = measure(photoPath('mid-png'), '--width', '800', '--format', 'webp', '--jobs', '2');
  assert.equal(jobs.jobs, 2);
  assert.ok(Math.abs(jobs.budget_mb - 2 * (45.8 + 24)) < 0.2, `budget ${jobs.budget_mb}`);
  assert.equal(jobs.pass, true, JSON.stringify(jobs));
  const batch = measure(photoPath('mid-png'), '--width', '800', '--format', 'jpeg', '--batch', '4', '--concurrency', '2');
  assert.equal(batch.batch_inputs, 4);
  assert.equal(batch.pass, true, JSON.stringify(batch));
});

test('the memory formula is judged, not assumed: a tiny budget fails', () => {
  // A 320 px image has a budget of about 24 MB, below what Node itself needs.
  const tiny = path.join(__dirname, '..', 'examples', 'sample.jpg');
  const r = measure(tiny, '--width', '100', '--format', 'png');
  assert.equal(r.pass, false);
  assert.ok(r.peak_rss_metrics_mb > r.budget_mb);
});
