'use strict';
// The command-line tool, run as a child process.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFile, spawn } = require('node:child_process');
const { fixtures, decode, tmpPath, sharp } = require('./helpers');

const CLI = path.join(__dirname, '..', 'bin', 'lazy-image.js');
const SAMPLE = path.join(__dirname, '..', 'examples', 'sample.jpg');
const HIDE_CURSOR = '\x1B[?25l';
const SHOW_CURSOR = '\x1B[?25h';

function run(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

test('--help and --version', async () => {
  const help = await run('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: lazy-image <input\.\.\.> -o/);
  const version = await run('--version');
  assert.equal(version.stdout.trim(), require('../package.json').version);
});

test('one input converts one file, resized', async () => {
  const out = tmpPath('cli/one/photo.webp');
  const r = await run(await fixtures.jpeg(), '-o', out, '--resize', '160x160', '--fit', 'cover', '-q', '70');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /saved/);
  const img = await decode(fs.readFileSync(out));
  assert.deepEqual([img.width, img.height, img.format], [160, 160, 'webp']);
});

test('a preset and a folder as output', async () => {
  const dir = tmpPath('cli/preset/');
  const r = await run(await fixtures.png(), '-o', dir, '--preset', 'avatar');
  assert.equal(r.code, 0, r.stderr);
  const img = await decode(fs.readFileSync(path.join(dir, 'photo.webp')));
  assert.deepEqual([img.width, img.height], [200, 200]);
});

test('a folder of inputs runs a batch with progress lines and a summary; a failure sets the exit code', async () => {
  const src = tmpPath('cli/batch-in');
  fs.mkdirSync(src, { recursive: true });
  fs.copyFileSync(await fixtures.jpeg(), path.join(src, 'a.jpg'));
  fs.copyFileSync(await fixtures.png(), path.join(src, 'b.png'));
  fs.writeFileSync(path.join(src, 'broken.jpg'), fs.readFileSync(await fixtures.jpeg()).subarray(0, 500));
  fs.writeFileSync(path.join(src, 'notes.txt'), 'not an image');
  const out = tmpPath('cli/batch-out/');
  const r = await run(src, '-o', out, '-f', 'png', '-r', '100', '-c', '2');
  assert.equal(r.code, 1, 'one input failed');
  assert.match(r.stdout, /3 files: 2 converted, 1 failed/);
  assert.match(r.stdout, /failed: .*broken\.jpg {2}LAZY_CORRUPT_INPUT/);
  assert.equal(r.stderr.trim().split('\n').filter((l) => /^\[\d\/3\] /.test(l)).length, 3, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['a.png', 'b.png']);
  assert.equal((await decode(fs.readFileSync(path.join(out, 'a.png')))).width, 100);

  const ok = await run(path.join(src, 'a.jpg'), path.join(src, 'b.png'), '-o', out, '-f', 'jpeg');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /2 files: 2 converted, 0 failed/);
});

