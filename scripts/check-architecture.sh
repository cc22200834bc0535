#!/usr/bin/env bash
# The layering the Guide promises, checked (run by .ci/run before the tests):
# - TensorCore imports only the system and the standard library (Foundation, Glibc/Darwin/Musl, Dispatch, Synchronization);
# - the libraries (TensorCore, Diffusion, ChapterSupport, DigitServer) import no executable target;
# - every file of a chapter executable stays under 200 lines (executables parse, call the libraries, report);
# - no library source file passes 400 lines unless its first lines say why ("over 400 lines:").
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
executables="Basic UNet2D DDPM Conditional FineTuning Guidance Benchmarks"
bad=$(grep -rhoE '^import [A-Za-z_]+' Sources/TensorCore | awk '{print $2}' | sort -u | grep -vxE 'Foundation|Glibc|Darwin|Musl|Dispatch|Synchronization' || true)
if [ -n "$bad" ]; then echo "TensorCore imports more than the system: $bad"; fail=1; fi
for lib in TensorCore Diffusion ChapterSupport DigitServer; do
    for exe in $executables; do
        if grep -rqE "^(@testable )?import $exe\$" "Sources/$lib"; then echo "library $lib imports the executable $exe"; fail=1; fi
    done
done
for exe in Basic UNet2D DDPM Conditional FineTuning Guidance; do
    for f in Sources/$exe/*.swift; do
        n=$(wc -l < "$f")
        if [ "$n" -gt 200 ]; then echo "$f: $n lines; a chapter executable's file should stay under 200 (move the logic into a library)"; fail=1; fi
    done
done
for f in $(find Sources/TensorCore Sources/Diffusion Sources/ChapterSupport Sources/DigitServer -name '*.swift'); do
    n=$(wc -l < "$f")
    if [ "$n" -gt 400 ] && ! head -5 "$f" | grep -q "over 400 lines:"; then echo "$f: $n lines and no reason stated at its top"; fail=1; fi
done
[ "$fail" -eq 0 ] && echo "architecture check: passed"
exit "$fail"
