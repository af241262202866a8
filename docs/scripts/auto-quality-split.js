'use strict';
// Two facts behind the auto-quality search (docs/PERFORMANCE.md), on the auto-quality
// bench's corpus (run benches/auto-quality.js once to fetch it):
//   node docs/scripts/auto-quality-split.js half      does the half-size answer equal the full-size one?
//   node docs/scripts/auto-quality-split.js threads   auto ÷ fixed time on five photos (run it again
//                                                     under `taskset -c 0` for one core)
//   node docs/scripts/auto-quality-split.js curves [count] [formats]  score curves (q30–100, steps of 1)
//                                                     of the first photos: at full size, at half size, a
//                                                     centre crop, and the full-size output scaled to half
//                                                     size (one file per format; run two formats as two
//                                                     processes to use both cores)
//   node docs/scripts/auto-quality-split.js probe     what a probe's parts cost (CPU) on Storm.jpg at 1280
//                                                     wide, and 2004default.jpg's auto JPEG against q100
//   node docs/scripts/auto-quality-split.js kernel    the share of auto JPEG outputs' CPU time spent in the
//                                                     kernel (page faults), on Storm.jpg at 1280 wide
//   node docs/scripts/auto-quality-split.js replay    the search of src/quality.rs (and the one before it,
//                                                     steps of 5 then 1) replayed over those curves: the
//                                                     full-size rounds each needs, by half-size margin

const fs = require('node:fs');
const path = require('node:path');
const { ImageEngine, ssimulacra2 } = require('../..');

const CORPUS = path.join(__dirname, '..', '..', '.cache', 'bench', 'deb', 'x');
const TARGET = 75;
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const ms = (since) => Number(process.hrtime.bigint() - since) / 1e6;

/** The corpus' JPEG and PNG files at least 1280 wide, largest first (as the bench picks them). */
async function photos(limit) {
  const files = fs.readdirSync(CORPUS, { recursive: true }).map((f) => path.join(CORPUS, f)).filter((f) => /\.(jpe?g|png)$/i.test(f) && fs.statSync(f).isFile());
  const wide = [];
  for (const f of files) if ((await ImageEngine.fromPath(f).metadata()).width >= 1280) wide.push(f);
  return wide.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size).slice(0, limit);
}

/** Each photo at 1280 and 640 wide, q60–95 in steps of 5, scored at its own size: the lowest reaching the target at each. */
async function half() {
  for (const format of ['webp', 'jpeg']) {
    let same = 0;
    const list = await photos(25);
    for (const p of list) {
      const full = await ImageEngine.fromPath(p).resize(1280).toBuffer('png');
      const small = await ImageEngine.from(full).resize(640).toBuffer('png');
      const lowest = async (ref) => {
        for (let q = 60; q <= 95; q += 5) if (ssimulacra2(ref, await ImageEngine.from(ref).toBuffer(format, { quality: q })) >= TARGET) return q;
        return 100;
      };
      if ((await lowest(full)) === (await lowest(small))) same++;
    }
    console.log(`${format}: the half-size answer equals the full-size one for ${same} of ${list.length} photos`);
  }
}

/** One auto and one fixed q80 output of five photos at 1280 wide, medians. */
async function threads() {
  const names = ['Elephants_3840x2160.jpg', 'RainDrops.jpg', 'Storm.jpg', 'TwoWings.jpg', 'Dune.jpg'];
  const list = (await photos(1000)).filter((p) => names.includes(path.basename(p)));
  for (const format of ['webp', 'jpeg']) {
    const [auto, fixed] = [[], []];
    for (const p of list) {
      let t = process.hrtime.bigint();
      await ImageEngine.fromPath(p).resize(1280).toBuffer(format, { quality: 80 });
      fixed.push(ms(t));
      t = process.hrtime.bigint();
      await ImageEngine.fromPath(p).resize(1280).toBuffer(format, { quality: 'auto' });
      auto.push(ms(t));
    }
    console.log(`${format}, ${list.length} photos: auto ${median(auto).toFixed(0)} ms, fixed ${median(fixed).toFixed(0)} ms, ${(median(auto) / median(fixed)).toFixed(2)}×`);
  }
}

