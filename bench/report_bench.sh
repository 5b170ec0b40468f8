#!/usr/bin/env bash
# Times `ropebatch report` on a SYNTHETIC results file of 10,000 runs (made by
# bench/report_synthetic_results.cpp: numbers from a formula, not measurements), three times, then
# each stage of it (bench/report_stages.cpp).
# usage: bash bench/report_bench.sh [BUILD_DIR] [RUNS]   (BUILD_DIR default: build; ropebatch built there)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
runs=${2:-10000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Built here, against the build's rb_reports, so the benchmark needs no CMake target of its own.
for tool in report_synthetic_results report_stages; do
  g++ -std=c++20 -O2 -I"$root" $(pkg-config --cflags hdf5) "$root/bench/$tool.cpp" \
    "$build/reports/librb_reports.a" $(pkg-config --libs hdf5) -o "$work/$tool"
done
"$work/report_synthetic_results" "$work/synthetic.h5" "$runs"
ls -l "$work/synthetic.h5" | awk '{print "results file: " $5 " bytes"}'
for i in 1 2 3; do
  start=$(date +%s%N)
  "$build/harness/ropebatch" report "$work/synthetic.h5" --out "$work/report" --no-png --training-length 8192 > /dev/null
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf 'ropebatch report (%s synthetic runs, --no-png), try %d: %d.%03d s\n' "$runs" "$i" $((ms / 1000)) $((ms % 1000))
done
ls -l "$work/report" | awk 'NR > 1 {print "  " $9 ": " $5 " bytes"}'
echo "stage by stage (bench/report_stages.cpp):"
"$work/report_stages" "$work/synthetic.h5"
