#!/usr/bin/env bash
# Fuzzes the mbgen.toml loader with cargo-fuzz (libFuzzer): arbitrary text through
# spec::parse, model::resolve and render::render_project (tests/fuzz/fuzz_targets/load.rs),
# starting from the seeds in tests/fuzz/corpus/load.
#
# Usage: tests/fuzz.sh [SECONDS]        (default 60)
# Environment: FUZZ_SANITIZER=address   build with AddressSanitizer (default: none)
#
# Runs on the stable toolchain. Without a sanitizer cargo-fuzz passes only stable flags;
# panics, failed assertions, timeouts and running out of memory are caught all the same, and
# mbgen itself forbids unsafe code. AddressSanitizer needs the unstable -Zsanitizer flag, which
# RUSTC_BOOTSTRAP=1 unlocks on a stable compiler.
#
# A crashing input is saved under tests/fuzz/artifacts/load/; replay it with
#   cargo fuzz run --fuzz-dir tests/fuzz --sanitizer none load tests/fuzz/artifacts/load/<file>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: tests/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

sanitizer="${FUZZ_SANITIZER:-none}"
if [ "$sanitizer" != none ]; then
  export RUSTC_BOOTSTRAP=1
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# libFuzzer adds the inputs it finds to the first corpus directory: a scratch one (ignored by
# git), so the committed seeds stay as they are.
mkdir -p tests/fuzz/corpus/new
exec cargo fuzz run --fuzz-dir tests/fuzz --sanitizer "$sanitizer" load \
  tests/fuzz/corpus/new tests/fuzz/corpus/load \
  -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
