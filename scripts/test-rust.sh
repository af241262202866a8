#!/usr/bin/env bash
# The core's Rust tests (without Node), built with the release profile for the host target,
# as `npm run build` builds the addon: the C codecs and every dependency are then compiled
# once for both. A dev-profile test build compiles them all a second time (about 26 CPU
# minutes on a 2-core machine). For a quick loop while editing: cargo test --no-default-features
set -euo pipefail
host=$(rustc -vV | sed -n 's/^host: //p')
exec cargo test --release --no-default-features --target "$host" "$@"
