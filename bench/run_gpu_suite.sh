#!/usr/bin/env bash
# The whole GPU session in one call: GPU tests (ctest -L gpu: kernels vs CPU references, CUDA
# forward vs the CPU backend), rb_bench on real model shapes, the same shapes with transformers,
# and a combined results.json. Builds nothing. Everything goes under $OUT; worst case ~10 minutes (per-step timeouts), typically ~5.
#
#   OUT=/path/to/results bench/run_gpu_suite.sh [BUILD_DIR]      (BUILD_DIR default: build)
# Environment: PYTHON (default python3), RB_SUITE_MODELS, RB_SUITE_LENGTHS to narrow the bench;
# RB_SUITE_BREAKDOWN (default "llama-3-8b,qwen2.5-7b"; "" skips it): the per-op breakdown of one
# 32,768- and one 51,200-token window of these models (rb_bench --op-breakdown, ops.jsonl).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
OUT="${OUT:?set OUT to the results directory}"
PYTHON="${PYTHON:-python3}"
MODELS="${RB_SUITE_MODELS:-tinyllama-1.1b,llama-3-8b,qwen2.5-7b}"
LENGTHS="${RB_SUITE_LENGTHS:-2048,8192,32768,51200}"
mkdir -p "$OUT"
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$OUT/suite.log"; }

stamp "device"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1

stamp "GPU tests (ctest -L gpu)"
BOOST_TEST_LOG_LEVEL=message timeout 190 ctest --test-dir "$BUILD" -L gpu -V --timeout 140 > "$OUT/ctest_gpu.log" 2>&1
echo "ctest exit $?" > "$OUT/ctest_summary.txt"
grep -E "tests passed|tests failed|Failed|Passed|\*\*\*Failed|Not Run" "$OUT/ctest_gpu.log" | tail -20 >> "$OUT/ctest_summary.txt"
cat "$OUT/ctest_summary.txt" | tee -a "$OUT/suite.log"

stamp "rb_bench"
timeout 170 "$BUILD/bench/rb_bench" --models "$MODELS" --lengths "$LENGTHS" --warmup 1 --repeats 1 \
  --out "$OUT/rb_bench.jsonl" > "$OUT/rb_bench.log" 2>&1
echo "rb_bench exit $?" | tee -a "$OUT/suite.log"

BREAKDOWN="${RB_SUITE_BREAKDOWN-llama-3-8b,qwen2.5-7b}"
if [ -n "$BREAKDOWN" ]; then
  stamp "per-op breakdown"
  timeout 120 "$BUILD/bench/rb_bench" --models "$BREAKDOWN" --lengths 32768,51200 --batch 1 --op-breakdown \
    --warmup 1 --repeats 2 --out "$OUT/ops.jsonl" > "$OUT/ops.log" 2>&1
  echo "rb_bench --op-breakdown exit $?" | tee -a "$OUT/suite.log"
fi

stamp "transformers (sdpa)"
timeout 230 "$PYTHON" "$HERE/bench_hf.py" --models "$MODELS" --lengths "$LENGTHS" --warmup 1 --repeats 1 \
  --batch-tries 1 --time-budget 190 --out "$OUT/hf_bench.jsonl" > "$OUT/hf_bench.log" 2>&1
echo "bench_hf exit $?" | tee -a "$OUT/suite.log"

stamp "combine"
"$PYTHON" "$HERE/combine_results.py" "$OUT" | tee "$OUT/summary.txt" | tee -a "$OUT/suite.log"
stamp "done"
