'use strict';
// Progress of a batch: a cli-progress bar (count, failures, ETA, the file just finished) on a
// terminal, one plain line per finished file otherwise. Lines are numbered as they are
// printed, so the count only ever goes up, whatever order the files finish in.

const path = require('node:path');

const SHOW_CURSOR = '\x1B[?25h';

/** What an interrupted run exits with: 128 + the signal's number, as a shell reports it. */
const SIGNAL_EXIT = Object.freeze({ SIGINT: 130, SIGTERM: 143 });

/** `{ done, total, source, success, code? }` → the plain line printed for the `n`-th report. */
function progressLine(n, total, p) {
  return `[${n}/${total}] ${p.success ? 'ok' : p.code} ${p.source}\n`;
}

function lines(total, stream) {
  let printed = 0;
  let failed = 0;
  return {
    update(p) {
      printed += 1;
      if (!p.success) failed += 1;
      stream.write(progressLine(printed, total, p));
    },
    interrupted(signal) {
      stream.write(`interrupted by ${signal} after ${printed}/${total} files (${failed} failed)\n`);
    },
    stop() {},
  };
}

function bar(total, stream) {
  const { SingleBar, Presets } = require('cli-progress');
  const b = new SingleBar(
    {
      stream,
      format: '{bar} {value}/{total} files | {failed} failed | ETA {eta_formatted} | {file}',
      hideCursor: true,
      etaBuffer: 20,
      etaAsynchronousUpdate: true,
      fps: 5,
    },
    Presets.shades_classic,
  );
  let done = 0;
  let failed = 0;
  b.start(total, 0, { file: '', failed: 0 });
  return {
    update(p) {
      done += 1;
      if (!p.success) failed += 1;
      b.update(done, { file: path.basename(p.source), failed });
    },
    interrupted(signal) {
      b.stop();
      stream.write(`interrupted by ${signal} after ${done}/${total} files (${failed} failed)\n`);
    },
    stop: () => b.stop(),
  };
}

/**
 * The display for `total` files on `stream`. While it runs, SIGINT and SIGTERM stop it (the
 * bar's hidden cursor shown again) and exit with 130 or 143.
 */
function progressDisplay(total, stream) {
  const display = stream.isTTY ? bar(total, stream) : lines(total, stream);
  const handlers = {};
  for (const signal of Object.keys(SIGNAL_EXIT)) {
    handlers[signal] = () => {
      display.interrupted(signal);
      if (stream.isTTY) stream.write(SHOW_CURSOR);
      process.exit(SIGNAL_EXIT[signal]);
    };
    process.on(signal, handlers[signal]);
  }
  return {
    update: (p) => display.update(p),
    stop() {
      for (const [signal, handler] of Object.entries(handlers)) process.removeListener(signal, handler);
      display.stop();
    },
  };
}

module.exports = { progressDisplay, progressLine, SIGNAL_EXIT };
