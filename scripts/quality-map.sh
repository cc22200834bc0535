#!/usr/bin/env bash
# The quality-versus-steps map of Chapter 4 ("Choosing the defaults"): samples the shipped model with
# DPM-Solver++, DDIM and DDPM at several step counts and guidance scales, 1,000 digits each, and scores class
# accuracy and FID beside the real-vs-real floor. Resumable: settings already in OUT/map.json are skipped.
#
#   scripts/quality-map.sh [full|chapter] [out=runs/map] [checkpoint=Checkpoints/conditional.safetensors]
#
# full:    dpm-solver and ddim at 5, 10, 20, 50 steps, w in {0, 0.5, 1, 2, 3}, and ddpm (all T) at every w:
#          several hours on two cores (DDPM alone is about an hour per w).
# chapter: what the chapter's table shows: both solvers at 5, 10, 20 steps for w in {0.35, 2}, and 10 steps
#          for w in {0, 0.25, 0.35, 0.5, 1, 2}: about 25 minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-chapter}
out=${2:-runs/map}
checkpoint=${3:-Checkpoints/conditional.safetensors}
swift build -c release --product Conditional >/dev/null
bin="$(swift build -c release --show-bin-path)/Conditional"
case "$mode" in
full)
    "$bin" map --checkpoint "$checkpoint" --out "$out" --samplers dpm-solver,ddim,ddpm --steps 5,10,20,50 --guidance 0,0.5,1,2,3 ;;
chapter)
    "$bin" map --checkpoint "$checkpoint" --out "$out" --samplers dpm-solver,ddim --steps 10 --guidance 0,0.25,0.35,0.5,1,2
    "$bin" map --checkpoint "$checkpoint" --out "$out" --samplers dpm-solver,ddim --steps 5,10,20 --guidance 0.35,2 --chart-guidance 0.35 ;;
*)
    echo "mode must be full or chapter, got '$mode'" >&2; exit 2 ;;
esac
echo "map: $out/map.md, charts: $out/fid-steps.png and $out/accuracy-fid.png"
