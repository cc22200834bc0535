#!/usr/bin/env bash
# Side by side on one machine at one moment: the Swift chapter models (swift run -c release Benchmarks) and
# the same models in PyTorch (scripts/torch_ref.py), with the ratios. Needs a Python with torch and diffusers:
#
#   python3 -m venv .venv-torch && .venv-torch/bin/pip install torch diffusers numpy
#   scripts/compare-torch.sh [.venv-torch/bin/python] [steps=5]
#
# Without torch it prints the Swift numbers only.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv-torch/bin/python}
steps=${2:-5}

swift build -c release --product Benchmarks >/dev/null
swift_json=$(mktemp)
"$(swift build -c release --show-bin-path)/Benchmarks" --models basic,unet2d,ddpm,conditional --steps "$steps" --json > "$swift_json"

torch_out=$(mktemp)
if "$python" -c "import torch, diffusers" 2>/dev/null; then
    "$python" scripts/torch_ref.py --stage basic,unet2d,ddpm_cpu,conditional_cpu --steps "$steps" > "$torch_out"
else
    echo "(no torch/diffusers at $python: Swift numbers only)"
fi

# The project needs no Python; this comparison borrows the one torch runs in to print the table.
py=$("$python" -c "import sys; print(sys.executable)" 2>/dev/null || command -v python3)
"$py" - "$swift_json" "$torch_out" <<'PY'
import json, re, sys
swift = {m["name"]: m["value"] for m in json.load(open(sys.argv[1]))}
torch = {}
for line in open(sys.argv[2]):
    m = re.match(r"(\S+)\s+params=\s*(\d+)\s+train\s+([\d.]+) img/s.*forward\s+([\d.]+) img/s", line)
    if m: torch[m.group(1)] = (float(m.group(3)), float(m.group(4)))
pairs = [("basic", "basic"), ("unet2d", "unet2d"), ("ddpm", "ddpm_cpu"), ("conditional", "conditional_cpu")]
print(f"{'model':12} {'swift train':>12} {'torch train':>12} {'ratio':>6}   {'swift sample':>12} {'torch sample':>12} {'ratio':>6}")
for ours, theirs in pairs:
    st, ss = swift.get(f"{ours}.train"), swift.get(f"{ours}.sample")
    tt, ts = torch.get(theirs, (None, None))
    r1 = f"{st / tt:6.2f}" if st and tt else "     -"
    r2 = f"{ss / ts:6.2f}" if ss and ts else "     -"
    f = lambda v: f"{v:12.1f}" if v else f"{'-':>12}"
    print(f"{ours:12} {f(st)} {f(tt)} {r1}   {f(ss)} {f(ts)} {r2}")
print(f"peak memory (Swift, all four models in one process): {swift.get('peak_memory', float('nan')):.0f} MB")
PY
rm -f "$swift_json" "$torch_out"
