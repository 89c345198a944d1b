#!/usr/bin/env bash
# Prints how the rust stack's dependency layer compares with cargo-chef's, on the e2e engine.
# Figures, not a test.
#
#   tests/bench-rust-deps.sh [FIXTURE...]   (default: rust-axum rust-build-script)
#
# For each fixture of tests/fixtures/init, the build stage of two Dockerfiles is built cold
# (the engine's build cache emptied first, as on a fresh CI runner) and again after a source
# edit:
#   mbgen  what `mbgen init` and `mbgen render` write: the dependency step compiles against
#          stand-ins mbgen computes from Cargo.toml (every target path, build.rs);
#   chef   the same builder image and registry cache mounts, the dependency layer made the way
#          cargo-chef's README does it: `cargo install cargo-chef`, `cargo chef prepare` of
#          the sources in a planner stage, `cargo chef cook` of the recipe.
# Needs the engine and the stand-in images of the e2e suite:
#   bash tests/e2e/engine.sh start /var/tmp/mbgen-e2e; eval "$(bash tests/e2e/engine.sh env)"
#   bash tests/e2e/images.sh
# It empties the engine's build cache (`docker builder prune`) before each cold build.
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest cargo-chef whose locked dependencies build with the stand-in's Debian rustc 1.85
# (0.1.77 and later need 1.88).
CHEF_VERSION=0.1.73
BUILDER=rust:1.91-slim-trixie
[ $# -gt 0 ] || set -- rust-axum rust-build-script
export DOCKER_BUILDKIT=1
docker=/usr/bin/docker
$docker info >/dev/null 2>&1 || { echo "no engine at ${DOCKER_HOST:-the default socket}: see the header of $0" >&2; exit 1; }
cargo build --quiet
bin="$PWD/target/debug/mbgen"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

chef_dockerfile() { # bin -> the cargo-chef build stages
  cat <<EOF
FROM $BUILDER AS chef
RUN cargo install cargo-chef --locked --version $CHEF_VERSION
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN --mount=type=cache,target=/usr/local/cargo/registry \\
    --mount=type=cache,target=/usr/local/cargo/git \\
    cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \\
    --mount=type=cache,target=/usr/local/cargo/git \\
    cargo build --release --locked --bin $1
EOF
}

# build DIR DOCKERFILE LABEL -> "seconds cached/total" of the build stage, from BuildKit's
# plain progress (a step is `#N [stage i/n] ...`, CACHED on a line `#N CACHED`).
build() {
  local log="$work/$3.log" t0 t1
  t0=$(date +%s.%N)
  if ! $docker build --network host --progress plain --target build -f "$2" -t "mbgen-bench/$3" "$1" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "building $3 failed (log above)" >&2
    exit 1
  fi
  t1=$(date +%s.%N)
  python3 - "$log" "$t0" "$t1" <<'PY'
import re, sys
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
steps, cached = set(), set()
for line in open(log, encoding="utf-8", errors="replace"):
    m = re.match(r"#(\d+) \[[^\]]* \d+/\d+\] ", line)
    if m:
        steps.add(m.group(1))
    m = re.match(r"#(\d+) CACHED", line)
    if m:
        cached.add(m.group(1))
print(f"{t1 - t0:.1f} {len(steps & cached)}/{len(steps)}")
PY
}

printf '%-18s %-6s %10s %16s %12s %16s\n' fixture layer "cold s" "cold cached" "edit s" "edit cached"
for fixture in "$@"; do
  src="tests/fixtures/init/$fixture"
  [ -f "$src/Cargo.toml" ] || { echo "$src has no Cargo.toml" >&2; exit 1; }
  for kind in mbgen chef; do
    dir="$work/$fixture-$kind"
    rm -rf "$dir"
    cp -r "$src" "$dir"
    "$bin" init "$dir" --yes >/dev/null 2>&1
    "$bin" render "$dir" --quiet
    name=$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/Cargo.toml" | head -n 1)
    bin_name=$(grep -o -- '--bin [^ ]*' "$dir/Dockerfile" | head -n 1 | cut -d' ' -f2)
    if [ "$kind" = chef ]; then
      chef_dockerfile "${bin_name:-$name}" >"$dir/Dockerfile"
    fi
    $docker builder prune -af >/dev/null
    read -r cold_s cold_c < <(build "$dir" "$dir/Dockerfile" "$fixture-$kind-cold")
    main=$(find "$dir/src" -name main.rs | head -n 1)
    printf '\n// bench: a source edit\n' >>"${main:-$dir/src/lib.rs}"
    read -r edit_s edit_c < <(build "$dir" "$dir/Dockerfile" "$fixture-$kind-edit")
    printf '%-18s %-6s %10s %16s %12s %16s\n' "$fixture" "$kind" "$cold_s" "$cold_c" "$edit_s" "$edit_c"
  done
done
echo "(build stage only; cargo-chef $CHEF_VERSION installed in the chef stage counts in its cold build)"