test('usage errors exit with 2, conversion errors with 1', async () => {
  assert.equal((await run()).code, 2);
  assert.equal((await run(await fixtures.jpeg())).code, 2, '-o missing');
  assert.equal((await run(await fixtures.jpeg(), '-o', tmpPath('cli/x.gif'))).code, 2);
  assert.equal((await run(await fixtures.jpeg(), '-o', tmpPath('cli/x.png'), '--resize', 'big')).code, 2);
  assert.equal((await run(await fixtures.jpeg(), '--bogus')).code, 2);
  const missing = await run(tmpPath('cli/missing.jpg'), '-o', tmpPath('cli/x.png'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /LAZY_FILE_NOT_FOUND/);
});

test('a folder whose first file is empty or missing: only that file fails, and it is named', async () => {
  const src = tmpPath('cli/bad-first-in');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'a-empty.jpg'), '');
  fs.copyFileSync(await fixtures.jpeg(), path.join(src, 'b.jpg'));
  fs.copyFileSync(await fixtures.png(), path.join(src, 'c.png'));
  const out = tmpPath('cli/bad-first-out/');
  const r = await run(src, '-o', out, '-f', 'webp', '-r', '100');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /3 files: 2 converted, 1 failed/);
  assert.match(r.stdout, /failed: .*a-empty\.jpg {2}LAZY_EMPTY_INPUT {2}\S/);
  assert.match(r.stderr, /LAZY_EMPTY_INPUT .*a-empty\.jpg/);
  assert.deepEqual(fs.readdirSync(out).sort(), ['b.webp', 'c.webp']);
  for (const name of ['b.webp', 'c.webp']) {
    const img = await decode(fs.readFileSync(path.join(out, name)));
    assert.deepEqual([img.width, img.height, img.format], [100, 75, 'webp'], name);
  }

  // A missing first input named on the command line fails its own entry too.
  const missing = path.join(src, '0-missing.jpg');
  const m = await run(missing, path.join(src, 'b.jpg'), '-o', tmpPath('cli/missing-first-out/'), '-f', 'png', '--preset', 'thumbnail');
  assert.equal(m.code, 1, m.stderr);
  assert.match(m.stdout, /2 files: 1 converted, 1 failed/);
  assert.match(m.stdout, /failed: .*0-missing\.jpg {2}LAZY_FILE_NOT_FOUND/);
  const thumb = await decode(fs.readFileSync(tmpPath('cli/missing-first-out/b.png')));
  assert.deepEqual([thumb.width, thumb.height, thumb.format], [150, 150, 'png']);

  // A single empty file: the error names it.
  const single = await run(path.join(src, 'a-empty.jpg'), '-o', tmpPath('cli/empty.png'));
  assert.equal(single.code, 1);
  assert.match(single.stderr, /a-empty\.jpg: .*\(LAZY_EMPTY_INPUT\)/);
  // Bad flag values are usage errors before any input is opened.
  assert.equal((await run(src, '-o', out, '-f', 'webp', '-r', '0')).code, 2);
});

test('the output extension and -f / --preset must agree, unless --force-format', async () => {
  const jpeg = await fixtures.jpeg();
  const png = tmpPath('cli/agree/o.png');
  const r = await run(jpeg, '-o', png, '-f', 'webp');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /o\.png has the extension of png but -f webp asks for webp; rename the output or pass --force-format/);
  assert.equal(fs.existsSync(png), false, 'nothing written');
  const preset = await run(jpeg, '-o', png, '--preset', 'avatar');
  assert.equal(preset.code, 2);
  assert.match(preset.stderr, /o\.png has the extension of png but --preset avatar asks for webp/);
  const noExt = await run(jpeg, '-o', tmpPath('cli/agree/o'), '-f', 'png');
  assert.equal(noExt.code, 2);
  assert.match(noExt.stderr, /o has no extension but -f png asks for png/);
  // .jpg and -f jpeg (or jpg) agree; a preset with a matching -f agrees.
  assert.equal((await run(jpeg, '-o', tmpPath('cli/agree/o.jpg'), '-f', 'jpeg')).code, 0);
  assert.equal((await run(jpeg, '-o', tmpPath('cli/agree/o2.jpeg'), '-f', 'jpg')).code, 0);
  assert.equal((await run(jpeg, '-o', png, '--preset', 'avatar', '-f', 'png')).code, 0);
  assert.equal((await decode(fs.readFileSync(png))).format, 'png');
  // Forced: the file holds what -f asked for, whatever its name says.
  const forced = tmpPath('cli/agree/forced.png');
  const f = await run(jpeg, '-o', forced, '-f', 'webp', '--force-format');
  assert.equal(f.code, 0, f.stderr);
  assert.equal((await decode(fs.readFileSync(forced))).format, 'webp');
  assert.equal((await run(jpeg, '-o', forced, '--force-format')).code, 2, '--force-format needs a format');
});

