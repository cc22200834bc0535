#!/usr/bin/env bash
# The quality-versus-steps map of Chapter 4 ("Choosing the defaults"): samples the shipped model with
# DPM-Solver++, DDIM and DDPM at several step counts and guidance scales, 1,000 digits each, and scores class
# accuracy and FID beside the real-vs-real floor. Resumable: settings already in OUT/map.json are skipped.
#
#   scripts/quality-map.sh [quick|chapter] [out=runs/map] [checkpoint=Checkpoints/conditional.safetensors]
#
# quick:   both solvers at 5, 10 and 20 steps for w in {0, 0.35, 0.5, 2}, 200 digits each (20 per class):
#          about 5 minutes on two cores (by the chapter map's own seconds per digit). FIDs of 200 digits are
#          noisier and higher than of 1,000 (the floor is recomputed at the same count), so compare within a map.
# chapter: the chapter's table: both solvers at 5, 10, 20 and 50 steps for w in {0.35, 0, 0.5, 1, 2, 3}
#          (about an hour and a half), then DDPM over all T steps at each of those w, about 90 minutes per
#          guided w (45 at w = 0). Stop it any time: a rerun resumes, mid-row for DDPM.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-quick}
out=${2:-runs/map}
checkpoint=${3:-Checkpoints/conditional.safetensors}
swift build -c release --product Conditional >/dev/null
bin="$(swift build -c release --show-bin-path)/Conditional"
case "$mode" in
quick)
    "$bin" map --checkpoint "$checkpoint" --out "$out" --samplers dpm-solver,ddim --steps 5,10,20 --guidance 0.35,0,0.5,2 --per-class 20 ;;
chapter)
    "$bin" map --checkpoint "$checkpoint" --out "$out" --samplers dpm-solver,ddim --steps 10,5,20,50 --guidance 0.35,0,0.5,1,2,3
    for w in 0.35 0 0.5 1 2 3; do
        "$bin" map --checkpoint "$checkpoint" --out "$out" --samplers ddpm --guidance "$w" --ddpm-guidance "$w"
    done ;;
*)
    echo "mode must be quick or chapter, got '$mode'" >&2; exit 2 ;;
esac
echo "map: $out/map.md, charts: $out/fid-steps.png and $out/accuracy-fid.png"