const CURVES = (format) => path.join(__dirname, '..', '..', '.cache', 'bench', `auto-quality-curves-${format}.json`);
const [LOW, HIGH] = [30, 100];

/** Per format and photo, the SSIMULACRA2 score at each quality of four frames (see the header). */
async function curves() {
  const count = Number(process.argv[3] ?? 12);
  for (const format of (process.argv[4] ?? 'webp,jpeg').split(',')) {
    const out = {};
    for (const p of await photos(count)) {
      const full = await ImageEngine.fromPath(p).resize(1280).toBuffer('png');
      const { width: w, height: h } = await ImageEngine.from(full).metadata();
      const half = await ImageEngine.from(full).resize(w >> 1, h >> 1).toBuffer('png');
      // A quarter of the frame from its middle, on 16-pixel blocks.
      const [cw, ch] = [(w >> 1) & ~15, (h >> 1) & ~15];
      const centre = await ImageEngine.from(full).crop(((w - cw) >> 1) & ~15, ((h - ch) >> 1) & ~15, cw, ch).toBuffer('png');
      const rec = { full: {}, half: {}, centre: {}, scaled: {} };
      for (let q = LOW; q <= HIGH; q++) {
        const encoded = await ImageEngine.from(full).toBuffer(format, { quality: q });
        rec.full[q] = ssimulacra2(full, encoded);
        rec.half[q] = ssimulacra2(half, await ImageEngine.from(half).toBuffer(format, { quality: q }));
        rec.centre[q] = ssimulacra2(centre, await ImageEngine.from(centre).toBuffer(format, { quality: q }));
        rec.scaled[q] = ssimulacra2(half, await ImageEngine.from(encoded).resize(w >> 1, h >> 1).toBuffer('png'));
      }
      out[path.basename(p)] = rec;
      console.error(`${format} ${path.basename(p)}`);
    }
    fs.mkdirSync(path.dirname(CURVES(format)), { recursive: true });
    fs.writeFileSync(CURVES(format), JSON.stringify(out));
  }
}

/** A walk as `Prober::walk` makes it, over `probe(q)` scores: rounds of two, the answer and the step below it. */
function walk(steps, start, target, probe, count) {
  const order = (list) => {
    const it = list[Symbol.iterator]();
    let pending = [];
    return () => {
      if (!pending.length) {
        pending = [it.next(), it.next()].filter((r) => !r.done).map((r) => r.value);
        if (!pending.length) return null;
        count.rounds++;
      }
      return pending.shift();
    };
  };
  let next = order(steps.slice(0, start + 1).reverse());
  let best = { q: next(), s: 0 };
  best.s = probe(best.q);
  if (best.s >= target) {
    for (let q; (q = next()) !== null; ) {
      const s = probe(q);
      if (s < target) return { best, below: { q, s } };
      best = { q, s };
    }
    return { best };
  }
  next = order(steps.slice(start + 1));
  for (let q; (q = next()) !== null; ) {
    const below = best;
    best = { q, s: probe(q) };
    if (best.s >= target) return { best, below };
  }
  return { best };
}

const between = (low, high, target) => {
  const rise = high.s - low.s;
  const share = rise > 0 ? Math.min(1, Math.max(0, (target - low.s) / rise)) : 1;
  return { at: low.q + share * (high.q - low.q), slope: Math.max(0.25, rise / (high.q - low.q)) };
};

/**
 * `Prober::search` of src/quality.rs over `score(q)`: the full-size rounds (and probes) it
 * makes, `size` probes a round (2 as that search; keep it in step with it).
 */