test('-o for several inputs is an existing folder or ends with /; a file name is refused, not made a folder', async () => {
  const [jpeg, png] = [await fixtures.jpeg(), await fixtures.png()];
  const many = tmpPath('cli/many/many.webp');
  const r = await run(jpeg, png, '-o', many, '-f', 'webp');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /-o .*many\.webp does not exist, and 2 inputs need a folder; write .*many\.webp\/ to create it/);
  assert.equal(fs.existsSync(many), false, 'no folder called many.webp');
  // An existing file is refused too.
  fs.mkdirSync(path.dirname(many), { recursive: true });
  fs.writeFileSync(many, 'x');
  const file = await run(jpeg, png, '-o', many, '-f', 'webp');
  assert.equal(file.code, 2);
  assert.match(file.stderr, /many\.webp is a file, but 2 inputs need a folder/);
  // A trailing separator creates the folder; an existing folder is used as it is.
  const made = tmpPath('cli/many/made') + '/';
  assert.equal((await run(jpeg, png, '-o', made, '-f', 'webp')).code, 0);
  assert.deepEqual(fs.readdirSync(made).sort(), ['photo-2.webp', 'photo.webp']);
  assert.equal((await run(jpeg, png, '-o', made.slice(0, -1), '-f', 'png')).code, 0);
});

test('converting a file in place works, and the saving is measured against the input as it was', async () => {
  const file = tmpPath('cli/in-place/photo.jpg');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.copyFileSync(SAMPLE, file);
  const before = fs.statSync(file).size;
  const r = await run(file, '-o', file, '-r', '200');
  assert.equal(r.code, 0, r.stderr);
  const after = fs.statSync(file).size;
  assert.ok(after < before / 4, `${after} < ${before} / 4`);
  const kB = (n) => `${(n / 1e3).toFixed(1)} kB`;
  const pct = `${(100 * (1 - after / before)).toFixed(1)} %`;
  assert.ok(r.stdout.includes(`${kB(before)} → ${kB(after)} (saved ${pct})`), r.stdout);
  const img = await decode(fs.readFileSync(file));
  assert.deepEqual([img.width, img.height, img.format], [200, 150, 'jpeg']);

  // A batch into its own folder maps its inputs: each is refused, named, with what to do.
  const batch = await run(path.dirname(file), '-o', path.dirname(file) + '/', '-f', 'jpeg');
  assert.equal(batch.code, 0, 'photo.jpg -> photo.jpeg is not in place');
  const again = await run(path.dirname(file), '-o', path.dirname(file) + '/', '-f', 'jpeg');
  assert.equal(again.code, 1);
  assert.match(again.stdout, /failed: .*photo\.jpeg {2}LAZY_OUTPUT_IS_INPUT {2}.*; pass another -o folder, or convert that one file with -o naming it/);
});

test('non-terminal progress lines are numbered as printed: the count only goes up', async () => {
  const { progressDisplay } = require('../lib/cli/progress');
  let text = '';
  const stream = { isTTY: false, write: (s) => (text += s) };
  const p = progressDisplay(3, stream);
  // Reports may arrive out of their `done` order.
  p.update({ done: 2, total: 3, source: 'b.jpg', success: true });
  p.update({ done: 1, total: 3, source: 'a.jpg', success: false, code: 'LAZY_CORRUPT_INPUT' });
  p.update({ done: 3, total: 3, source: 'c.jpg', success: true });
  p.stop();
  assert.equal(text, '[1/3] ok b.jpg\n[2/3] LAZY_CORRUPT_INPUT a.jpg\n[3/3] ok c.jpg\n');

  const src = tmpPath('cli/order-in');
  fs.mkdirSync(src, { recursive: true });
  for (let i = 1; i <= 11; i++) fs.copyFileSync(i % 3 ? await fixtures.jpeg() : SAMPLE, path.join(src, `p${String(i).padStart(2, '0')}.jpg`));
  const r = await run(src, '-o', tmpPath('cli/order-out/'), '-f', 'webp', '-c', '3');
  assert.equal(r.code, 0, r.stderr);
  const numbers = r.stderr.trim().split('\n').map((l) => Number(/^\[(\d+)\/11\] ok /.exec(l)[1]));
  assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`); resolves to its output and exit code. */
function onTerminal(args, { signal } = {}) {
  return new Promise((resolve, reject) => {
    const command = `echo "PID $$"; exec ${[process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ')}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let sent = false;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const pid = /PID (\d+)/.exec(output);
      // Signalled once the bar has hidden the cursor and counted a file.
      if (signal && !sent && pid && output.includes(HIDE_CURSOR) && / [1-9]\d*\/\d+ files/.test(output)) {
        sent = true;
        process.kill(Number(pid[1]), signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, sent }));
  });
}

