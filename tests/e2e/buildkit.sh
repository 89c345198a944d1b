#!/usr/bin/env bash
# A local registry and standalone BuildKit builders for the end-to-end suite, all on
# 127.0.0.1, each with its own state directory, stopped by pid.
#
#   buildkit.sh install                 build buildkitd and buildx from the Go module proxy
#                                       and unpack Debian's docker-registry into TOOLS
#                                       (each once: a version stamp records it), and install
#                                       runc if it is missing; one install at a time (a second
#                                       waits for the first, then finds the tools built)
#   buildkit.sh registry-start DIR      start a registry (storage in DIR/registry, kept),
#                                       print `REGISTRY=127.0.0.1:<port>`
#   buildkit.sh registry-stop DIR
#   buildkit.sh push DIR IMAGE...       push stand-in images of the engine at DOCKER_HOST to
#                                       the registry, where the builders' mirrors find them
#                                       (docker.io/library/node:22 -> <registry>/library/node:22,
#                                       gcr.io/distroless/x -> <registry>/distroless/x);
#                                       LOCAL=IMAGE pushes the engine's LOCAL there as IMAGE
#   buildkit.sh builder-start DIR NAME  start a buildkitd with an empty state in DIR/NAME
#                                       (OCI worker, runc, host network; docker.io and gcr.io
#                                       mirrored to the registry) and create the buildx
#                                       builder NAME for it (remote driver)
#   buildkit.sh builder-stop DIR NAME   remove the builder, stop its buildkitd, delete its state
#   buildkit.sh env DIR                 print DOCKER_CONFIG (the buildx plugin lives there)
#
# Environment: MBGEN_TOOLS (default target/tools of this checkout), DOCKER_HOST (the engine
# holding the stand-in images, for push).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$HERE/../.." && pwd -P)
TOOLS=${MBGEN_TOOLS:-$ROOT/target/tools}
DOCKER=/usr/bin/docker

# The versions built from the Go module proxy; both must build with the Go on this machine.
BUILDKIT_VERSION=v0.34.2
BUILDX_VERSION=v0.38.2
STAMP="$TOOLS/.buildkit-$BUILDKIT_VERSION-buildx-$BUILDX_VERSION"
REGISTRY_STAMP="$TOOLS/.docker-registry-deb"
START_TIMEOUT=${MBGEN_E2E_START_TIMEOUT:-60}
STOP_TIMEOUT=${MBGEN_E2E_STOP_TIMEOUT:-30}

log() { printf 'buildkit: %s\n' "$*" >&2; }
die() { printf 'buildkit: error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "need root to $*"
}

# --------------------------------------------------------------------------
# install

# buildkitd and buildx in one module of our own, so that the packages they share compile
# once: both main packages are required at their release versions.
install_buildkit() {
    if [ -f "$STAMP" ] && [ -x "$TOOLS/bin/buildkitd" ] && [ -x "$TOOLS/bin/buildx" ]; then
        return 0
    fi
    if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
        PATH="/usr/local/go/bin:$PATH"
    fi
    command -v go >/dev/null 2>&1 || die "go is needed to build buildkitd and buildx"
    local work="$TOOLS/go" t0=$SECONDS
    rm -rf "$work/src"
    mkdir -p "$work/src" "$TOOLS/bin"
    log "building buildkitd $BUILDKIT_VERSION and buildx $BUILDX_VERSION with $(go version | cut -d' ' -f3) (once)"
    (
        cd "$work/src"
        export GOPATH="$work/path" GOMODCACHE="$work/path/mod" GOCACHE="$work/cache" \
            GOFLAGS="-trimpath -modcacherw" CGO_ENABLED=0 GOTOOLCHAIN=local
        printf 'module mbgen.test/buildkit\n\ngo 1.26\n' >go.mod
        go get "github.com/moby/buildkit/cmd/buildkitd@$BUILDKIT_VERSION" \
            "github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION"
        go build -o "$TOOLS/bin/" -ldflags="-s -w \
            -X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION \
            -X github.com/docker/buildx/version.Version=$BUILDX_VERSION" \
            github.com/moby/buildkit/cmd/buildkitd github.com/docker/buildx/cmd/buildx
    ) >"$TOOLS/buildkit-build.log" 2>&1 || {
        tail -n 40 "$TOOLS/buildkit-build.log" >&2
        die "building buildkitd and buildx failed (log: $TOOLS/buildkit-build.log)"
    }
    # The module and build caches are large and only needed for this build.
    rm -rf "$work"
    touch "$STAMP"
    log "built buildkitd and buildx in $((SECONDS - t0))s"
}

