'use strict';
// This process's peak RSS in MB. `VmHWM` where there is /proc: `maxRSS` (getrusage) starts a
// spawned child at its parent's RSS, as fork shares the parent's pages and exec keeps the
// high-water mark; `VmHWM` belongs to the address space exec makes.

const fs = require('node:fs');

function peakRssMb() {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  } catch {
    return process.resourceUsage().maxRSS / 1024;
  }
}

module.exports = { peakRssMb };