const hasScript = require('node:child_process').spawnSync('script', ['--version']).status === 0;

test('the terminal bar shows the count, the failures and an ETA, and gives the cursor back', { skip: !hasScript && 'no script(1)' }, async () => {
  const src = tmpPath('cli/tty-in');
  fs.mkdirSync(src, { recursive: true });
  fs.copyFileSync(await fixtures.jpeg(), path.join(src, 'a.jpg'));
  fs.writeFileSync(path.join(src, 'b-broken.jpg'), fs.readFileSync(await fixtures.jpeg()).subarray(0, 300));
  const r = await onTerminal([src, '-o', tmpPath('cli/tty-out/'), '-f', 'png']);
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, /2\/2 files \| 1 failed \| ETA \d+s \|/);
  assert.ok(r.output.lastIndexOf(SHOW_CURSOR) > r.output.lastIndexOf(HIDE_CURSOR), 'cursor shown again');
  assert.match(r.output, /failed: .*b-broken\.jpg {2}LAZY_CORRUPT_INPUT/);
});

for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  test(`${signal} during the bar shows the cursor again and exits with ${status}`, { skip: !hasScript && 'no script(1)' }, async () => {
    const src = tmpPath(`cli/${signal}-in`);
    fs.mkdirSync(src, { recursive: true });
    for (let i = 0; i < 12; i++) fs.copyFileSync(SAMPLE, path.join(src, `p${i}.jpg`));
    const r = await onTerminal([src, '-o', tmpPath(`cli/${signal}-out/`), '-f', 'avif', '-c', '1'], { signal });
    assert.ok(r.sent, r.output);
    assert.equal(r.code, status, r.output);
    const hidden = r.output.lastIndexOf(HIDE_CURSOR);
    assert.ok(hidden >= 0 && r.output.indexOf(SHOW_CURSOR, hidden) > hidden, 'cursor shown after it was hidden');
    assert.match(r.output, new RegExp(`interrupted by ${signal} after \\d+/12 files`));
  });
}

test('--max-pixels refuses larger inputs, naming the file and the flag', async () => {
  const jpeg = await fixtures.jpeg(); // 320x240 = 76800 pixels
  const r = await run(jpeg, '-o', tmpPath('cli/max/small.png'), '--max-pixels', '76799');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /photo\.jpg: image of 320x240 \(76800 pixels\) exceeds the pixel limit of 76799 \(set by limits\(\{ maxPixels \}\)\); raise it with .*--max-pixels \(LAZY_LIMIT_EXCEEDED\)/);
  assert.equal((await run(jpeg, '-o', tmpPath('cli/max/ok.png'), '--max-pixels', '76800')).code, 0);
  const batch = await run(jpeg, await fixtures.png(), '-o', tmpPath('cli/max/out/'), '-f', 'png', '--max-pixels', '1000');
  assert.equal(batch.code, 1);
  assert.match(batch.stdout, /failed: .*photo\.jpg {2}LAZY_LIMIT_EXCEEDED {2}.*--max-pixels/);
  assert.equal((await run(jpeg, '-o', tmpPath('cli/max/x.png'), '--max-pixels', 'lots')).code, 2);
});

