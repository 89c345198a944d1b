#!/usr/bin/env bash
# Checks that the private engine and the stand-in images can do what the
# end-to-end tests of generated Dockerfiles need:
#   - FROM a local stand-in resolves without a pull (debian, distroless)
#   - RUN steps reach npm, PyPI and crates.io (`--network host`)
#   - RUN --mount=type=cache / type=bind,from=STAGE / type=secret work
#   - a container (`--network host`) serves HTTP on 127.0.0.1
#   - the stand-ins behave like the official images where it matters
#     (nginx, python venv and site-packages, Go static binary on distroless
#     static, Rust binary on distroless cc, node entrypoint)
#
#   selftest.sh            run every check (builds the stand-ins first)
#   selftest.sh NAME...    run only the named checks (see --list)
#
# Uses the engine at DOCKER_HOST if it answers, otherwise the private engine
# of engine.sh (started here and stopped at the end if it was not running).
# Ends with an 'N passed, N failed' line; exit status 1 if any check failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=1
E2E_DIR=${MBGEN_E2E_DIR:-/var/tmp/mbgen-e2e}
mkdir -p "$E2E_DIR"
E2E_DIR=$(cd "$E2E_DIR" && pwd -P)
export MBGEN_E2E_DIR=$E2E_DIR
WORK="$E2E_DIR/selftest"
HTTP_PORT=${MBGEN_E2E_HTTP_PORT:-18080}
NGINX_PORT=${MBGEN_E2E_NGINX_PORT:-18081}
TAG_PREFIX=mbgen-e2e-selftest

CHECKS=(local_from network_npm network_pip network_cargo mounts http_serve
    nginx python_layout node_entrypoint go_static rust_cc)

log() { printf '[selftest] %s\n' "$*" >&2; }

