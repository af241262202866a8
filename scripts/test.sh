#!/usr/bin/env bash
# `npm test`: the Rust tests (scripts/test-rust.sh), the Node tests and the type tests.
# The Rust test binary's build ends in a fat-LTO link that keeps one core busy for minutes
# while the other would idle, so it is built while the Node tests (which need only the
# addon) run, and run once both are done. Its build log is printed only when it fails.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash scripts/test-rust.sh --no-run >"$log" 2>&1 &
build=$!
npm run -s test:node
node_status=$?
wait "$build"
build_status=$?
if [ "$build_status" -ne 0 ]; then
  cat "$log"
  echo "the Rust tests did not build"
  exit "$build_status"
fi
bash scripts/test-rust.sh || exit $?
[ "$node_status" -eq 0 ] || { echo "Node tests failed"; exit "$node_status"; }
npm run -s test:types