test('--failOn takes sharp\'s levels: a file cut short fails by default, named, and decodes with --failOn none', async () => {
  const jpeg = await fixtures.jpeg();
  assert.equal((await run(jpeg, '-o', tmpPath('cli/failon/a.png'), '--failOn', 'warning')).code, 0);
  assert.equal((await run(jpeg, '-o', tmpPath('cli/failon/b.png'), '--fail-on', 'error')).code, 0);
  const bad = await run(jpeg, '-o', tmpPath('cli/failon/d.png'), '--failOn', 'sometimes');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--failOn needs one of none, truncated, error, warning, got 'sometimes'/);
  const cut = tmpPath('cli/failon/cut.jpg');
  fs.writeFileSync(cut, fs.readFileSync(jpeg).subarray(0, 6000));
  for (const level of [[], ['--failOn', 'truncated'], ['--failOn', 'error']]) {
    const t = await run(cut, '-o', tmpPath('cli/failon/e.png'), ...level);
    assert.equal(t.code, 1, level.join(' '));
    assert.match(t.stderr, /cut\.jpg: .*truncated.*failOn: 'none'.*\(LAZY_CORRUPT_INPUT\)/);
  }
  const out = tmpPath('cli/failon/f.png');
  assert.equal((await run(cut, '-o', out, '--failOn', 'none')).code, 0);
  const m = await sharp(out).metadata();
  assert.deepEqual([m.width, m.height], [320, 240]);
});

test('an output path through a file: the error names the input and the output', async () => {
  const blocker = tmpPath('cli/blocked/afile');
  fs.mkdirSync(path.dirname(blocker), { recursive: true });
  fs.writeFileSync(blocker, 'x');
  const jpeg = await fixtures.jpeg();
  const one = await run(jpeg, '-o', path.join(blocker, 'x.png'));
  assert.equal(one.code, 1, one.stderr);
  assert.match(one.stderr, /^lazy-image: .*photo\.jpg: cannot make the folder of .*afile\/x\.png: a part of that path is a file/);
  const many = await run(jpeg, await fixtures.png(), '-o', path.join(blocker, 'sub') + '/', '-f', 'png');
  assert.equal(many.code, 1, many.stderr);
  assert.match(many.stderr, /afile\/sub\/.*\(LAZY_OUTPUT_WRITE\)/);
  assert.doesNotMatch(many.stderr, /ENOTDIR/);
});

test('every error line of a batch names its file', async () => {
  const src = tmpPath('cli/named-in');
  fs.mkdirSync(src, { recursive: true });
  fs.copyFileSync(await fixtures.jpeg(), path.join(src, 'good.jpg'));
  fs.writeFileSync(path.join(src, 'cut.jpg'), fs.readFileSync(await fixtures.jpeg()).subarray(0, 700));
  fs.writeFileSync(path.join(src, 'empty.png'), '');
  const r = await run(src, path.join(src, 'gone.jpg'), '-o', tmpPath('cli/named-out/'), '-f', 'webp');
  assert.equal(r.code, 1);
  const failures = r.stdout.split('\n').filter((l) => l.startsWith('failed: '));
  assert.equal(failures.length, 3, r.stdout);
  for (const name of ['cut.jpg', 'empty.png', 'gone.jpg']) {
    assert.equal(failures.filter((l) => l.includes(name)).length, 1, `${name} named: ${r.stdout}`);
    assert.ok(r.stderr.split('\n').some((l) => !/ ok /.test(l) && l.includes(name)), `${name} in the progress lines`);
  }
});

