'use strict';
// A small ISO-BMFF (HEIF/AVIF) box walker for the conformance suite: it reads the primary
// item's transformative properties (clap, irot, imir) so the reference side can apply them
// to avifdec's output, which (Debian's libavif 0.11) does not apply them itself.

// Boxes whose payload is a list of boxes (`meta` is a full box: 4 bytes of version/flags first).
const CONTAINERS = new Set(['meta', 'iprp', 'ipco', 'iinf', 'dinf', 'moov', 'trak', 'mdia', 'minf', 'stbl']);

/** Every box in `buf[start, end)`, depth first: `{ type, start, body, end, children }`. */
function boxes(buf, start = 0, end = buf.length) {
  const out = [];
  let p = start;
  while (p + 8 <= end) {
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (p + 16 > end) break;
      size = Number(buf.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) {
      size = end - p;
    }
    if (size < header || p + size > end) break;
    const box = { type, start: p, body: p + header, end: p + size, children: [] };
    if (type === 'meta') box.children = boxes(buf, box.body + 4, box.end);
    else if (CONTAINERS.has(type)) box.children = boxes(buf, box.body, box.end);
    out.push(box);
    p += size;
  }
  return out;
}

function child(box, type) {
  return box && box.children.find((b) => b.type === type);
}

/** `pitm`: the primary item's id. */
function primaryItem(buf, pitm) {
  const version = buf[pitm.body];
  return version === 0 ? buf.readUInt16BE(pitm.body + 4) : buf.readUInt32BE(pitm.body + 4);
}

/** `ipma`: Map item id → property indices (1-based, in association order). */
function associations(buf, ipma) {
  const version = buf[ipma.body];
  const flags = buf.readUIntBE(ipma.body + 1, 3);
  let p = ipma.body + 4;
  const count = buf.readUInt32BE(p);
  p += 4;
  const map = new Map();
  for (let i = 0; i < count; i++) {
    const item = version < 1 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
    p += version < 1 ? 2 : 4;
    const n = buf[p++];
    const props = [];
    for (let k = 0; k < n; k++) {
      if (flags & 1) {
        props.push(buf.readUInt16BE(p) & 0x7fff);
        p += 2;
      } else {
        props.push(buf[p] & 0x7f);
        p += 1;
      }
    }
    map.set(item, props);
  }
  return map;
}

/** A `clap` box: eight 32-bit fields, the two offsets' numerators signed. */
function readClap(buf, box) {
  const u = (i) => buf.readUInt32BE(box.body + 4 * i);
  const s = (i) => buf.readInt32BE(box.body + 4 * i);
  return {
    widthN: u(0), widthD: u(1), heightN: u(2), heightD: u(3),
    horizOffN: s(4), horizOffD: u(5), vertOffN: s(6), vertOffD: u(7),
  };
}

/**
 * The primary item's transformative properties, in the order its `ipma` associates them
 * (HEIF applies them in that order; MIAF requires clap, then irot, then imir):
 * `[{ type: 'clap', ...fields } | { type: 'irot', angle } | { type: 'imir', axis }]`.
 */
function primaryTransforms(buf) {
  const meta = boxes(buf).find((b) => b.type === 'meta');
  const pitm = child(meta, 'pitm');
  const iprp = child(meta, 'iprp');
  const ipco = child(iprp, 'ipco');
  if (!pitm || !ipco) return [];
  const props = ipco.children;
  const item = primaryItem(buf, pitm);
  const out = [];
  for (const ipma of iprp.children.filter((b) => b.type === 'ipma')) {
    for (const index of associations(buf, ipma).get(item) || []) {
      const prop = props[index - 1];
      if (!prop) continue;
      if (prop.type === 'clap') out.push({ type: 'clap', ...readClap(buf, prop) });
      else if (prop.type === 'irot') out.push({ type: 'irot', angle: buf[prop.body] & 3 });
      else if (prop.type === 'imir') out.push({ type: 'imir', axis: buf[prop.body] & 1 });
    }
  }
  return out;
}

/**
 * The crop rectangle a `clap` box selects from a width × height image (ISO/IEC 14496-12
 * 12.1.4: the aperture is centred on (width - 1)/2 + horizOff, (height - 1)/2 + vertOff), so
 * x = horizOff + (width - clapWidth)/2, y likewise. Throws when it is not whole pixels
 * inside the image (libavif refuses those too).
 */
function clapRect(clap, width, height) {
  // Exact rational arithmetic on numerator/denominator pairs, in BigInt.
  const frac = (n, d) => ({ n: BigInt(n), d: BigInt(d) });
  const add = (a, b) => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
  const sub = (a, b) => add(a, { n: -b.n, d: b.d });
  const half = (a) => ({ n: a.n, d: a.d * 2n });
  const whole = (a, what) => {
    if (a.d === 0n || a.n % a.d !== 0n) throw new Error(`clap: ${what} ${a.n}/${a.d} is not a whole number of pixels`);
    return Number(a.n / a.d);
  };
  const w = whole(frac(clap.widthN, clap.widthD), 'width');
  const h = whole(frac(clap.heightN, clap.heightD), 'height');
  const x = whole(add(frac(clap.horizOffN, clap.horizOffD), half(sub(frac(width, 1), frac(w, 1)))), 'x offset');
  const y = whole(add(frac(clap.vertOffN, clap.vertOffD), half(sub(frac(height, 1), frac(h, 1)))), 'y offset');
  if (w < 1 || h < 1 || x < 0 || y < 0 || x + w > width || y + h > height) {
    throw new Error(`clap: ${w}x${h}+${x}+${y} is not inside ${width}x${height}`);
  }
  return { x, y, width: w, height: h };
}

module.exports = { boxes, primaryTransforms, clapRect };
