'use strict';
// Charts as SVG: a rate-distortion chart (output bytes against DSSIM, one line per engine),
// and grouped bars (bytes per item, one bar per series: fixed quality against auto).

const fs = require('node:fs');
const path = require('node:path');

const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 640;
const H = 400;
const M = { left: 70, right: 170, top: 40, bottom: 50 };

function drawChart(file, title, rows) {
  const points = rows.flatMap((r) => r.points);
  const xMax = Math.max(...points.map((p) => p.dssim)) * 1.05;
  const yMax = Math.max(...points.map((p) => p.bytes)) * 1.05;
  const x = (v) => M.left + (v / xMax) * (W - M.left - M.right);
  const y = (v) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const ticks = (max, n) => Array.from({ length: n + 1 }, (_, i) => (max * i) / n);
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="22" font-size="14">${title}: bytes against DSSIM (lower left is better)</text>`,
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="black"/>`,
    ...ticks(xMax, 5).map((v) => `<text x="${x(v)}" y="${H - M.bottom + 16}" text-anchor="middle">${v.toFixed(4)}</text>`),
    ...ticks(yMax, 5).map((v) => `<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v / 1000)} kB</text>`),
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">DSSIM against the engine's own lossless resize</text>`,
    ...rows.flatMap((r, i) => {
      const colour = COLOURS[i % COLOURS.length];
      const line = [...r.points].sort((a, b) => a.dssim - b.dssim).map((p) => `${x(p.dssim).toFixed(1)},${y(p.bytes).toFixed(1)}`).join(' ');
      return [
        `<polyline points="${line}" fill="none" stroke="${colour}" stroke-width="2"/>`,
        ...r.points.map((p) => `<circle cx="${x(p.dssim).toFixed(1)}" cy="${y(p.bytes).toFixed(1)}" r="2.5" fill="${colour}"/>`),
        `<rect x="${W - M.right + 12}" y="${M.top + i * 18}" width="12" height="3" fill="${colour}"/>`,
        `<text x="${W - M.right + 30}" y="${M.top + i * 18 + 5}">${r.engine}</text>`,
      ];
    }),
    '</svg>',
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${svg.join('\n')}\n`);
}

/** Text for an SVG text node. */
const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1 2 5 × 10^n: the step that cuts `max` into at most `n` ticks. */
function tickStep(max, n) {
  const raw = max / n;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw);
}

/**
 * Horizontal grouped bars: one group per row (`{ label, values }`, one value in bytes per
 * series), one bar per series (`[{ name }]`, coloured in order), with a legend and a kB axis.
 */
function drawBars(file, title, series, rows) {
  // About 6.5 px per character of 11 px sans-serif: room for the longest label.
  const textWidth = (text) => String(text).length * 6.5;
  const B = { left: 16 + Math.max(...rows.map((r) => textWidth(r.label))), right: 40, top: 56, bottom: 44, bar: 8, gap: 6 };
  const group = series.length * B.bar + B.gap;
  const width = B.left + 560;
  const legendX = series.map((_, i) => 10 + series.slice(0, i).reduce((n, s) => n + 18 + textWidth(s.name) + 24, 0));
  const height = B.top + rows.length * group + B.bottom;
  const max = Math.max(...rows.flatMap((r) => r.values));
  const step = tickStep(max, 6);
  const end = Math.ceil(max / step) * step;
  const x = (v) => B.left + (v / end) * (width - B.left - B.right);
  const ticks = Array.from({ length: Math.round(end / step) + 1 }, (_, i) => i * step);
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="20" font-size="14">${escape(title)}</text>`,
    ...series.flatMap((s, i) => [
      `<rect x="${legendX[i]}" y="32" width="12" height="${B.bar}" fill="${COLOURS[i % COLOURS.length]}"/>`,
      `<text x="${legendX[i] + 18}" y="${32 + B.bar}">${escape(s.name)}</text>`,
    ]),
    ...ticks.flatMap((v) => [
      `<line x1="${x(v).toFixed(1)}" y1="${B.top - 4}" x2="${x(v).toFixed(1)}" y2="${height - B.bottom}" stroke="#ddd"/>`,
      `<text x="${x(v).toFixed(1)}" y="${height - B.bottom + 14}" text-anchor="middle">${Math.round(v / 1000)} kB</text>`,
    ]),
    `<text x="${(B.left + width - B.right) / 2}" y="${height - 10}" text-anchor="middle">bytes per image</text>`,
    ...rows.flatMap((r, k) => {
      const top = B.top + k * group;
      return [
        `<text x="${B.left - 6}" y="${top + (series.length * B.bar) / 2 + 4}" text-anchor="end">${escape(r.label)}</text>`,
        ...r.values.map((v, i) => `<rect x="${B.left}" y="${top + i * B.bar}" width="${(x(v) - B.left).toFixed(1)}" height="${B.bar - 1}" fill="${COLOURS[i % COLOURS.length]}"/>`),
      ];
    }),
    `<line x1="${B.left}" y1="${B.top - 4}" x2="${B.left}" y2="${height - B.bottom}" stroke="black"/>`,
    '</svg>',
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${svg.join('\n')}\n`);
}

module.exports = { drawChart, drawBars };