test('--widths and several formats: every width × format of each input, named <name>-<width>.<ext>', async () => {
  const src = tmpPath('cli/set-in');
  fs.mkdirSync(src, { recursive: true });
  fs.copyFileSync(await fixtures.jpeg(), path.join(src, 'a.jpg'));
  fs.copyFileSync(await fixtures.png(), path.join(src, 'b.png'));
  const out = tmpPath('cli/set-out/');
  const r = await run(src, '-o', out, '--widths', '100,200', '-f', 'avif,webp,jpg', '-q', '60');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 files: 2 converted, 0 failed; 12 outputs written, 0 failed/);
  const expected = ['a', 'b'].flatMap((name) => ['avif', 'webp', 'jpg'].flatMap((ext) => [100, 200].map((w) => `${name}-${w}.${ext}`)));
  assert.deepEqual(fs.readdirSync(out).sort(), expected.sort());
  for (const file of expected) {
    const img = await decode(fs.readFileSync(path.join(out, file)));
    const [, width, ext] = /-(\d+)\.(\w+)$/.exec(file);
    assert.deepEqual([img.format === 'heif' ? 'avif' : img.format, img.width, img.height], [ext === 'jpg' ? 'jpeg' : ext, Number(width), (Number(width) * 3) / 4], file);
  }
  // -q 60 reached the encoders: a-200.webp is within 5 % of the same WebP made alone at q60.
  const { ImageEngine } = require('..');
  const alone = await ImageEngine.fromPath(path.join(src, 'a.jpg')).resize(200).toBuffer('webp', 60);
  assert.ok(Math.abs(alone.length - fs.statSync(path.join(out, 'a-200.webp')).size) <= alone.length * 0.05);

  // Several formats without --widths: each at the input's size; -q auto chooses per output.
  const both = tmpPath('cli/set-formats/');
  const f = await run(path.join(src, 'a.jpg'), '-o', both, '-f', 'webp,png', '-q', 'auto');
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(fs.readdirSync(both).sort(), ['a.png', 'a.webp']);
  assert.equal((await decode(fs.readFileSync(path.join(both, 'a.webp')))).width, 320);
});

test('a set: a failed output fails the run and is named with its input; set usage errors exit 2', async () => {
  const jpeg = await fixtures.jpeg();
  const out = tmpPath('cli/set-blocked');
  fs.mkdirSync(path.join(out, 'photo-200.webp'), { recursive: true });
  const r = await run(jpeg, '-o', out, '-w', '100,200', '-f', 'webp');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /1 files: 1 converted, 0 failed; 1 outputs written, 1 failed/);
  assert.match(r.stdout, /failed: .*photo\.jpg → .*photo-200\.webp {2}LAZY_OUTPUT_WRITE/);
  assert.deepEqual(fs.readdirSync(out).sort(), ['photo-100.webp', 'photo-200.webp']);
  assert.deepEqual(fs.readdirSync(path.join(out, 'photo-200.webp')), []);

  const usage = [
    [['-w', '100'], /--widths needs -f/],
    [['-w', '100,abc', '-f', 'webp'], /--widths needs whole numbers/],
    [['-w', '100,100', '-f', 'webp'], /each width once/],
    [['-w', '0', '-f', 'webp'], /from 1 to 32768/],
    [['-w', '100', '-f', 'webp', '-p', 'avatar'], /--preset makes one output/],
    [['-f', 'webp,gif'], /-f gif is not an output format/],
    [['-q', 'best'], /--quality needs a whole number/],
  ];
  for (const [flags, message] of usage) {
    const u = await run(jpeg, '-o', tmpPath('cli/set-usage/'), ...flags);
    assert.equal(u.code, 2, `${flags.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, message);
  }
  const file = await run(jpeg, '-o', tmpPath('cli/set-usage/x.webp'), '-w', '100', '-f', 'webp');
  assert.equal(file.code, 2);
  assert.match(file.stderr, /a set of outputs per input needs a folder/);
  assert.equal(fs.existsSync(tmpPath('cli/set-usage')), false, 'nothing written by a usage error');
});
