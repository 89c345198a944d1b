#!/usr/bin/env bash
# Build local stand-ins of the official base images that mbgen's generated
# Dockerfiles start FROM, so those Dockerfiles build unmodified on a machine
# that can reach no container registry.
#
#   images.sh [NAME...]      build the stand-ins (all of them by default)
#   images.sh --list         print the image names and their recipe folders
#
# NAME is an image name (debian:trixie-slim) or a recipe folder name
# (debian-trixie-slim). The base image debian:trixie-slim is always brought
# up to date first, as every other stand-in is built from it.
#
# Environment:
#   MBGEN_E2E_DIR    work folder (default /var/tmp/mbgen-e2e): the debootstrap
#                    tarball cache, build contexts and logs live there
#   DOCKER_HOST      engine to build in; if unset, or if it does not answer,
#                    the private engine of engine.sh is used (started here if
#                    needed and then stopped again at the end)
#   MBGEN_E2E_FORCE  1 = rebuild the named images (all of them, and the
#                    debootstrap tarball, when none is named) even when they
#                    are up to date
#   DEBIAN_MIRROR    default http://deb.debian.org/debian
#
# Each recipe lives in images/<folder>/Dockerfile and carries a
# `LABEL org.mbgen.standin-version=N` line; an image that already exists with
# the same N, built from the current base image, is not rebuilt. Bump N when a
# recipe changes. (As a safety net the build also records a digest of the
# recipe folder and of the host's CA certificates, and an image whose digest
# differs is rebuilt even if N was not bumped.)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=1
export DEBIAN_FRONTEND=noninteractive

E2E_DIR=${MBGEN_E2E_DIR:-/var/tmp/mbgen-e2e}
mkdir -p "$E2E_DIR"
E2E_DIR=$(cd "$E2E_DIR" && pwd -P)
export MBGEN_E2E_DIR=$E2E_DIR
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
FORCE=${MBGEN_E2E_FORCE:-0}

LABEL_VERSION=org.mbgen.standin-version
LABEL_BASE=org.mbgen.standin-base
LABEL_RECIPE=org.mbgen.standin-recipe

# Bump when the way the root file system tarball is made changes.
ROOTFS_VERSION=1
ROOTFS_IMAGE=mbgen-e2e/trixie-rootfs:minbase
ROOTFS_TAR=$E2E_DIR/cache/trixie-minbase-v$ROOTFS_VERSION.tar

# image name | recipe folder [| stand-in it is built FROM, when not the base
# image], in build order (the base image first)
IMAGES=(
    "debian:trixie-slim|debian-trixie-slim"
    "node:22-trixie-slim|node-22-trixie-slim"
    "node:24-trixie-slim|node-24-trixie-slim"
    "nginx:1.29-trixie|nginx-1.29-trixie"
    "golang:1.24-trixie|golang-1.24-trixie"
    "golang:1.27-trixie|golang-1.27-trixie"
    "python:3.13-slim-trixie|python-3.13-slim-trixie"
    "python:3.14-slim-trixie|python-3.14-slim-trixie"
    "rust:1.91-slim-trixie|rust-1.91-slim-trixie"
    "gcr.io/distroless/static-debian13:nonroot|distroless-static-debian13-nonroot"
    "gcr.io/distroless/cc-debian13:nonroot|distroless-cc-debian13-nonroot|gcr.io/distroless/static-debian13:nonroot"
    "eclipse-temurin:21-jre|eclipse-temurin-21-jre"
    "maven:3.9-eclipse-temurin-21|maven-3.9-eclipse-temurin-21"
    "gcr.io/distroless/nodejs22-debian13:nonroot|distroless-nodejs22-debian13-nonroot|gcr.io/distroless/cc-debian13:nonroot"
    "oven/bun:1-slim|bun-1-slim"
    "gcr.io/distroless/python3-debian13:nonroot|distroless-python3-debian13-nonroot|gcr.io/distroless/cc-debian13:nonroot"
)
# BuildKit's SBOM scanner, for the case bake-workspace alone (skipped with MBGEN_E2E_BAKE=0).
if [ "${MBGEN_E2E_BAKE:-1}" != 0 ]; then
    IMAGES+=("docker/buildkit-syft-scanner:stable-1|buildkit-syft-scanner|python:3.13-slim-trixie")
fi
BASE_IMAGE=debian:trixie-slim
FORCED=() # the images named on the command line

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }

# --------------------------------------------------------------------------
# engine

