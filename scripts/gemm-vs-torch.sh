#!/usr/bin/env bash
# The GEMM rows of `Benchmarks --kernels` beside torch.mm on the same shapes, in one run on one machine, as a
# percentage of PyTorch (MKL or OpenBLAS, whatever the wheel ships). Needs a Python with torch:
#
#   python3 -m venv .venv-torch && .venv-torch/bin/pip install torch
#   scripts/gemm-vs-torch.sh [.venv-torch/bin/python]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv-torch/bin/python}

swift build -c release --product Benchmarks >/dev/null
bin="$(swift build -c release --show-bin-path)/Benchmarks"
"$bin" --models none --kernels --only gemm | head -1   # the blocking in use and the caches
swift_json=$(mktemp)
trap 'rm -f "$swift_json"' EXIT
"$bin" --models none --kernels --only gemm --json > "$swift_json"

"$python" - "$swift_json" <<'PY'
import json, re, sys, time
import torch
torch.set_num_threads(2)
rows = [r for r in json.load(open(sys.argv[1])) if r["name"].startswith("gemm ")]
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
print(f"{'shape (M x K x N)':52} {'Swift':>9} {'torch.mm':>9} {'Swift/torch':>12}")
for r in rows:
    m = re.search(r"(\d+)x(\d+)x(\d+)$", r["name"])
    M, K, N = map(int, m.groups())
    ta, tb = "A^T" in r["name"], "B^T" in r["name"]
    a = torch.randn(K, M).t() if ta else torch.randn(M, K)   # a transposed view, as the Swift row reads A
    b = torch.randn(N, K).t() if tb else torch.randn(K, N)
    threads = 1 if "1 thread" in r["name"] else 2
    torch.set_num_threads(threads)
    flops = 2.0 * M * N * K
    reps = max(3, int(2e9 / flops))
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(reps): torch.mm(a, b)
        best = min(best, (time.perf_counter() - t) / reps)
    torch.set_num_threads(2)
    g = flops / best * 1e-9
    print(f"{r['name']:52} {r['value']:9.1f} {g:9.1f} {100 * r['value'] / g:11.0f}%")
PY
