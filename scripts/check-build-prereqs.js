#!/usr/bin/env node
'use strict';
// Run before `napi build` in a clone (the `prepare` script): checks that the tools the
// native build needs are on the PATH, and where some are missing prints the command that
// installs them on this system and exits 1, instead of failing deep inside a C build.
// As root on Debian or Ubuntu it installs them itself (the apt-get line .ci/run uses) when
// LAZY_IMAGE_INSTALL_PREREQS=1 is set, or when asked on a terminal and answered yes.
// The published package has no `prepare` step, so users installing it never run this.

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

/** What the build runs, and why. */
const TOOLS = [
  { name: 'cargo', why: 'Rust, builds the addon' },
  { name: 'cc', why: 'a C compiler, builds mozjpeg, libwebp, libavif' },
  { name: 'nasm', why: 'SIMD in mozjpeg, libaom and dav1d' },
  { name: 'cmake', why: 'builds libavif and libaom' },
  { name: 'meson', why: 'builds dav1d (AVIF decoding)' },
  { name: 'ninja', why: 'runs the meson and cmake builds' },
];

const RUSTUP = {
  unix: 'curl https://sh.rustup.rs -sSf | sh',
  win32: 'winget install Rustlang.Rustup (or rustup-init.exe from https://rustup.rs)',
};

/** Each package manager's package for each tool (cargo comes from rustup everywhere). */
const PACKAGES = {
  apt: { cc: 'build-essential', nasm: 'nasm', cmake: 'cmake', meson: 'meson', ninja: 'ninja-build' },
  dnf: { cc: 'gcc', nasm: 'nasm', cmake: 'cmake', meson: 'meson', ninja: 'ninja-build' },
  apk: { cc: 'build-base', nasm: 'nasm', cmake: 'cmake', meson: 'meson', ninja: 'samurai' },
  brew: { nasm: 'nasm', cmake: 'cmake', meson: 'meson', ninja: 'ninja' },
  choco: { nasm: 'nasm', cmake: 'cmake', ninja: 'ninja' },
};

const INSTALL = {
  apt: (pkgs, sudo) => `${sudo}apt-get update && ${sudo}apt-get install -y ${pkgs.join(' ')}`,
  dnf: (pkgs, sudo) => `${sudo}dnf install -y ${pkgs.join(' ')}`,
  apk: (pkgs, sudo) => `${sudo}apk add ${pkgs.join(' ')}`,
  brew: (pkgs) => `brew install ${pkgs.join(' ')}`,
  choco: (pkgs) => `choco install -y ${pkgs.join(' ')}`,
};

/** Whether `name` is an executable on `PATH` (with PATHEXT on Windows). */
function onPath(name, env = process.env, platform = process.platform) {
  const exts = platform === 'win32' ? (env.PATHEXT || '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      try {
        const file = path.join(dir, name + ext);
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return true;
      } catch {}
    }
  }
  return false;
}

/** `{ ID, ID_LIKE, ... }` from an os-release file's text. */
function parseOsRelease(text) {
  const fields = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(?:"(.*)"|'(.*)'|(.*))$/.exec(line.trim());
    if (m) fields[m[1]] = m[2] ?? m[3] ?? m[4];
  }
  return fields;
}

/** The package manager of this system: apt, dnf, apk, brew, choco, or null. */
function packageManager(platform = process.platform, osRelease = readOsRelease()) {
  if (platform === 'darwin') return 'brew';
  if (platform === 'win32') return 'choco';
  if (platform !== 'linux') return null;
  const ids = `${osRelease.ID || ''} ${osRelease.ID_LIKE || ''}`.split(/\s+/);
  if (ids.some((id) => ['debian', 'ubuntu'].includes(id))) return 'apt';
  if (ids.some((id) => ['fedora', 'rhel', 'centos'].includes(id))) return 'dnf';
  if (ids.includes('alpine')) return 'apk';
  return null;
}

function readOsRelease() {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      return parseOsRelease(fs.readFileSync(file, 'utf8'));
    } catch {}
  }
  return {};
}

/** The tools the build needs that this PATH lacks (no C compiler check on Windows: MSVC is found by the build). */
function missingTools(env = process.env, platform = process.platform) {
  return TOOLS.filter((t) => !(platform === 'win32' && t.name === 'cc') && !onPath(t.name, env, platform));
}

/**
 * The lines that install `missing` (tool names) on a system with `manager`: one for the
 * package manager, one for Rust, and PyPI as the other source of cmake, meson and ninja.
 */
function installLines(missing, manager, { platform = process.platform, root = isRoot() } = {}) {
  const lines = [];
  const table = PACKAGES[manager];
  if (table) {
    const pkgs = missing.filter((t) => table[t]).map((t) => table[t]);
    if (pkgs.length > 0) lines.push(INSTALL[manager](pkgs, root ? '' : 'sudo '));
  } else {
    const native = missing.filter((t) => t !== 'cargo');
    if (native.length > 0) lines.push(`install ${native.join(', ')} with this system's package manager`);
  }
  if (manager === 'brew' && missing.includes('cc')) lines.push('xcode-select --install');
  if (manager === 'choco' && missing.includes('meson')) lines.push('pip install meson');
  if (missing.includes('cargo')) lines.push(platform === 'win32' ? RUSTUP.win32 : RUSTUP.unix);
  const pypi = missing.filter((t) => ['cmake', 'meson', 'ninja'].includes(t));
  if (pypi.length > 0) lines.push(`(or, for ${pypi.join(', ')}: pip install ${pypi.join(' ')})`);
  return lines;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function report(missing, lines) {
  const list = missing.map((t) => `  ${t.name.padEnd(6)} ${t.why}`).join('\n');
  return (
    `lazy-image: building the native addon from source needs tools this machine lacks:\n${list}\n` +
    `Install them with:\n${lines.map((l) => `  ${l}`).join('\n')}\n` +
    'then run npm install again (README.md, "Building from source").\n'
  );
}

function askYes(question) {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  process.stderr.write(question);
  const buf = Buffer.alloc(16);
  let n = 0;
  try {
    n = fs.readSync(0, buf, 0, buf.length, null);
  } catch {
    return false;
  }
  return /^y(es)?$/i.test(buf.subarray(0, n).toString().trim());
}

/** apt-get update and install, as .ci/run does; true when it succeeded. */
function aptInstall(pkgs) {
  const opts = { stdio: 'inherit' };
  return (
    spawnSync('apt-get', ['update', '-qq'], opts).status === 0 &&
    spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], opts).status === 0
  );
}

function main() {
  let missing = missingTools();
  if (missing.length === 0) return 0;
  const manager = packageManager();
  const names = missing.map((t) => t.name);
  const aptPkgs = names.filter((t) => PACKAGES.apt[t]).map((t) => PACKAGES.apt[t]);
  if (manager === 'apt' && isRoot() && aptPkgs.length > 0) {
    const wanted =
      process.env.LAZY_IMAGE_INSTALL_PREREQS === '1' ||
      askYes(`lazy-image: the build needs ${names.join(', ')}. Install ${aptPkgs.join(' ')} with apt-get now? [y/N] `);
    if (wanted) {
      process.stderr.write(`lazy-image: apt-get install -y ${aptPkgs.join(' ')}\n`);
      if (aptInstall(aptPkgs)) missing = missingTools();
      if (missing.length === 0) return 0;
    }
  }
  process.stderr.write(report(missing, installLines(missing.map((t) => t.name), manager)));
  return 1;
}

if (require.main === module) process.exitCode = main();

module.exports = { TOOLS, onPath, parseOsRelease, packageManager, missingTools, installLines };
