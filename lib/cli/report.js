'use strict';
// What the command prints about a conversion: sizes, savings, and errors that name their file
// and, for a limit, the flag that raises it.

function size(bytes) {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function saved(bytesIn, bytesOut) {
  return bytesIn > 0 ? `${(100 * (1 - bytesOut / bytesIn)).toFixed(1)} %` : '-';
}

/** `a.jpg → a.webp  2.0 kB → 1.1 kB (saved 45.0 %)  12 ms` */
function conversionLine(input, output, bytesIn, bytesOut, ms) {
  return `${input} → ${output}  ${size(bytesIn)} → ${size(bytesOut)} (saved ${saved(bytesIn, bytesOut)})  ${Math.round(ms)} ms\n`;
}

/** What the command line can do about an error with this code, or '' (a pixel-limit message names --max-pixels itself). */
function hint(code) {
  // A batch maps its inputs; a single file (-o naming the input) can be converted in place.
  if (code === 'LAZY_OUTPUT_IS_INPUT') return '; pass another -o folder, or convert that one file with -o naming it';
  return '';
}

/** An error message that names `file` (unless it already does), with its code and a hint. */
function fileError(file, message, code) {
  const text = String(message);
  const where = file && !text.includes(file) ? `${file}: ` : '';
  return `${where}${text}${hint(code)}${code ? ` (${code})` : ''}`;
}

module.exports = { size, saved, conversionLine, fileError, hint };