# Debian's distribution registry, unpacked (not installed: its package would start a
# registry on every address of the machine).
install_registry() {
    if [ -f "$REGISTRY_STAMP" ] && [ -x "$TOOLS/registry/usr/bin/docker-registry" ]; then
        return 0
    fi
    local deb
    rm -rf "$TOOLS/registry" "$TOOLS/registry-deb"
    mkdir -p "$TOOLS/registry-deb"
    (cd "$TOOLS/registry-deb" && apt-get download -q -o APT::Sandbox::User=root docker-registry </dev/null >&2) ||
        die "apt-get download docker-registry failed"
    deb=$(ls "$TOOLS"/registry-deb/docker-registry_*.deb)
    dpkg-deb -x "$deb" "$TOOLS/registry"
    rm -rf "$TOOLS/registry-deb"
    touch "$REGISTRY_STAMP"
    log "unpacked $(basename "$deb")"
}

cmd_install() {
    mkdir -p "$TOOLS"
    # tests/run.sh starts an install in the background while the Rust tests run; the e2e
    # case's own install then waits for it here.
    exec 9>"$TOOLS/.buildkit-install.lock"
    flock -w 3600 9 || die "another install has held $TOOLS/.buildkit-install.lock for an hour"
    if ! command -v runc >/dev/null 2>&1; then
        need_root "install runc"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q </dev/null
        apt-get install -y -q --no-install-recommends runc </dev/null
    fi
    install_registry
    install_buildkit
    "$TOOLS/bin/buildx" version >&2
    "$TOOLS/bin/buildkitd" --version >&2
}

# --------------------------------------------------------------------------
# processes

# The pid in FILE if that process still runs with MARK in its command line.
pid_of() {
    local file=$1 mark=$2 pid
    [ -s "$file" ] || return 1
    pid=$(cat "$file")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$mark" || return 1
    printf '%s\n' "$pid"
}

stop_pid() { # pidfile mark what
    local pid i
    pid=$(pid_of "$1" "$2") || { rm -f "$1"; return 0; }
    log "stopping $3 (pid $pid)"
    kill -TERM "$pid"
    for ((i = 0; i < STOP_TIMEOUT * 2; i++)); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
        sleep 0.5
    done
    log "$3 still alive after ${STOP_TIMEOUT}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        kill -0 "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
        sleep 0.5
    done
    die "$3 (pid $pid) did not exit"
}

answers() { # URL -> whether it answers 200
    python3 -c 'import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)' "$1" 2>/dev/null
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --------------------------------------------------------------------------
# registry

registry_address() { cat "$1/registry/address" 2>/dev/null; }

cmd_registry_start() {
    local dir=$1 state addr port pid i
    state="$dir/registry"
    mkdir -p "$state/storage"
    [ -x "$TOOLS/registry/usr/bin/docker-registry" ] || die "no registry: run $0 install"
    if pid=$(pid_of "$state/pid" "$state/config.yml"); then
        log "registry already running (pid $pid)"
        echo "REGISTRY=$(registry_address "$dir")"
        return 0
    fi
    port=$(free_port)
    addr="127.0.0.1:$port"
    cat >"$state/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/storage
  delete:
    enabled: true
http:
  addr: $addr
EOF
    setsid "$TOOLS/registry/usr/bin/docker-registry" serve "$state/config.yml" \
        </dev/null >>"$state/registry.log" 2>&1 &
    echo $! >"$state/pid"
    echo "$addr" >"$state/address"
    for ((i = 0; i < START_TIMEOUT * 2; i++)); do
        # (alive, by pid alone: the child may not have exec'd the registry yet)
        kill -0 "$(cat "$state/pid")" 2>/dev/null ||
            { tail -n 20 "$state/registry.log" >&2; die "the registry exited"; }
        if answers "http://$addr/v2/"; then
            log "registry at $addr (pid $(cat "$state/pid"), storage $state/storage)"
            echo "REGISTRY=$addr"
            return 0
        fi
        sleep 0.5
    done
    stop_pid "$state/pid" "$state/config.yml" registry
    die "the registry did not answer within ${START_TIMEOUT}s"
}

cmd_registry_stop() {
    stop_pid "$1/registry/pid" "$1/registry/config.yml" registry
}

# Where a builder's mirror looks for an image: docker.io/library/node:22 and node:22 ->
# library/node:22; gcr.io/distroless/x -> distroless/x.
mirror_path() {
    local ref=$1
    case "$ref" in
        gcr.io/*) printf '%s\n' "${ref#gcr.io/}" ;;
        docker.io/*) mirror_path "${ref#docker.io/}" ;;
        */*) printf '%s\n' "$ref" ;;
        *) printf 'library/%s\n' "$ref" ;;
    esac
}

