#!/usr/bin/env bash
# Prints how long mbgen takes, whole process, as a user runs it. Figures, not a test.
#   tests/bench.sh [RUNS]     (default 200 runs per case)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200}"
cargo build --release --quiet
bin="$PWD/target/release/mbgen"
python3 - "$bin" "$runs" <<'PY'
import statistics, subprocess, sys, time

binary, runs = sys.argv[1], int(sys.argv[2])
cases = [
    ("render --stdout, one service (examples/node-server)", [binary, "render", "examples/node-server", "--stdout"]),
    ("render --check, one service (examples/python)", [binary, "render", "examples/python", "--check", "--quiet"]),
]
print(f"{'case':58} {'median':>9} {'p90':>9} {'min':>9}")
for name, argv in cases:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p90 = samples[int(len(samples) * 0.9) - 1]
    print(f"{name:58} {statistics.median(samples):7.2f}ms {p90:7.2f}ms {samples[0]:7.2f}ms")
print(f"({runs} runs each; target for one service: <= 5 ms median)")
PY
