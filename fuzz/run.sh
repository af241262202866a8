#!/usr/bin/env bash
# Runs every fuzz target for a fixed time (default 300 s each) with cargo-fuzz on the stable
# toolchain (RUSTC_BOOTSTRAP=1 lets it use the sanitizer flags), from seeds made by
# make-seeds.js. A crash leaves its input in fuzz/artifacts/<target>/ and stops the run.
#   cargo install cargo-fuzz && bash fuzz/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
node make-seeds.js
export RUSTC_BOOTSTRAP=1
for target in probe decode pipeline; do
  echo "== $target, ${seconds}s"
  cargo fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 2>&1 \
    | grep -E "^(stat::|==|INFO: Running|Done|#[0-9]+ +DONE)|ERROR|panicked|SUMMARY" || true
  if [ -n "$(ls -A "artifacts/$target" 2>/dev/null)" ]; then echo "crash found in $target"; exit 1; fi
done