cmd_push() {
    local dir=$1 addr image
    shift
    addr=$(registry_address "$dir") || die "no registry address: run $0 registry-start $dir"
    for image in "$@"; do
        # LOCAL=IMAGE, or IMAGE alone (an image reference holds no `=`).
        TMPDIR=$dir python3 "$HERE/registry_push.py" "${image%%=*}" "$addr" "$(mirror_path "${image#*=}")" >&2 ||
            die "pushing $image failed"
    done
}

# --------------------------------------------------------------------------
# builders

docker_config() {
    local cfg="$1/docker-config"
    mkdir -p "$cfg/cli-plugins"
    [ -f "$cfg/config.json" ] || echo '{}' >"$cfg/config.json"
    ln -sf "$TOOLS/bin/buildx" "$cfg/cli-plugins/docker-buildx"
    printf '%s\n' "$cfg"
}

cmd_builder_start() {
    local dir=$1 name=$2 state addr cfg sock pid i
    state="$dir/$name"
    [ -x "$TOOLS/bin/buildkitd" ] || die "no buildkitd: run $0 install"
    addr=$(registry_address "$dir") || die "no registry: run $0 registry-start $dir"
    if pid=$(pid_of "$state/pid" "$state/buildkitd.toml"); then
        die "buildkitd $name already runs (pid $pid): stop it first, a fresh builder is wanted"
    fi
    unmount_under "$state"
    rm -rf "$state"
    mkdir -p "$state/root"
    sock="$state/buildkitd.sock"
    cat >"$state/buildkitd.toml" <<EOF
root = "$state/root"

[grpc]
  address = ["unix://$sock"]

[worker.oci]
  enabled = true
  binary = "$(command -v runc)"
  networkMode = "host"

[worker.containerd]
  enabled = false

# Nothing is pulled from elsewhere: the stand-ins are in the local registry.
[registry."docker.io"]
  mirrors = ["$addr"]

[registry."gcr.io"]
  mirrors = ["$addr"]

[registry."$addr"]
  http = true
EOF
    setsid "$TOOLS/bin/buildkitd" --config "$state/buildkitd.toml" \
        </dev/null >>"$state/buildkitd.log" 2>&1 &
    echo $! >"$state/pid"
    for ((i = 0; i < START_TIMEOUT * 2; i++)); do
        kill -0 "$(cat "$state/pid")" 2>/dev/null ||
            { tail -n 20 "$state/buildkitd.log" >&2; die "buildkitd $name exited"; }
        [ -S "$sock" ] && break
        sleep 0.5
    done
    [ -S "$sock" ] || die "buildkitd $name made no socket within ${START_TIMEOUT}s"
    cfg=$(docker_config "$dir")
    DOCKER_CONFIG=$cfg "$DOCKER" buildx rm "$name" >/dev/null 2>&1 || true
    DOCKER_CONFIG=$cfg "$DOCKER" buildx create --name "$name" --driver remote "unix://$sock" >/dev/null
    DOCKER_CONFIG=$cfg timeout "$START_TIMEOUT" "$DOCKER" buildx inspect --bootstrap "$name" >/dev/null ||
        die "buildx does not reach buildkitd $name"
    log "builder $name: buildkitd pid $(cat "$state/pid"), state $state/root, socket $sock"
}

# Mounts buildkitd leaves under a state directory; deepest first.
unmount_under() {
    local m
    for m in $(awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
    done
}

cmd_builder_stop() {
    local dir=$1 name=$2 state cfg
    state="$dir/$name"
    cfg=$(docker_config "$dir")
    DOCKER_CONFIG=$cfg "$DOCKER" buildx rm "$name" >/dev/null 2>&1 || true
    stop_pid "$state/pid" "$state/buildkitd.toml" "buildkitd $name"
    unmount_under "$state"
    rm -rf "$state/root"
}

case "${1:-}" in
    install) cmd_install ;;
    registry-start) [ $# -eq 2 ] || usage; cmd_registry_start "$2" ;;
    registry-stop) [ $# -eq 2 ] || usage; cmd_registry_stop "$2" ;;
    push) [ $# -ge 3 ] || usage; shift; cmd_push "$@" ;;
    builder-start) [ $# -eq 3 ] || usage; cmd_builder_start "$2" "$3" ;;
    builder-stop) [ $# -eq 3 ] || usage; cmd_builder_stop "$2" "$3" ;;
    env) [ $# -eq 2 ] || usage; echo "DOCKER_CONFIG=$(docker_config "$2")" ;;
    *) usage ;;
esac
