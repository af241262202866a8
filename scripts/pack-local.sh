#!/usr/bin/env bash
# Rehearses an install from npm without a toolchain: packs the linux-x64-gnu platform package
# (the addon built here, moved into npm/linux-x64-gnu as `napi artifacts` does in the release
# workflow) and the main package (with the platform package among its optionalDependencies,
# as `napi pre-publish` sets them), installs both tarballs into an empty project with a PATH
# that holds node and npm only (no cargo, cc, gcc, cmake, nasm, meson, ninja), and there
# loads it with require and import, runs the CLI and converts an image through the API.
# Prints the installed size beside sharp's. Nothing is compiled. Needs a built addon
# (`npm run build`, or `npm ci` in a clone).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TRIPLE=linux-x64-gnu
ADDON=lazy-image.$TRIPLE.node
VERSION=$(node -p "require('./package.json').version")
[ -f "$ADDON" ] || { echo "pack:local: $ADDON is missing; build the addon first (npm run build)" >&2; exit 1; }

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/lazy-image-pack.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/tarballs" "$STAGE/bin" "$STAGE/app"

# 1. The platform package: its package.json plus the addon.
cp -r "npm/$TRIPLE" "$STAGE/platform"
cp "$ADDON" "$STAGE/platform/"
(cd "$STAGE/platform" && npm pack --silent --pack-destination "$STAGE/tarballs" >/dev/null)

# 2. The main package as npm would publish it, then with the optional dependency added and
#    without `prepare` (a build from a clone; the release workflow deletes it before publishing).
npm pack --silent --ignore-scripts --pack-destination "$STAGE" >/dev/null
tar -xzf "$STAGE/lazy-image-$VERSION.tgz" -C "$STAGE"
(cd "$STAGE/package" &&
  npm pkg set "optionalDependencies.lazy-image-$TRIPLE=$VERSION" &&
  npm pkg delete scripts.prepare &&
  npm pack --silent --ignore-scripts --pack-destination "$STAGE/tarballs" >/dev/null)
if tar -tzf "$STAGE/tarballs/lazy-image-$VERSION.tgz" | grep -E '\.node$|Cargo\.toml|^package/src/' >/dev/null; then
  echo "pack:local: the main package holds an addon or Rust sources" >&2
  exit 1
fi

# 3. A PATH with node and npm only.
# npx runs its command through sh; env is what the CLI's "#!/usr/bin/env node" line finds node with.
for tool in node npm npx sh env; do ln -s "$(command -v "$tool")" "$STAGE/bin/$tool"; done
CLEAN_PATH=$STAGE/bin
for tool in cargo rustc cc gcc clang make cmake nasm meson ninja python3; do
  if PATH=$CLEAN_PATH /bin/sh -c "command -v $tool" >/dev/null 2>&1; then
    echo "pack:local: $tool is still on the install PATH" >&2
    exit 1
  fi
done
run() { (cd "$STAGE/app" && env -i HOME="$STAGE/home" PATH="$CLEAN_PATH" npm_config_cache="${npm_config_cache:-$HOME/.npm}" "$@"); }

# 4. Install both tarballs into an empty project and use it.
run npm init -y >/dev/null
run npm install --no-audit --no-fund --prefer-offline \
  "$STAGE/tarballs/lazy-image-$VERSION.tgz" "$STAGE/tarballs/lazy-image-$TRIPLE-$VERSION.tgz"
cp examples/sample.jpg "$STAGE/app/sample.jpg"
run node -e "
  const lazy = require('lazy-image');
  const where = require.resolve('lazy-image-$TRIPLE');
  if (!where.startsWith(process.cwd())) throw new Error('the addon came from ' + where);
  console.log('require: lazy-image', lazy.version(), 'with', require('path').relative(process.cwd(), where));
"
run node --input-type=module -e "
  const { ImageEngine, version } = await import('lazy-image');
  console.log('import: lazy-image', version(), typeof ImageEngine.fromPath);
"
run npx lazy-image --help | head -1
run npx lazy-image sample.jpg -o cli.webp --resize 320
run node -e "
  const fs = require('fs');
  const { ImageEngine, inspectFile } = require('lazy-image');
  ImageEngine.fromPath('sample.jpg').resize(200).toFile('api.png').then((bytes) => {
    const info = inspectFile('api.png');
    const cli = inspectFile('cli.webp');
    if (info.format !== 'png' || info.width !== 200 || bytes !== fs.statSync('api.png').size || bytes < 1000) throw new Error(JSON.stringify({ info, bytes }));
    if (cli.format !== 'webp' || cli.width !== 320) throw new Error(JSON.stringify(cli));
    console.log('api: sample.jpg -> api.png', info.width + 'x' + info.height, bytes, 'bytes; cli.webp', cli.width + 'x' + cli.height);
  });
"

# 5. Without the platform package: one sentence naming the platform.
mkdir -p "$STAGE/bare"
(cd "$STAGE/bare" && env -i HOME="$STAGE/home" PATH="$CLEAN_PATH" npm_config_cache="${npm_config_cache:-$HOME/.npm}" sh -c '
  npm init -y >/dev/null &&
  npm install --no-audit --no-fund --prefer-offline --omit=optional "$0" >/dev/null &&
  node -e "try { require(\"lazy-image\"); process.exit(1) } catch (e) { if (e.code !== \"LAZY_NO_PREBUILT\") throw e; console.log(\"without the platform package:\", e.message) }"
' "$STAGE/tarballs/lazy-image-$VERSION.tgz")

# 6. Installed size, beside sharp's (this repository's devDependency).
kb() { du -sk "$@" | awk '{ n += $1 } END { print n }'; }
ours=$(kb "$STAGE/app/node_modules/lazy-image" "$STAGE/app/node_modules/lazy-image-$TRIPLE")
sharp=$(kb "$ROOT/node_modules/sharp" "$ROOT"/node_modules/@img)
echo "installed size: lazy-image + lazy-image-$TRIPLE ${ours} kB; sharp + @img/* ${sharp} kB (du -sk)"
du -sh "$STAGE/app/node_modules/lazy-image" "$STAGE/app/node_modules/lazy-image-$TRIPLE" "$ROOT/node_modules/sharp" "$ROOT"/node_modules/@img/* | sed "s|$STAGE/app/||; s|$ROOT/||"
echo "pack:local: ok"
