#!/usr/bin/env bash
# Private Docker engine for the end-to-end tests.
#
#   engine.sh start [DIR]   install docker.io/debootstrap if missing, start a
#                           private dockerd rooted in DIR, wait until it answers
#                           and print the environment to use it
#   engine.sh stop [DIR]    stop that dockerd (by its pid) and wait for it
#   engine.sh status [DIR]  exit 0 if it answers
#   engine.sh env [DIR]     print the environment lines only
#   engine.sh purge [DIR]   stop it and delete DIR (images, caches, everything)
#
# DIR defaults to $MBGEN_E2E_DIR or /var/tmp/mbgen-e2e. The data root
# (DIR/data) is kept between runs so stand-in images are reused.
#
# The daemon runs without a bridge network and without iptables: every build
# and container must use `--network host`.
#
# Source-able output of `start`/`env`:
#   eval "$(tests/e2e/engine.sh env)"
set -euo pipefail

DOCKER_CLI=/usr/bin/docker            # Debian's docker.io client (20.10)
START_TIMEOUT=${MBGEN_E2E_START_TIMEOUT:-60}
STOP_TIMEOUT=${MBGEN_E2E_STOP_TIMEOUT:-30}

log() { printf 'engine: %s\n' "$*" >&2; }
die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

resolve_dir() {
    local d=${1:-${MBGEN_E2E_DIR:-/var/tmp/mbgen-e2e}}
    mkdir -p "$d"
    d=$(cd "$d" && pwd -P)
    # unix socket paths are limited to 108 bytes (sun_path); containerd puts
    # its sockets two levels below the exec root.
    local longest="$d/exec/containerd/containerd.sock.ttrpc"
    if [ "${#longest}" -ge 100 ]; then
        die "DIR too long for unix sockets ($d); choose a shorter MBGEN_E2E_DIR"
    fi
    printf '%s\n' "$d"
}

ensure_packages() {
    local missing=()
    [ -x /usr/sbin/dockerd ] && [ -x "$DOCKER_CLI" ] || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
    # the package may have started a system daemon (on machines with systemd);
    # it is not used, our dockerd is private.
}

daemon_pid() {
    local dir=$1 pid
    [ -s "$dir/dockerd.pid" ] || return 1
    pid=$(cat "$dir/dockerd.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # make sure the pid really is our dockerd (pid files can go stale)
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--data-root $dir/data" || return 1
    printf '%s\n' "$pid"
}

answers() {
    local dir=$1
    DOCKER_HOST="unix://$dir/docker.sock" timeout 10 "$DOCKER_CLI" info >/dev/null 2>&1
}

print_env() {
    local dir=$1
    printf 'export DOCKER_HOST=unix://%s/docker.sock\n' "$dir"
    printf 'export DOCKER_BUILDKIT=1\n'
    printf 'export MBGEN_E2E_DIR=%s\n' "$dir"
    printf 'export MBGEN_E2E_DOCKER=%s\n' "$DOCKER_CLI"
}

cmd_start() {
    local dir pid i
    ensure_packages
    dir=$(resolve_dir "${1:-}")
    if pid=$(daemon_pid "$dir"); then
        if answers "$dir"; then
            log "dockerd already running (pid $pid)"
            print_env "$dir"
            return 0
        fi
        die "dockerd pid $pid exists but does not answer; run: $0 stop $dir"
    fi
    mkdir -p "$dir/data" "$dir/exec"
    rm -f "$dir/docker.sock" "$dir/dockerd.pid"
    # an empty config file so a host /etc/docker/daemon.json is not read
    [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
    log "starting dockerd (data root $dir/data, log $dir/dockerd.log)"
    # setsid: the daemon must outlive this script and not share its
    # process group; it is stopped with `engine.sh stop`.
    setsid /usr/sbin/dockerd \
        --config-file "$dir/daemon.json" \
        --data-root "$dir/data" \
        --exec-root "$dir/exec" \
        --host "unix://$dir/docker.sock" \
        --pidfile "$dir/dockerd.pid" \
        --containerd-namespace mbgen-e2e \
        --containerd-plugins-namespace mbgen-e2e-plugins \
        --bridge none \
        --iptables=false \
        --ip6tables=false \
        --ip-masq=false \
        --ip-forward=false \
        --userland-proxy=false \
        </dev/null >>"$dir/dockerd.log" 2>&1 &
    local launched=$!
    for ((i = 0; i < START_TIMEOUT; i++)); do
        if ! kill -0 "$launched" 2>/dev/null; then
            tail -n 30 "$dir/dockerd.log" >&2 || true
            die "dockerd exited during start-up"
        fi
        if answers "$dir"; then
            log "dockerd ready after ${i}s (pid $launched)"
            print_env "$dir"
            return 0
        fi
        sleep 1
    done
    tail -n 30 "$dir/dockerd.log" >&2 || true
    kill -TERM "$launched" 2>/dev/null || true
    die "dockerd did not answer within ${START_TIMEOUT}s"
}

# mounts the daemon leaves behind under DIR (it keeps the host network
# namespace bound at exec/netns/default); deepest first
unmount_leftovers() {
    local dir=$1 m
    for m in $(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
    done
}

cmd_stop() {
    local dir pid i
    dir=$(resolve_dir "${1:-}")
    if ! pid=$(daemon_pid "$dir"); then
        log "no dockerd running for $dir"
        unmount_leftovers "$dir"
        return 0
    fi
    log "stopping dockerd pid $pid"
    kill -TERM "$pid"
    for ((i = 0; i < STOP_TIMEOUT * 2; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            unmount_leftovers "$dir"
            log "stopped"
            return 0
        fi
        sleep 0.5
    done
    log "dockerd pid $pid still alive after ${STOP_TIMEOUT}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            unmount_leftovers "$dir"
            return 0
        fi
        sleep 0.5
    done
    die "dockerd pid $pid did not exit"
}

cmd_purge() {
    local dir
    dir=$(resolve_dir "${1:-}")
    cmd_stop "$dir"
    if awk -v d="$dir/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        die "mounts remain under $dir; not deleting it"
    fi
    rm -rf "$dir"
    log "deleted $dir"
}

cmd_status() {
    local dir pid
    dir=$(resolve_dir "${1:-}")
    pid=$(daemon_pid "$dir") || { log "not running"; return 1; }
    answers "$dir" || { log "pid $pid does not answer"; return 1; }
    log "running (pid $pid)"
}

cmd_env() {
    print_env "$(resolve_dir "${1:-}")"
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    env) shift; cmd_env "$@" ;;
    purge) shift; cmd_purge "$@" ;;
    *) usage ;;
esac
