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

# init on a large repository: a Vite app whose sources and assets make 100,000 files.
import json, os, tempfile
with tempfile.TemporaryDirectory() as tree:
    with open(os.path.join(tree, "package.json"), "w") as f:
        json.dump({"name": "big", "scripts": {"build": "vite build"}, "devDependencies": {"vite": "7.3.8"}}, f)
    open(os.path.join(tree, "package-lock.json"), "w").write("{}\n")
    open(os.path.join(tree, "index.html"), "w").write("<!doctype html>\n")
    count = 3
    for d in range(1000):
        folder = os.path.join(tree, "src", f"module{d:04}")
        os.makedirs(folder)
        for i in range(100 if d < 999 else 97):
            open(os.path.join(folder, f"part{i:03}.js"), "w").close()
            count += 1
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([binary, "init", tree, "--stdout"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    print(f"{'init --stdout on a tree of ' + format(count, ',') + ' files':58} {statistics.median(samples):7.2f}ms {max(samples):7.2f}ms {min(samples):7.2f}ms")
    print("(5 runs; target: < 1 s)")

# A monorepo of 200 services: an npm workspace of 120 Node services built from the root, each
# using one of 10 shared packages, and 80 Go services; render writes 400 files plus the Bake
# and Compose files.
with tempfile.TemporaryDirectory() as tree:
    toml = ['[workspace]', 'registry = "registry.example.com/acme"', 'versions = { node = "22" }', '']
    json.dump({"name": "mono", "private": True, "workspaces": ["packages/*", "services/*"]},
              open(os.path.join(tree, "package.json"), "w"))
    open(os.path.join(tree, "package-lock.json"), "w").write("{}\n")
    for i in range(10):
        os.makedirs(os.path.join(tree, "packages", f"lib{i}"))
        json.dump({"name": f"@acme/lib{i}", "version": "1.0.0"},
                  open(os.path.join(tree, "packages", f"lib{i}", "package.json"), "w"))
    for i in range(200):
        name = f"svc{i:03}"
        folder = os.path.join(tree, "services", name)
        os.makedirs(folder)
        if i < 120:
            json.dump({"name": name, "dependencies": {f"@acme/lib{i % 10}": "1.0.0"}},
                      open(os.path.join(folder, "package.json"), "w"))
            toml += [f"[services.{name}]", 'stack = "node-server"', f'path = "services/{name}"',
                     'context = "."', 'start = ["node", "server.js"]', ""]
        else:
            open(os.path.join(folder, "go.mod"), "w").write(f"module example.com/{name}\n\ngo 1.24\n")
            toml += [f"[services.{name}]", 'stack = "go"', f'path = "services/{name}"', ""]
    open(os.path.join(tree, "mbgen.toml"), "w").write("\n".join(toml))
    for name, argv in [
        ("render, 200-service workspace (writes 400+ files)", [binary, "render", tree, "--quiet"]),
        ("render --check, 200-service workspace", [binary, "render", tree, "--check", "--quiet"]),
    ]:
        samples = []
        for _ in range(20):
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        print(f"{name:58} {statistics.median(samples):7.2f}ms {samples[-1]:7.2f}ms {samples[0]:7.2f}ms")
    print("(20 runs each, the first writes and the rest find the files up to date; target: < 100 ms)")
PY