STARTED_ENGINE=0
cleanup() {
    local rc=$?
    if [ "$STARTED_ENGINE" = 1 ]; then
        "$HERE/engine.sh" stop "$E2E_DIR" || rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT

ensure_engine() {
    if [ -x "$DOCKER" ] && [ -n "${DOCKER_HOST:-}" ] &&
        timeout 10 "$DOCKER" info >/dev/null 2>&1; then
        log "using engine at $DOCKER_HOST"
        return 0
    fi
    if [ -x "$DOCKER" ] && "$HERE/engine.sh" status "$E2E_DIR" 2>/dev/null; then
        eval "$("$HERE/engine.sh" env "$E2E_DIR")"
        log "using the private engine at $DOCKER_HOST"
        return 0
    fi
    # engine.sh installs docker.io and debootstrap when they are missing
    local out
    out=$("$HERE/engine.sh" start "$E2E_DIR")
    STARTED_ENGINE=1
    eval "$out"
    log "started the private engine at $DOCKER_HOST (stopped again at exit)"
}

# --------------------------------------------------------------------------
# helpers

label_of() { # image label -> value or empty
    "$DOCKER" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

image_id() {
    "$DOCKER" image inspect --format '{{ .Id }}' "$1" 2>/dev/null || true
}

recipe_version() { # folder -> N from its Dockerfile
    local v
    v=$(sed -n "s/^LABEL $LABEL_VERSION=\([0-9][0-9]*\)\$/\1/p" "$HERE/images/$1/Dockerfile" | head -n1)
    [ -n "$v" ] || die "images/$1/Dockerfile has no 'LABEL $LABEL_VERSION=N' line"
    printf '%s\n' "$v"
}

host_certs() { # the host's extra CA certificates, sorted
    find /usr/local/share/ca-certificates -maxdepth 2 -type f -name '*.crt' 2>/dev/null | LC_ALL=C sort
}

recipe_digest() { # folder -> digest of its files and of the host's CA certificates
    local f
    {
        (cd "$HERE/images/$1" && find . -type f | LC_ALL=C sort | while read -r f; do
            printf '%s %s ' "$f" "$(stat -c %a "$f")"
            sha256sum <"$f"
        done)
        for f in $(host_certs); do sha256sum <"$f"; done
    } | sha256sum | cut -c1-16
}

# --------------------------------------------------------------------------
# root file system

make_rootfs_tar() {
    if [ -s "$ROOTFS_TAR" ]; then
        log "debootstrap tarball cached: $ROOTFS_TAR"
        return 0
    fi
    if ! command -v debootstrap >/dev/null 2>&1; then
        log "installing debootstrap"
        apt-get update -q </dev/null
        apt-get install -y -q --no-install-recommends debootstrap </dev/null
    fi
    mkdir -p "$E2E_DIR/cache"
    local root="$E2E_DIR/cache/rootfs.tmp" t0=$SECONDS
    rm -rf "$root"
    log "debootstrap --variant=minbase trixie (once; cached afterwards)"
    if ! debootstrap --variant=minbase trixie "$root" "$DEBIAN_MIRROR" \
        >"$E2E_DIR/logs/debootstrap.log" 2>&1; then
        tail -n 40 "$E2E_DIR/logs/debootstrap.log" >&2
        die "debootstrap failed (log: $E2E_DIR/logs/debootstrap.log)"
    fi
    # what the official image does not carry: downloaded packages and lists,
    # device nodes, the host's name resolution and logs
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/var/lib/apt/lists/* "$root"/var/log/bootstrap.log \
        "$root"/debootstrap "$root"/etc/hostname "$root"/etc/resolv.conf
    find "$root/dev" "$root/proc" "$root/sys" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
    tar --numeric-owner --xattrs -C "$root" -cf "$ROOTFS_TAR.part" .
    mv "$ROOTFS_TAR.part" "$ROOTFS_TAR"
    rm -rf "$root"
    log "debootstrap tarball made in $((SECONDS - t0))s ($(du -h "$ROOTFS_TAR" | cut -f1))"
}

import_rootfs() { # [force]
    local have
    have=$(label_of "$ROOTFS_IMAGE" "$LABEL_VERSION")
    if [ "${1:-0}" = 1 ]; then
        rm -f "$ROOTFS_TAR"
    elif [ "$have" = "$ROOTFS_VERSION" ]; then
        log "$ROOTFS_IMAGE up to date (version $have)"
        return 0
    fi
    make_rootfs_tar
    local t0=$SECONDS
    "$DOCKER" import \
        --change "LABEL $LABEL_VERSION=$ROOTFS_VERSION" \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' \
        - "$ROOTFS_IMAGE" <"$ROOTFS_TAR" >/dev/null
    log "imported $ROOTFS_IMAGE in $((SECONDS - t0))s"
}

# --------------------------------------------------------------------------
# stand-ins

is_forced() { # name -> whether MBGEN_E2E_FORCE applies to it
    local n
    [ "$FORCE" = 1 ] || return 1
    [ ${#FORCED[@]} -eq 0 ] && return 0
    for n in "${FORCED[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}

build_one() { # name folder [base]
    local name=$1 dir=$2 base_ref=${3:-} want have base_id have_base ctx logf t0
    [ -f "$HERE/images/$dir/Dockerfile" ] || die "no recipe images/$dir/Dockerfile"
    want=$(recipe_version "$dir")
    if [ -z "$base_ref" ]; then
        if [ "$name" = "$BASE_IMAGE" ]; then
            base_ref=$ROOTFS_IMAGE
        else
            base_ref=$BASE_IMAGE
        fi
    fi
    base_id=$(image_id "$base_ref")
    [ -n "$base_id" ] || die "base image $base_ref is missing"
    have=$(label_of "$name" "$LABEL_VERSION")
    have_base=$(label_of "$name" "$LABEL_BASE")
    local recipe why
    recipe=$(recipe_digest "$dir")
    if is_forced "$name"; then
        why="forced"
    elif [ -z "$have" ]; then
        why="missing"
    elif [ "$have" != "$want" ]; then
        why="version $have -> $want"
    elif [ "$have_base" != "$base_id" ]; then
        why="$base_ref changed"
    elif [ "$(label_of "$name" "$LABEL_RECIPE")" != "$recipe" ]; then
        # the version was not bumped, but the recipe or the host's CA
        # certificates changed: rebuild all the same
        why="recipe files changed"
    else
        log "$name up to date (version $have)"
        return 0
    fi

    ctx="$E2E_DIR/ctx/$dir"
    rm -rf "$ctx"
    mkdir -p "$ctx/certs"
    cp -a "$HERE/images/$dir/." "$ctx/"
    local f
    for f in $(host_certs); do cp "$f" "$ctx/certs/"; done

    logf="$E2E_DIR/logs/$dir.log"
    log "building $name (version $want; $why) - log: $logf"
    t0=$SECONDS
    if ! "$DOCKER" build --network host --progress plain \
        --label "$LABEL_BASE=$base_id" \
        --label "$LABEL_RECIPE=$recipe" \
        -t "$name" -f "$ctx/Dockerfile" "$ctx" >"$logf" 2>&1; then
        tail -n 60 "$logf" >&2
        die "building $name failed after $((SECONDS - t0))s (log: $logf)"
    fi
    local size
    size=$("$DOCKER" image inspect --format '{{ .Size }}' "$name")
    log "built $name in $((SECONDS - t0))s ($((size / 1000000)) MB)"
}

main() {
    local selected=() arg entry name dir base rest
    for arg in "$@"; do
        case "$arg" in
            --list)
                for entry in "${IMAGES[@]}"; do
                    rest=${entry#*|}
                    printf '%-45s images/%s\n' "${entry%%|*}" "${rest%%|*}"
                done
                exit 0
                ;;
            -h | --help)
                sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'
                exit 0
                ;;
            *)
                local found=0
                for entry in "${IMAGES[@]}"; do
                    rest=${entry#*|}
                    if [ "$arg" = "${entry%%|*}" ] || [ "$arg" = "${rest%%|*}" ]; then
                        selected+=("$entry")
                        FORCED+=("${entry%%|*}")
                        found=1
                    fi
                done
                [ "$found" = 1 ] || die "unknown image: $arg (see --list)"
                ;;
        esac
    done
    [ ${#selected[@]} -gt 0 ] || selected=("${IMAGES[@]}")

    local t_all=$SECONDS
    mkdir -p "$E2E_DIR/logs" "$E2E_DIR/cache" "$E2E_DIR/ctx"
    ensure_engine

    if [ "$FORCE" = 1 ] && [ ${#FORCED[@]} -eq 0 ]; then
        import_rootfs 1
    else
        import_rootfs
    fi
    build_one "$BASE_IMAGE" "debian-trixie-slim"
    for entry in "${selected[@]}"; do
        name=${entry%%|*}
        rest=${entry#*|}
        dir=${rest%%|*}
        base=
        [ "$rest" = "$dir" ] || base=${rest#*|}
        [ "$name" = "$BASE_IMAGE" ] && continue
        if [ -n "$base" ] && [ -z "$(image_id "$base")" ]; then
            # built from another stand-in that was not selected: build it too
            local e2
            for e2 in "${IMAGES[@]}"; do
                if [ "${e2%%|*}" = "$base" ]; then
                    e2=${e2#*|}
                    build_one "$base" "${e2%%|*}"
                fi
            done
        fi
        build_one "$name" "$dir" "$base"
    done
    # images left dangling by rebuilds
    "$DOCKER" image prune -f --filter "label=$LABEL_VERSION" >/dev/null || true
    log "all done in $((SECONDS - t_all))s"
    "$DOCKER" image ls --filter "label=$LABEL_VERSION" \
        --format 'table {{.Repository}}:{{.Tag}}\t{{.ID}}\t{{.Size}}' >&2
}

main "$@"
