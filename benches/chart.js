'use strict';
// A rate-distortion chart as SVG: output bytes against DSSIM, one line per engine.

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

module.exports = { drawChart };
