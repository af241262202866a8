'use strict';
// `f=auto`: the output format from the request's Accept header. A format counts as accepted
// only when its own media type is listed with q > 0: `image/*` and `*/*` are not taken as
// AVIF or WebP support (browsers send them for every image, and old ones cannot decode
// AVIF). This is what Next.js' image optimizer does too.

const MIME = Object.freeze({ jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', avif: 'image/avif', gif: 'image/gif' });

/** `Accept` → Map of lower-cased media type → q (0..1); malformed entries are skipped. */
function parseAccept(header) {
  const types = new Map();
  if (typeof header !== 'string') return types;
  for (const part of header.split(',')) {
    const [range, ...params] = part.split(';').map((s) => s.trim());
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+\/[a-z0-9!#$%&'*+.^_`|~-]+$/i.test(range)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9](?:\.[0-9]{0,3})?)$/i.exec(p);
      if (m) q = Math.min(1, Number(m[1]));
    }
    const type = range.toLowerCase();
    // The highest q given for a type wins if it is listed twice.
    types.set(type, Math.max(q, types.get(type) ?? 0));
  }
  return types;
}

/**
 * The first of `formats` (in the caller's order of preference) whose media type the Accept
 * header names explicitly with q > 0; a higher q wins over the order. `null` when none is.
 */
function negotiate(accept, formats) {
  const types = parseAccept(accept);
  let best = null;
  let bestQ = 0;
  for (const format of formats) {
    const q = types.get(MIME[format]) ?? 0;
    if (q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}

/**
 * What a client that takes none of the negotiated formats is sent: the source's own format
 * when every browser decodes it (JPEG, PNG), or when the client names it; otherwise JPEG
 * (PNG for a source with alpha, so transparency survives).
 */
function fallbackFormat(source, accept) {
  if (source.format === 'jpeg' || source.format === 'png') return source.format;
  const types = parseAccept(accept);
  if ((source.format === 'webp' || source.format === 'avif') && (types.get(MIME[source.format]) ?? 0) > 0) return source.format;
  return source.hasAlpha ? 'png' : 'jpeg';
}

module.exports = { parseAccept, negotiate, fallbackFormat, MIME };