STARTED_ENGINE=0
remove_containers() {
    "$DOCKER" ps -aq --filter "name=^$TAG_PREFIX-" 2>/dev/null |
        xargs -r "$DOCKER" rm -f >/dev/null 2>&1 || true
}
cleanup() {
    local rc=$?
    remove_containers
    "$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' 2>/dev/null |
        grep "^$TAG_PREFIX" | xargs -r "$DOCKER" rmi -f >/dev/null 2>&1 || true
    if [ "$STARTED_ENGINE" = 1 ]; then
        "$HERE/engine.sh" stop "$E2E_DIR" || rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT

ensure_engine() {
    if [ -x "$DOCKER" ] && [ -n "${DOCKER_HOST:-}" ] &&
        timeout 10 "$DOCKER" info >/dev/null 2>&1; then
        return 0
    fi
    if [ -x "$DOCKER" ] && "$HERE/engine.sh" status "$E2E_DIR" 2>/dev/null; then
        eval "$("$HERE/engine.sh" env "$E2E_DIR")"
        return 0
    fi
    local out
    out=$("$HERE/engine.sh" start "$E2E_DIR")
    STARTED_ENGINE=1
    eval "$out"
}

# fresh build context for a check: ctx NAME -> path
ctx() {
    rm -rf "${WORK:?}/$1"
    mkdir -p "$WORK/$1"
    printf '%s\n' "$WORK/$1"
}

# build CONTEXT TAG [docker build options...]; the log goes to CONTEXT/build.log
build() {
    local dir=$1 tag=$2
    shift 2
    timeout 900 "$DOCKER" build --network host --progress plain "$@" \
        -t "$TAG_PREFIX-$tag" "$dir" >"$dir/build.log" 2>&1
}

show_log() {
    sed -e 's/^/    | /' "$1" | tail -n "${2:-25}" >&2
}

# wait_http URL TRIES: poll with a 1 s pause, at most TRIES times
wait_http() {
    local url=$1 tries=$2 i
    for ((i = 0; i < tries; i++)); do
        if curl -fsS -m 3 -o /dev/null "$url" 2>/dev/null; then
            return 0
        fi
        sleep 1
    done
    return 1
}

# ---------------------------------------------------------------- checks

check_local_from() {
    local d
    d=$(ctx local_from)
    printf 'FROM debian:trixie-slim\nRUN cat /etc/debian_version\n' >"$d/Dockerfile"
    build "$d" local-debian || { show_log "$d/build.log"; return 1; }
    # a pull attempt would fail here: no registry is reachable
    if grep -qiE 'resolve image config|pulling|docker.io/library/debian:trixie-slim@sha256' "$d/build.log"; then
        log "the build looked the image up in a registry:"
        show_log "$d/build.log"
        return 1
    fi
    d=$(ctx local_from_distroless)
    echo hello >"$d/hello.txt"
    printf 'FROM gcr.io/distroless/static-debian13:nonroot\nCOPY hello.txt /hello.txt\n' >"$d/Dockerfile"
    build "$d" local-distroless || { show_log "$d/build.log"; return 1; }
    # and asking for a pull must fail (proves that nothing is reachable, so
    # the builds above used the local images)
    d=$(ctx local_from_pull)
    printf 'FROM debian:trixie-slim\n' >"$d/Dockerfile"
    if build "$d" local-pull --pull; then
        log "note: --pull succeeded, a registry is reachable"
    else
        log "as expected, --pull fails: $(grep -m1 -iE 'error|failed' "$d/build.log" || true)"
    fi
}

check_network_npm() {
    local d
    d=$(ctx network_npm)
    cat >"$d/Dockerfile" <<'EOF'
FROM node:22-trixie-slim
WORKDIR /app
RUN npm init -y >/dev/null && npm install --no-audit --no-fund is-number@7 && \
    node -e 'console.log("is-number:", require("is-number")(5))'
EOF
    build "$d" npm || { show_log "$d/build.log"; return 1; }
    grep -q 'is-number: true' "$d/build.log"
}

check_network_pip() {
    local d
    d=$(ctx network_pip)
    cat >"$d/Dockerfile" <<'EOF'
FROM python:3.13-slim-trixie
RUN pip download --no-deps --dest /tmp/dl six && ls /tmp/dl && \
    pip install --no-cache-dir six && python -c 'import six; print("six", six.__version__)'
EOF
    build "$d" pip || { show_log "$d/build.log"; return 1; }
    grep -q 'six [0-9]' "$d/build.log"
}

check_network_cargo() {
    local d
    d=$(ctx network_cargo)
    mkdir -p "$d/src"
    cat >"$d/Cargo.toml" <<'EOF'
[package]
name = "tiny"
version = "0.1.0"
edition = "2021"

[dependencies]
itoa = "1"
EOF
    cat >"$d/src/main.rs" <<'EOF'
fn main() {
    let mut buf = itoa::Buffer::new();
    println!("itoa says {}", buf.format(42));
}
EOF
    cat >"$d/Dockerfile" <<'EOF'
FROM rust:1.91-slim-trixie
WORKDIR /src
COPY Cargo.toml ./
COPY src ./src
RUN cargo fetch && cargo build --release --offline && ./target/release/tiny
EOF
    build "$d" cargo || { show_log "$d/build.log"; return 1; }
    grep -q 'itoa says 42' "$d/build.log"
}

check_mounts() {
    local d
    d=$(ctx mounts)
    printf 's3cr3t-value' >"$d/token.txt"
    cat >"$d/Dockerfile" <<'EOF'
FROM debian:trixie-slim AS gen
RUN mkdir -p /out && echo "from-stage" > /out/data.txt

FROM debian:trixie-slim
ARG RUN_ID=0
RUN --mount=type=cache,target=/cache,id=mbgen-selftest \
    echo "run $RUN_ID" >> /cache/runs && echo "cache lines: $(wc -l < /cache/runs)"
RUN --mount=type=bind,from=gen,source=/out,target=/mnt/gen \
    cat /mnt/gen/data.txt && test ! -e /out
RUN --mount=type=secret,id=token \
    test "$(cat /run/secrets/token)" = "s3cr3t-value" && echo "secret ok"
RUN test ! -e /run/secrets/token || test ! -s /run/secrets/token
EOF
    build "$d" mounts --build-arg RUN_ID=1 --secret id=token,src="$d/token.txt" ||
        { show_log "$d/build.log"; return 1; }
    build "$d" mounts --build-arg RUN_ID=2 --secret id=token,src="$d/token.txt" ||
        { show_log "$d/build.log"; return 1; }
    grep -q 'from-stage' "$d/build.log" || { show_log "$d/build.log"; return 1; }
    grep -q 'secret ok' "$d/build.log" || { show_log "$d/build.log"; return 1; }
    # the second build saw the first build's line in the cache mount
    grep -qE 'cache lines: ([2-9]|[1-9][0-9]+)' "$d/build.log" || { show_log "$d/build.log"; return 1; }
    # the secret is not in the image
    if "$DOCKER" run --rm --network host "$TAG_PREFIX-mounts" \
        sh -c 'grep -rqs s3cr3t-value /run /etc /root /tmp'; then
        log "secret found in the image"
        return 1
    fi
}

check_http_serve() {
    local name="$TAG_PREFIX-http-$$"
    # --init: python as pid 1 would ignore SIGTERM (docker-init is tini)
    "$DOCKER" run -d --init --name "$name" --network host python:3.13-slim-trixie \
        python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory /etc >/dev/null
    if ! wait_http "http://127.0.0.1:$HTTP_PORT/os-release" 30; then
        "$DOCKER" logs "$name" >&2 || true
        return 1
    fi
    curl -fsS -m 5 "http://127.0.0.1:$HTTP_PORT/os-release" | grep -q trixie
    "$DOCKER" stop -t 5 "$name" >/dev/null
    "$DOCKER" rm "$name" >/dev/null
    # stopped: the port is closed again
    ! curl -fsS -m 3 -o /dev/null "http://127.0.0.1:$HTTP_PORT/" 2>/dev/null
}

check_nginx() {
    local d name="$TAG_PREFIX-nginx-$$"
    d=$(ctx nginx)
    echo '<p>served by the stand-in</p>' >"$d/index.html"
    # the official image's default site, moved to a free port; run as the
    # unprivileged nginx user (pid file in /tmp) like non-root variants do
    cat >"$d/Dockerfile" <<EOF
FROM nginx:1.29-trixie
COPY index.html /usr/share/nginx/html/index.html
RUN sed -i 's/listen       80;/listen       $NGINX_PORT;/' /etc/nginx/conf.d/default.conf && \\
    sed -i -e '/^user /d' -e 's,^pid .*,pid /tmp/nginx.pid;,' /etc/nginx/nginx.conf && \\
    chown -R nginx:nginx /var/cache/nginx /etc/nginx/conf.d && nginx -t && rm -f /tmp/nginx.pid
USER nginx
EOF
    build "$d" nginx || { show_log "$d/build.log"; return 1; }
    "$DOCKER" run -d --name "$name" --network host "$TAG_PREFIX-nginx" >/dev/null
    if ! wait_http "http://127.0.0.1:$NGINX_PORT/" 30; then
        "$DOCKER" logs "$name" >&2 || true
        return 1
    fi
    curl -fsS -m 5 "http://127.0.0.1:$NGINX_PORT/" | grep -q 'served by the stand-in'
    curl -fsS -m 5 -o /dev/null -X POST --data 'x=1' "http://127.0.0.1:$NGINX_PORT/" 2>/dev/null || true
    # the access log goes to the container's stdout (it may lag a little)
    local i
    for ((i = 0; i < 10; i++)); do
        "$DOCKER" logs "$name" 2>/dev/null | grep -q '"GET / HTTP/1.1" 200' && break
        sleep 0.5
    done
    [ "$i" -lt 10 ] || { log "no access log line on stdout"; "$DOCKER" logs "$name" >&2; return 1; }
    # STOPSIGNAL SIGQUIT: graceful stop within the timeout
    "$DOCKER" stop -t 10 "$name" >/dev/null
    "$DOCKER" rm "$name" >/dev/null
}

check_python_layout() {
    local d
    d=$(ctx python_layout)
    cat >"$d/Dockerfile" <<'EOF'
FROM python:3.13-slim-trixie AS venv
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir six

FROM python:3.13-slim-trixie AS prefix
RUN pip install --no-cache-dir --prefix=/install six && find /install -name 'six.py'

FROM python:3.13-slim-trixie AS sitepkg
RUN pip install --no-cache-dir six

FROM python:3.13-slim-trixie
COPY --from=venv /opt/venv /opt/venv
RUN /opt/venv/bin/python -c 'import six; print("venv ok")'
COPY --from=prefix /install /usr/local
RUN python -c 'import six; print("prefix ok", six.__file__)'
RUN pip uninstall -y six >/dev/null 2>&1 || true; rm -rf /usr/local/lib/python3.13/site-packages/six*
COPY --from=sitepkg /usr/local/lib/python3.13/site-packages /usr/local/lib/python3.13/site-packages
RUN python -c 'import six; print("site-packages ok", six.__file__)'
RUN groupadd --system app && useradd --system --gid app --no-create-home app && id app
EOF
    build "$d" python || { show_log "$d/build.log"; return 1; }
    grep -q 'venv ok' "$d/build.log" && grep -q 'prefix ok' "$d/build.log" &&
        grep -q 'site-packages ok' "$d/build.log"
}

check_node_entrypoint() {
    local out
    out=$("$DOCKER" run --rm --network host node:22-trixie-slim -e 'console.log("node", process.version)')
    case "$out" in node\ v*) ;; *) log "unexpected: $out"; return 1 ;; esac
    "$DOCKER" run --rm --network host --user node node:22-trixie-slim sh -c 'test "$HOME" = /home/node && id -u' | grep -qx 1000
}