function bracket(score, estimate, count, size = 2) {
  let [pass, fail, at] = [null, null, estimate.at];
  for (;;) {
    const [low, high] = [fail ? fail.q + 1 : LOW, pass ? pass.q - 1 : HIGH];
    if (low > high) return (pass ?? fail).q;
    const first = Math.min(high, Math.max(low, Math.ceil(at)));
    const round = [];
    for (let k = 0; round.length < size && k < 2 * (high - low + 1); k++) {
      const q = k % 2 ? first - (k + 1) / 2 : first + k / 2;
      if (q >= low && q <= high) round.push(q);
    }
    count.rounds++;
    count.probes = (count.probes ?? 0) + round.length;
    for (const q of round.sort((a, b) => a - b)) {
      const s = score(q);
      if (s >= TARGET) pass = !pass || q < pass.q ? { q, s } : pass;
      else if ((!pass || q < pass.q) && (!fail || q > fail.q)) fail = { q, s };
    }
    if (pass && fail) at = between(fail, pass, TARGET).at;
    else if (pass) at = pass.q - (pass.s - TARGET) / estimate.slope;
    else at = fail.q + (TARGET - fail.s) / estimate.slope;
  }
}

/** The searches over the collected curves, and how far each cheaper frame's answer is from the full-size one. */
function replay() {
  const steps = [];
  for (let q = LOW; q <= HIGH; q += 5) steps.push(q);
  const mean = (v) => (v.reduce((a, b) => a + b, 0) / v.length).toFixed(2);
  const answer = (c) => Object.keys(c).map(Number).find((q) => c[q] >= TARGET) ?? HIGH + 1;
  for (const format of ['webp', 'jpeg'].filter((f) => fs.existsSync(CURVES(f)))) {
    const byPhoto = JSON.parse(fs.readFileSync(CURVES(format), 'utf8'));
    const recs = Object.values(byPhoto);
    // The search over one photo's curves: its full-size rounds and probes.
    const search = (rec, predictor, margin, size) => {
      const count = { rounds: 0 };
      const w = walk(steps, steps.indexOf(80), TARGET + margin, (q) => rec[predictor][q], { rounds: 0 });
      bracket((q) => rec.full[q], w.below ? between(w.below, w.best, TARGET + margin) : { at: w.best.q, slope: 1 }, count, size);
      return count;
    };
    for (const predictor of ['half', 'centre']) {
      for (const margin of [0, 0.5, 1, 1.5, 2]) {
        const rounds = recs.map((rec) => search(rec, predictor, margin, 2).rounds);
        console.log(`${format}, ${recs.length} photos, predicted from the ${predictor === 'half' ? 'half-size frame' : 'centre crop'}, margin ${margin}: full-size rounds, mean ${mean(rounds)}`);
      }
    }
    // Fewer or more probes a round (margin 1): wall time follows the rounds, CPU the probes.
    for (const size of [1, 2, 3, 4]) {
      const counts = recs.map((rec) => search(rec, 'half', 1, size));
      console.log(`${format}: ${size} full-size probe(s) a round: rounds, mean ${mean(counts.map((c) => c.rounds))}; probes, mean ${mean(counts.map((c) => c.probes))}`);
    }
    // The search before: steps of 5 at half size, then at full size from that answer, then steps of 1.
    const before = recs.map((rec) => {
      const count = { rounds: 0 };
      const guess = walk(steps, steps.indexOf(80), TARGET, (q) => rec.half[q], { rounds: 0 }).best.q;
      const w = walk(steps, steps.indexOf(guess), TARGET, (q) => rec.full[q], count);
      if (w.below) {
        const inside = [];
        for (let q = w.below.q + 1; q < w.best.q; q++) inside.push(q);
        const share = Math.min(1, Math.max(0, (TARGET - w.below.s) / (w.best.s - w.below.s)));
        walk(inside, Math.min(Math.max(Math.ceil(share * 5), 1), inside.length) - 1, TARGET, (q) => rec.full[q], count);
      }
      return count.rounds;
    });
    console.log(`${format}: the search before, full-size rounds, mean ${mean(before)}`);
    const off = (kind) => mean(recs.map((rec) => Math.abs(answer(rec[kind]) - answer(rec.full))));
    const atAnswer = recs.map((rec) => answer(rec.full)).map((q, i) => (q <= HIGH ? (recs[i].half[q] - recs[i].full[q]).toFixed(1) : null)).filter(Boolean);
    const drift = recs.map((rec) => {
      const q = Math.min(Math.max(answer(rec.full), LOW + 5), HIGH - 5);
      return Math.abs(rec.full[q + 5] - rec.scaled[q + 5] - (rec.full[q - 5] - rec.scaled[q - 5])).toFixed(1);
    });
    console.log(`${format}: answer's distance from the full-size one, mean: half size ${off('half')}, centre crop ${off('centre')}`);
    console.log(`${format}: half-size minus full-size score at the full-size answer: ${atAnswer.join(' ')}`);
    console.log(`${format}: drift of (full-size minus scaled) score over 10 qualities around the answer: ${drift.join(' ')}`);
  }
}

