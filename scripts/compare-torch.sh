#!/usr/bin/env bash
# Side by side on one machine in one run: the Swift chapter models (swift run -c release Benchmarks) and the
# same models in PyTorch (scripts/torch_ref.py), with the ratios. Needs a Python with torch and diffusers:
#
#   python3 -m venv .venv-torch && .venv-torch/bin/pip install torch diffusers numpy
#   scripts/compare-torch.sh [.venv-torch/bin/python] [steps=5] [rounds=3]
#
# A shared or virtual machine can swing by 20-30% from one minute to the next, on both sides alike. So the
# two sides alternate, model by model and round by round (Swift basic, torch basic, Swift unet2d, ...), and
# the table gives, per model, the median over the rounds of each adjacent pair's ratio, with the lowest and
# highest pair beside it. Without torch it prints the Swift numbers only.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv-torch/bin/python}
steps=${2:-5}
rounds=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product Benchmarks >/dev/null
bin="$(swift build -c release --show-bin-path)/Benchmarks"
have_torch=0
if "$python" -c "import torch, diffusers" 2>/dev/null; then have_torch=1; else echo "(no torch/diffusers at $python: Swift numbers only)"; fi

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $("$bin" --models none --kernels --only none 2>/dev/null | grep -E 'gemm blocking|conv paths' | tr '\n' ' ' || true)"
for r in $(seq 1 "$rounds"); do
    for pair in basic:basic unet2d:unet2d ddpm:ddpm_cpu conditional:conditional_cpu; do
        ours=${pair%%:*} theirs=${pair##*:}
        "$bin" --models "$ours" --steps "$steps" --json > "$work/swift-$r-$ours.json"
        if [ "$have_torch" = 1 ]; then
            "$python" scripts/torch_ref.py --stage "$theirs" --steps "$steps" > "$work/torch-$r-$ours.txt"
        fi
        echo "  round $r/$rounds: $ours" >&2
    done
done
"$bin" --models basic,unet2d,ddpm,conditional --steps 1 --json > "$work/memory.json"   # peak memory, all four in one process

# The project needs no Python; this comparison borrows the one torch runs in to print the table.
py=$("$python" -c "import sys; print(sys.executable)" 2>/dev/null || command -v python3)
"$py" - "$work" "$rounds" <<'PY'
import json, os, re, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
models = ["basic", "unet2d", "ddpm", "conditional"]
def swift(r, m):
    p = f"{work}/swift-{r}-{m}.json"
    return {x["name"]: x["value"] for x in json.load(open(p))} if os.path.exists(p) else {}
def torch(r, m):
    p = f"{work}/torch-{r}-{m}.txt"
    if not os.path.exists(p): return None
    for line in open(p):
        g = re.match(r"(\S+)\s+params=\s*(\d+)\s+train\s+([\d.]+) img/s.*forward\s+([\d.]+) img/s", line)
        if g: return float(g.group(3)), float(g.group(4))
    return None
print(f"{rounds} rounds; img/s are medians over the rounds; ratio = median of the rounds' Swift/PyTorch (lowest-highest)")
print(f"{'model':12} {'swift train':>11} {'torch train':>11} {'ratio':>18}   {'swift sample':>12} {'torch sample':>12} {'ratio':>18}")
def cell(ratios):
    return f"{statistics.median(ratios):5.2f} ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else f"{'-':>18}"
for m in models:
    st = [swift(r, m).get(f"{m}.train") for r in range(1, rounds + 1)]
    ss = [swift(r, m).get(f"{m}.sample") for r in range(1, rounds + 1)]
    tt = [torch(r, m) for r in range(1, rounds + 1)]
    rt = [a / b[0] for a, b in zip(st, tt) if a and b]
    rs = [a / b[1] for a, b in zip(ss, tt) if a and b]
    med = lambda xs: f"{statistics.median(xs):11.1f}" if xs else f"{'-':>11}"
    print(f"{m:12} {med([x for x in st if x])} {med([b[0] for b in tt if b])} {cell(rt):>18}   "
          f"{med([x for x in ss if x]):>12} {med([b[1] for b in tt if b]):>12} {cell(rs):>18}")
memory = {x["name"]: x["value"] for x in json.load(open(f"{work}/memory.json"))}
print(f"peak memory (Swift, all four models in one process): {memory.get('peak_memory', float('nan')):.0f} MB")
PY
