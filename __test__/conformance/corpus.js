'use strict';
// The conformance corpora, read in place from ../shared/conformance beside the repository
// (see its README.md): PngSuite, libwebp's test vectors, libjpeg-turbo's test images and the
// AV1 AVIF working group's test files. Nothing is copied into the repository.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..', '..', 'shared', 'conformance');

const CORPORA = [
  { dir: 'png', format: 'png', name: 'PngSuite' },
  { dir: 'webp', format: 'webp', name: 'libwebp test vectors' },
  { dir: 'jpeg', format: 'jpeg', name: 'libjpeg-turbo test images' },
  { dir: 'avif/Link-U', format: 'avif', name: 'AV1 AVIF test files (Link-U)' },
  { dir: 'avif/Apple', format: 'avif', name: 'AV1 AVIF test files (Apple)' },
];

const IMAGE = /\.(png|webp|jpe?g|avif)$/i;

/**
 * Why the corpus itself marks `name` (in `dir`) invalid, or null when it does not. Only the
 * corpora's own words count:
 * - PngSuite: files whose name starts with `x` are deliberately corrupt (README of
 *   ../shared/conformance; PngSuite's documentation).
 * - Apple: the files come from `edge_case_testing/non_compliant/` upstream, flattened here into
 *   the `edge_case_testing_non_compliant_` prefix; upstream's note on the one there: "technically
 *   not correct since the first item points to an incomplete elementary stream".
 * libwebp's vectors, libjpeg-turbo's images and Link-U's files mark none invalid.
 */
function invalidReason(dir, name) {
  if (dir === 'png' && name.startsWith('x')) return 'PngSuite x* file: deliberately corrupt';
  if (dir === 'avif/Apple' && name.startsWith('edge_case_testing_non_compliant_')) {
    return 'Apple edge_case_testing/non_compliant: not a compliant AVIF';
  }
  return null;
}

/** Every image of every corpus, sorted: `{ id, format, corpus, file, invalid }`. */
function entries() {
  const out = [];
  for (const c of CORPORA) {
    const dir = path.join(ROOT, c.dir);
    for (const name of fs.readdirSync(dir).sort()) {
      if (!IMAGE.test(name) || !fs.statSync(path.join(dir, name)).isFile()) continue;
      out.push({ id: `${c.dir}/${name}`, format: c.format, corpus: c.name, file: path.join(dir, name), invalid: invalidReason(c.dir, name) });
    }
  }
  return out;
}

module.exports = { ROOT, CORPORA, entries };
