#!/usr/bin/env bash
# The load benchmark in one call on a GPU node (docs/PERFORMANCE.md, "Loading a checkpoint"):
# writes a random Llama-3-8B-shape checkpoint with transformers' save_pretrained (15 GB, bf16), warms
# the page cache, then loads it with ropebatch (rb_load_bench) and with transformers' from_pretrained,
# each in its own process, alternating, twice; ropebatch told the window to come (its cuDNN plan
# built during the upload) and with --no-plan-ahead (ropebatch_no_plan_ahead.jsonl). RB_LOAD_HF=0
# skips transformers. Results under $OUT.
#   OUT=/path CKPT=/tmp/llama3-8b-random bench/run_load_bench.sh [BUILD_DIR]
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$(cd "${1:-$HERE/../build}" && pwd)"
OUT="${OUT:?set OUT}"
CKPT="${CKPT:-/tmp/llama3-8b-random}"
PYTHON="${PYTHON:-python3}"
LENGTH="${RB_LOAD_LENGTH:-32768}"
mkdir -p "$OUT"
log="$OUT/load_bench.log"
if [ ! -f "$CKPT/config.json" ]; then
  /usr/bin/time -f "make: %e s" timeout 300 "$PYTHON" "$HERE/load_bench_hf.py" make "$CKPT" --shape llama-3-8b >> "$log" 2>&1
fi
du -sh "$CKPT" >> "$log"
cat "$CKPT"/*.safetensors > /dev/null  # warm page cache: both tools read from memory
for round in 1 2; do
  timeout 120 "$BUILD/bench/rb_load_bench" --model "$CKPT" --length "$LENGTH" --windows 3 >> "$OUT/ropebatch.jsonl" 2>> "$log"
  timeout 120 "$BUILD/bench/rb_load_bench" --model "$CKPT" --length "$LENGTH" --windows 3 --no-plan-ahead \
    >> "$OUT/ropebatch_no_plan_ahead.jsonl" 2>> "$log"
  if [ "${RB_LOAD_HF:-1}" != 0 ]; then
    timeout 180 "$PYTHON" "$HERE/load_bench_hf.py" load "$CKPT" --length "$LENGTH" >> "$OUT/transformers.jsonl" 2>> "$log"
  fi
done
cat "$OUT"/*.jsonl