/** CPU ms of a JPEG encode and of a whole ssimulacra2() call; the photo 4:2:0 keeps below the target. */
async function probe() {
  const all = await photos(1000);
  const find = (name) => all.find((p) => path.basename(p) === name);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const frame = await ImageEngine.fromPath(find('Storm.jpg')).resize(1280).toBuffer('png');
  const [encodes, scores] = [[], []];
  for (let i = 0; i < 5; i++) {
    let t = cpu();
    const jpeg = await ImageEngine.from(frame).toBuffer('jpeg', { quality: 80 });
    encodes.push(cpu() - t);
    t = cpu();
    ssimulacra2(frame, jpeg);
    scores.push(cpu() - t);
  }
  console.log(`Storm.jpg at 1280 wide, medians of 5: JPEG q80 encode (with the PNG's decode) ${median(encodes).toFixed(0)} ms CPU; ssimulacra2() (two decodes, the reference, one comparison) ${median(scores).toFixed(0)} ms CPU`);
  const photo = find('2004default.jpg');
  const reference = await ImageEngine.fromPath(photo).resize(1280).toBuffer('png');
  const [auto] = await ImageEngine.fromPath(photo).toOutputs([{ resize: 1280, format: 'jpeg', quality: 'auto', target: TARGET }]);
  const q100 = await ImageEngine.fromPath(photo).resize(1280).toBuffer('jpeg', { quality: 100 });
  console.log(`2004default.jpg: auto q${auto.quality}, ${auto.bytes} B, score ${auto.score.toFixed(1)}; q100 (4:2:0) ${q100.length} B, score ${ssimulacra2(reference, q100).toFixed(1)}`);
}

/** User and system CPU time of eight auto JPEG outputs of one frame. */
async function kernel() {
  const storm = (await photos(1000)).find((p) => path.basename(p) === 'Storm.jpg');
  const frame = await ImageEngine.fromPath(storm).resize(1280).toBuffer('png');
  const since = process.cpuUsage();
  for (let i = 0; i < 8; i++) await ImageEngine.from(frame).toOutputs([{ format: 'jpeg', quality: 'auto' }]);
  const { user, system } = process.cpuUsage(since);
  console.log(`Storm.jpg at 1280 wide, 8 auto JPEG outputs: user ${(user / 1000).toFixed(0)} ms, system ${(system / 1000).toFixed(0)} ms (${((100 * system) / (user + system)).toFixed(0)} % in the kernel)`);
}

const mode = { half, threads, curves, probe, kernel, replay }[process.argv[2]];
if (!mode) {
  console.error('usage: node docs/scripts/auto-quality-split.js half|threads|curves [count] [formats]|probe|kernel|replay');
  process.exit(2);
}
Promise.resolve().then(mode).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