check_go_static() {
    local d
    d=$(ctx go_static)
    cat >"$d/go.mod" <<'EOF'
module example.com/hello

go 1.24
EOF
    cat >"$d/main.go" <<'EOF'
package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"time"
)

func main() {
	_, err := time.LoadLocation("Europe/Berlin")
	fmt.Println("go ok, tz:", err == nil, "uid:", os.Getuid(), "tls:", tls.VersionName(tls.VersionTLS13))
}
EOF
    cat >"$d/Dockerfile" <<'EOF'
FROM golang:1.24-trixie AS build
WORKDIR /src
COPY go.mod ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/hello .

FROM gcr.io/distroless/static-debian13:nonroot
COPY --from=build /out/hello /hello
ENTRYPOINT ["/hello"]
EOF
    build "$d" go || { show_log "$d/build.log"; return 1; }
    local out
    out=$("$DOCKER" run --rm --network host "$TAG_PREFIX-go")
    log "go: $out"
    [ "$out" = "go ok, tz: true uid: 65532 tls: TLS 1.3" ]
}

check_rust_cc() {
    local d
    d=$(ctx rust_cc)
    mkdir -p "$d/src"
    cat >"$d/Cargo.toml" <<'EOF'
[package]
name = "hello"
version = "0.1.0"
edition = "2021"

[dependencies]
EOF
    cat >"$d/src/main.rs" <<'EOF'
fn main() {
    let v: Vec<String> = std::env::args().collect();
    println!("rust ok, args: {}, home: {:?}", v.len(), std::env::var("HOME").ok());
}
EOF
    cat >"$d/Dockerfile" <<'EOF'
FROM rust:1.91-slim-trixie AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release && cp target/release/hello /hello

FROM gcr.io/distroless/cc-debian13:nonroot
COPY --from=build /hello /usr/local/bin/hello
ENTRYPOINT ["/usr/local/bin/hello"]
EOF
    build "$d" rust || { show_log "$d/build.log"; return 1; }
    local out
    out=$("$DOCKER" run --rm --network host "$TAG_PREFIX-rust")
    log "rust: $out"
    case "$out" in "rust ok, args: 1, home: "*) ;; *) return 1 ;; esac
}

# ---------------------------------------------------------------- main

main() {
    local selected=() c
    if [ "${1:-}" = "--list" ]; then
        printf '%s\n' "${CHECKS[@]}"
        exit 0
    fi
    if [ $# -gt 0 ]; then selected=("$@"); else selected=("${CHECKS[@]}"); fi
    command -v curl >/dev/null 2>&1 || {
        apt-get update -q </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q curl </dev/null
    }
    ensure_engine
    "$HERE/images.sh"
    mkdir -p "$WORK"

    local passed=0 failed=0 failures=() t0
    for c in "${selected[@]}"; do
        declare -F "check_$c" >/dev/null || { log "unknown check: $c"; exit 2; }
        t0=$SECONDS
        # a subshell outside any condition, so that `set -e` holds in it
        set +e
        (set -e; "check_$c")
        local rc=$?
        set -e
        remove_containers
        if [ "$rc" = 0 ]; then
            log "PASS $c ($((SECONDS - t0))s)"
            passed=$((passed + 1))
        else
            log "FAIL $c ($((SECONDS - t0))s)"
            failed=$((failed + 1))
            failures+=("$c")
        fi
    done
    [ "$failed" = 0 ] || log "failed: ${failures[*]}"
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
}

main "$@"
