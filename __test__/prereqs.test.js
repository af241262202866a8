'use strict';
// scripts/check-build-prereqs.js, run before the build in a clone: a PATH without the build
// tools gets the install command for this system and exit 1; a full PATH passes.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const prereqs = require('../scripts/check-build-prereqs');

const SCRIPT = path.join(__dirname, '..', 'scripts', 'check-build-prereqs.js');
const TOOLS = ['cargo', 'cc', 'nasm', 'cmake', 'meson', 'ninja'];

/** A folder holding `node` only, to be the whole PATH. */
function bareBin() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-image-prereqs-'));
  fs.symlinkSync(process.execPath, path.join(dir, 'node'));
  return dir;
}

function check(env) {
  return spawnSync(process.execPath, [SCRIPT], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('a PATH without the build tools: each is named, with the install command for this system, exit 1', () => {
  const bin = bareBin();
  try {
    const r = check({ PATH: bin });
    assert.equal(r.status, 1, r.stderr);
    for (const tool of TOOLS) assert.match(r.stderr, new RegExp(`^  ${tool} `, 'm'), tool);
    const manager = prereqs.packageManager();
    if (manager === 'apt') {
      const sudo = process.getuid() === 0 ? '' : 'sudo ';
      assert.ok(r.stderr.includes(`${sudo}apt-get install -y build-essential nasm cmake meson ninja-build`), r.stderr);
    }
    assert.ok(r.stderr.includes('curl https://sh.rustup.rs -sSf | sh'), r.stderr);
    assert.ok(r.stderr.includes('pip install cmake meson ninja'), r.stderr);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

const haveAll = TOOLS.every((t) => prereqs.onPath(t));

test('the full PATH of a machine that builds the addon passes, silently', { skip: !haveAll && 'a build tool is missing here' }, () => {
  const r = check({ PATH: process.env.PATH });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});

test('as root on Debian/Ubuntu with LAZY_IMAGE_INSTALL_PREREQS=1 it runs apt-get install, then checks again', {
  skip: (prereqs.packageManager() !== 'apt' || process.getuid?.() !== 0) && 'not root on Debian/Ubuntu',
}, () => {
  const bin = bareBin();
  try {
    // A stand-in apt-get that logs its arguments and "installs" every tool but cargo.
    const log = path.join(bin, 'apt.log');
    fs.writeFileSync(
      path.join(bin, 'apt-get'),
      `#!/bin/sh\necho "$@" >> '${log}'\nfor t in cc nasm cmake meson ninja; do printf '#!/bin/sh\\n' > '${bin}'/$t; /bin/chmod +x '${bin}'/$t; done\n`,
      { mode: 0o755 },
    );
    const r = check({ PATH: bin, LAZY_IMAGE_INSTALL_PREREQS: '1' });
    assert.deepEqual(fs.readFileSync(log, 'utf8').trim().split('\n'), ['update -qq', 'install -y -qq build-essential nasm cmake meson ninja-build']);
    // cargo does not come from apt: still missing, and said so.
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^ {2}cargo /m);
    assert.doesNotMatch(r.stderr, /^ {2}nasm /m);
    // Once cargo is there too, the check passes.
    fs.writeFileSync(path.join(bin, 'cargo'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(check({ PATH: bin }).status, 0);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test('the install commands of each system', () => {
  const rel = (text) => prereqs.parseOsRelease(text);
  assert.equal(prereqs.packageManager('linux', rel('ID=ubuntu\nID_LIKE=debian\n')), 'apt');
  assert.equal(prereqs.packageManager('linux', rel('ID="rocky"\nID_LIKE="rhel centos fedora"\n')), 'dnf');
  assert.equal(prereqs.packageManager('linux', rel('ID=alpine\n')), 'apk');
  assert.equal(prereqs.packageManager('darwin', {}), 'brew');
  assert.equal(prereqs.packageManager('win32', {}), 'choco');
  assert.equal(prereqs.packageManager('linux', rel('ID=gentoo\n')), null);
  const lines = (missing, manager, platform = 'linux') => prereqs.installLines(missing, manager, { platform, root: false });
  assert.deepEqual(lines(['nasm', 'ninja'], 'apt'), ['sudo apt-get update && sudo apt-get install -y nasm ninja-build', '(or, for ninja: pip install ninja)']);
  assert.deepEqual(lines(['cc', 'meson'], 'dnf'), ['sudo dnf install -y gcc meson', '(or, for meson: pip install meson)']);
  assert.deepEqual(lines(['cc', 'ninja'], 'apk'), ['sudo apk add build-base samurai', '(or, for ninja: pip install ninja)']);
  assert.deepEqual(lines(['cc', 'nasm', 'cargo'], 'brew', 'darwin'), ['brew install nasm', 'xcode-select --install', 'curl https://sh.rustup.rs -sSf | sh']);
  assert.deepEqual(lines(['nasm', 'meson', 'cargo'], 'choco', 'win32'), [
    'choco install -y nasm', 'pip install meson', 'winget install Rustlang.Rustup (or rustup-init.exe from https://rustup.rs)', '(or, for meson: pip install meson)',
  ]);
  assert.deepEqual(lines(['nasm'], null), ["install nasm with this system's package manager"]);
});
