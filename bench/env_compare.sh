#!/usr/bin/env bash
# The same rb_bench windows under several settings of the CUDA backend's environment
# (model_core/cuda/cuda_options.hpp) in one call, each with its per-op breakdowns, then
# transformers on the same shapes. Each variant's lines go to rb_NAME.jsonl / ops_NAME.jsonl and its
# messages (e.g. RB_CUDA_GEMM_LOG's plans) to rb_NAME.log / ops_NAME.log; rb_bench's `config` field
# names the settings. Builds nothing.
#   OUT=/path/to/results bench/env_compare.sh [BUILD_DIR]
# Environment (PYTHON default python3):
#   RB_CMP_VARIANTS  "name:VAR=value VAR=value;..." (default: the three GEMM choices,
#                    "cublas:RB_CUDA_GEMM=cublas;lt:RB_CUDA_GEMM=lt RB_CUDA_GEMM_LOG=1;tuned:RB_CUDA_GEMM=tuned RB_CUDA_GEMM_LOG=1")
#   RB_CMP_SETS      rb_bench windows, "models@lengths;..." (default "llama-3-8b,qwen2.5-7b@32768;tinyllama-1.1b@2048")
#   RB_CMP_OPS       per-op breakdowns, "models@lengths@batch;..." (batch "" = rb_bench's choice; default
#                    "llama-3-8b@32768@1;tinyllama-1.1b@2048@"; "" skips them)
#   RB_CMP_HF=0      skips transformers
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$(cd "${1:-$HERE/../build}" && pwd)"
OUT="${OUT:?set OUT to the results directory}"
PYTHON="${PYTHON:-python3}"
VARIANTS="${RB_CMP_VARIANTS:-cublas:RB_CUDA_GEMM=cublas;lt:RB_CUDA_GEMM=lt RB_CUDA_GEMM_LOG=1;tuned:RB_CUDA_GEMM=tuned RB_CUDA_GEMM_LOG=1}"
SETS="${RB_CMP_SETS-llama-3-8b,qwen2.5-7b@32768;tinyllama-1.1b@2048}"
OPS="${RB_CMP_OPS-llama-3-8b@32768@1;tinyllama-1.1b@2048@}"
mkdir -p "$OUT"
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$OUT/compare.log"; }

IFS=';' read -r -a variants <<< "$VARIANTS"
IFS=';' read -r -a sets <<< "$SETS"
IFS=';' read -r -a ops <<< "$OPS"
for variant in "${variants[@]}"; do
  name="${variant%%:*}"; settings="${variant#*:}"
  read -r -a assignments <<< "$settings"
  for set in "${sets[@]}"; do
    models="${set%@*}"; lengths="${set#*@}"
    stamp "rb_bench, $name ($settings): $models at $lengths"
    env "${assignments[@]}" timeout 150 "$BUILD/bench/rb_bench" --models "$models" --lengths "$lengths" \
      --warmup 1 --repeats 2 --out "$OUT/rb_$name.jsonl" >> "$OUT/rb_$name.log" 2>&1
    echo "exit $?" | tee -a "$OUT/compare.log"
  done
  for op in "${ops[@]}"; do
    IFS='@' read -r models lengths batch <<< "$op"
    stamp "per-op breakdown, $name ($settings): $models at $lengths${batch:+ (batch $batch)}"
    env "${assignments[@]}" timeout 90 "$BUILD/bench/rb_bench" --models "$models" --lengths "$lengths" \
      ${batch:+--batch "$batch"} --op-breakdown --warmup 1 --repeats 2 --out "$OUT/ops_$name.jsonl" \
      >> "$OUT/ops_$name.log" 2>&1
    echo "exit $?" | tee -a "$OUT/compare.log"
  done
done

if [ "${RB_CMP_HF:-1}" != 0 ]; then
  for set in "${sets[@]}"; do
    models="${set%@*}"; lengths="${set#*@}"
    stamp "transformers (sdpa): $models at $lengths"
    timeout 200 "$PYTHON" "$HERE/bench_hf.py" --models "$models" --lengths "$lengths" --warmup 1 --repeats 2 \
      --batch-tries 1 --time-budget 170 --out "$OUT/hf_bench.jsonl" >> "$OUT/hf_bench.log" 2>&1
    echo "exit $?" | tee -a "$OUT/compare.log"
  done
fi
stamp "done"
