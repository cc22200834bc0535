#!/usr/bin/env bash
# The GEMM rows of `Benchmarks --kernels` beside torch.mm on the same shapes, in one run on one machine, as a
# percentage of PyTorch (MKL or OpenBLAS, whatever the wheel ships). Needs a Python with torch:
#
#   python3 -m venv .venv-torch && .venv-torch/bin/pip install torch
#   scripts/gemm-vs-torch.sh [.venv-torch/bin/python] [rounds=3]
#
# A shared virtual machine can lose most of a core for seconds at a time (seen on a 2-core EPYC: every row
# of one stretch at half speed). So, as in compare-torch.sh, the two sides alternate shape by shape and round
# by round (Swift row, torch row, next shape, ...), each side takes its best time over about a second, and
# the table gives per shape the median over the rounds of each adjacent pair's ratio, lowest-highest beside.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv-torch/bin/python}
rounds=${2:-3}

swift build -c release --product Benchmarks >/dev/null
bin="$(swift build -c release --show-bin-path)/Benchmarks"
"$bin" --models none --kernels --only gemm | head -1   # the blocking in use and the caches
names=$("$bin" --kernels --list)                     # the rows' names, from KernelBenchmarks.gemmShapes

"$python" - "$bin" "$rounds" "$names" <<'PY'
import json, re, statistics, subprocess, sys, time
import torch
binary, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3].splitlines()
print(f"torch {torch.__version__}, 2 threads (1 where the row says so); {rounds} rounds, alternating")

def torch_gflops(name):
    M, K, N = map(int, re.search(r"(\d+)x(\d+)x(\d+)$", name).groups())
    ta, tb = "A^T" in name, "B^T" in name
    a = torch.randn(K, M).t() if ta else torch.randn(M, K)   # a transposed view, as the Swift row reads A
    b = torch.randn(N, K).t() if tb else torch.randn(K, N)
    torch.set_num_threads(1 if "1 thread" in name else 2)
    flops = 2.0 * M * N * K
    reps = max(1, min(1000, int(4e8 / flops)))                # ~2 ms a run, best over ~1 s, like Benchmarks
    torch.mm(a, b)
    best, start, runs = float("inf"), time.perf_counter(), 0
    while runs < 50 and (runs < 5 or time.perf_counter() - start < 1.0):
        t = time.perf_counter()
        for _ in range(reps): torch.mm(a, b)
        best = min(best, (time.perf_counter() - t) / reps)
        runs += 1
    return flops / best * 1e-9

def swift_gflops(name):
    out = subprocess.run([binary, "--models", "none", "--kernels", "--only", name, "--json"],
                         check=True, capture_output=True, text=True).stdout
    return next(r["value"] for r in json.loads(out) if r["name"] == name)

results = {n: [] for n in names}
for r in range(rounds):
    for n in names:
        results[n].append((swift_gflops(n), torch_gflops(n)))
    print(f"  round {r + 1}/{rounds}", file=sys.stderr)

print(f"{'shape (M x K x N)':52} {'Swift':>9} {'torch.mm':>9} {'Swift/torch':>12}  (lowest-highest pair)")
for n in names:
    pairs = results[n]
    ratios = sorted(s / t for s, t in pairs)
    s = statistics.median(p[0] for p in pairs)
    t = statistics.median(p[1] for p in pairs)
    print(f"{n:52} {s:9.1f} {t:9.1f} {100 * statistics.median(ratios):11.0f}%  ({100 * ratios[0]:.0f}-{100 * ratios[-1]:.0f}%)")
PY
