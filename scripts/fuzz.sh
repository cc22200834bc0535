#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ and runs one of them for a bounded time, in one process (one job).
#
#   scripts/fuzz.sh                         lists the targets
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#
# The committed seeds (Fuzz/Corpus/TARGET/) are copied into a scratch corpus outside the repository,
# ${FUZZ_WORK:-${TMPDIR:-/tmp}/diffusion-fuzz}/corpus/TARGET, which keeps growing across runs; crash, timeout
# and OOM inputs go to .../artifacts/TARGET/, the log to .../TARGET.log. At the end it prints the executions,
# libFuzzer's final cov:/ft: numbers and whether a crash was found (with the input's path).
#
# Environment: FUZZ_CONFIG=debug|release (default debug), FUZZ_NICE (niceness, default 10).
# Exit status: 0 when the run found nothing, 1 when it found a crash, hang or OOM, 2 on usage or build errors.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
fuzz_dir="$root/Fuzz"
targets=(FuzzSafeTensors FuzzIDX FuzzGzip FuzzPNG FuzzDigitRequest)

usage() {
    echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]"
    echo "targets (seeds in Fuzz/Corpus/TARGET, see Fuzz/README.md):"
    for t in "${targets[@]}"; do echo "  $t"; done
}

if [[ $# -eq 0 ]]; then usage; exit 0; fi
if [[ $# -lt 2 ]]; then usage >&2; exit 2; fi
target=$1
seconds=$2
shift 2
if [[ ! " ${targets[*]} " == *" $target "* ]]; then
    echo "error: unknown target '$target'" >&2
    usage >&2
    exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -eq 0 ]]; then
    echo "error: SECONDS must be a positive integer, got '$seconds'" >&2
    exit 2
fi

config=${FUZZ_CONFIG:-debug}
niceness=${FUZZ_NICE:-10}
work="${FUZZ_WORK:-${TMPDIR:-/tmp}/diffusion-fuzz}"
corpus="$work/corpus/$target"
artifacts="$work/artifacts/$target"
log="$work/$target.log"
mkdir -p "$corpus" "$artifacts"

# The same dependency versions as the root package, and no network, when it has already resolved them.
if [[ ! -f "$fuzz_dir/Package.resolved" && -f "$root/Package.resolved" ]]; then
    cp "$root/Package.resolved" "$fuzz_dir/Package.resolved"
fi

# Coverage instrumentation and ASan for every Swift module; libFuzzer provides main, hence -parse-as-library.
build=(swift build --package-path "$fuzz_dir" -c "$config"
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
echo "== building $target ($config)"
# (gold's "Cannot export local symbol '__asan_...'" warnings about the ASan runtime are harmless: dropped.)
if ! nice -n "$niceness" "${build[@]}" --product "$target" 2>&1 | { grep -v "Cannot export local symbol" || true; }; then
    echo "error: build failed" >&2
    exit 2
fi
binary="$("${build[@]}" --show-bin-path)/$target"

cp -n "$fuzz_dir/Corpus/$target/"* "$corpus/" 2>/dev/null || true
flags=(-max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10
       -print_final_stats=1 -artifact_prefix="$artifacts/")
if [[ -f "$fuzz_dir/Dictionaries/$target.dict" ]]; then flags+=(-dict="$fuzz_dir/Dictionaries/$target.dict"); fi

echo "== fuzzing $target for ${seconds}s: corpus $corpus, log $log"
status=0
# Swift's runtime keeps metadata caches alive on purpose; LeakSanitizer would only report those.
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" \
    nice -n "$niceness" "$binary" "${flags[@]}" "$@" "$corpus" > "$log" 2>&1 || status=$?
tail -n 5 "$log"

executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
final=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$final")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$final")
artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
echo "== $target: ${seconds}s, executions ${executions:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus $(ls "$corpus" | wc -l) inputs"
if [[ -n "$artifact" ]]; then
    kind=$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer): [a-z-]+|SUMMARY: libFuzzer: [a-z-]+|Fatal error|deadly signal' "$log" || true)
    echo "== FOUND: ${kind:-a failure} -> $artifact"
    echo "   reproduce: $binary $artifact"
    exit 1
fi
if [[ $status -ne 0 ]]; then
    echo "== libFuzzer exited with status $status and wrote no artifact; see $log" >&2
    exit 1
fi
echo "== no crash, hang or OOM found"
