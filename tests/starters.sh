#!/usr/bin/env bash
# Runs every `mbgen new` starter on this machine, with the toolchains installed here, and
# expects HTTP 200 at / and /healthz on 127.0.0.1 (a free port). A stack whose toolchain is
# missing is skipped, and said so. Each server gets 20 seconds; python installs its pinned
# requirements from the package index into a venv. The image builds are the e2e suite's.
#
#   tests/starters.sh [STACK...]      (default: every stack)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mbgen=${MBGEN:-$root/target/debug/mbgen}
if [ -z "${MBGEN:-}" ]; then
    cargo build --quiet --manifest-path "$root/Cargo.toml" || exit 1
fi
stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(go node-server node-static python rust static)

work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then kill -9 "$server" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT

failed=0
passed=0
skipped=0
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve STACK DIR COMMAND...: runs COMMAND in DIR with HOST and PORT set, checks / and
# /healthz, then stops it with SIGTERM and expects it to exit within 5 seconds.
serve() {
    local stack=$1 dir=$2
    shift 2
    local port log code path ok=1
    port=$(free_port)
    log="$work/$stack.log"
    (cd "$dir" && HOST=127.0.0.1 PORT=$port exec timeout 20 "$@") >"$log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    for path in / /healthz; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port$path")
        if [ "$code" != 200 ]; then
            fail "$stack" "GET $path answered $code"
            ok=0
        fi
    done
    kill -TERM "$server" 2>/dev/null
    for _ in $(seq 1 50); do
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server" 2>/dev/null; then
        fail "$stack" "still running 5 s after SIGTERM"
        kill -9 "$server" 2>/dev/null
        ok=0
    fi
    wait "$server" 2>/dev/null
    server=""
    if [ $ok = 1 ]; then
        echo "ok   $stack: 200 at / and /healthz on port $port, stopped by SIGTERM"
        passed=$((passed + 1))
    else
        sed 's/^/     | /' "$log"
    fi
}

skip() { echo "skip $1: $2"; skipped=$((skipped + 1)); }

project="$work/project"
mkdir -p "$project"
for stack in "${stacks[@]}"; do
    name="$stack-app"
    dir="$project/services/$name"
    if ! "$mbgen" new "$name" --stack "$stack" --project "$project" >"$work/new.log" 2>&1; then
        fail "$stack" "mbgen new failed"
        cat "$work/new.log"
        continue
    fi
    case $stack in
        go)
            command -v go >/dev/null || { skip go "no go here"; continue; }
            (cd "$dir" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go build -o "$work/$name" .) \
                >"$work/build.log" 2>&1 || { fail go "go build failed"; cat "$work/build.log"; continue; }
            serve go "$dir" "$work/$name"
            ;;
        node-server)
            command -v npm >/dev/null || { skip node-server "no npm here"; continue; }
            (cd "$dir" && npm ci --omit=dev --no-audit --no-fund) >"$work/build.log" 2>&1 \
                || { fail node-server "npm ci failed"; cat "$work/build.log"; continue; }
            serve node-server "$dir" node server.js
            ;;
        node-static)
            command -v npm >/dev/null || { skip node-static "no npm here"; continue; }
            (cd "$dir" && npm ci --no-audit --no-fund && npm run build) >"$work/build.log" 2>&1 \
                || { fail node-static "npm ci or npm run build failed"; cat "$work/build.log"; continue; }
            # nginx serves dist/ in the image; any static server shows the build is complete.
            serve node-static "$dir/dist" sh -c 'exec python3 -m http.server --bind "$HOST" "$PORT"'
            ;;
        python)
            command -v python3 >/dev/null || { skip python "no python3 here"; continue; }
            (python3 -m venv "$work/venv" && "$work/venv/bin/pip" install --quiet -r "$dir/requirements.txt") \
                >"$work/build.log" 2>&1 || { fail python "pip install failed"; cat "$work/build.log"; continue; }
            serve python "$dir" "$work/venv/bin/gunicorn" app:app
            ;;
        rust)
            command -v cargo >/dev/null || { skip rust "no cargo here"; continue; }
            (cd "$dir" && cargo build --quiet --locked --offline --target-dir "$work/target") \
                >"$work/build.log" 2>&1 || { fail rust "cargo build --locked failed"; cat "$work/build.log"; continue; }
            serve rust "$dir" "$work/target/debug/$name"
            ;;
        static)
            serve static "$dir" sh -c 'exec python3 -m http.server --bind "$HOST" "$PORT"'
            ;;
        *)
            fail "$stack" "unknown stack"
            ;;
    esac
done
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
