#!/usr/bin/env bash
# The same rb_bench windows with two cuDNN 9 builds in one call: the one the loader finds by
# default ("default"; on the GPU nodes /lib/x86_64-linux-gnu's 9.14) and the one in
# RB_CMP_CUDNN_DIR ("alt"; default: the cuDNN of $PYTHON's torch, nvidia/cudnn/lib, the one
# transformers runs on), put first on the loader's path through a folder of links to its libcudnn*
# alone (so nothing else of that folder comes along); then transformers on the same shapes.
# rb_bench's `config` field names the cuDNN each line ran with. Builds nothing.
#   OUT=/path/to/results bench/cudnn_compare.sh [BUILD_DIR]
# Environment: PYTHON (default python3); RB_CMP_SETS ("models@lengths;..."), default
# "llama-3-8b,qwen2.5-7b@32768,51200;tinyllama-1.1b@2048".
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$(cd "${1:-$HERE/../build}" && pwd)"
OUT="${OUT:?set OUT to the results directory}"
PYTHON="${PYTHON:-python3}"
SETS="${RB_CMP_SETS:-llama-3-8b,qwen2.5-7b@32768,51200;tinyllama-1.1b@2048}"
CUDNN_DIR="${RB_CMP_CUDNN_DIR:-$("$PYTHON" -c 'import nvidia.cudnn, os; print(os.path.join(list(nvidia.cudnn.__path__)[0], "lib"))')}"
mkdir -p "$OUT"
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$OUT/compare.log"; }

links="$OUT/.cudnn-links"
rm -rf "$links" && mkdir -p "$links"
ln -s "$CUDNN_DIR"/libcudnn*.so.9* "$links/"
ls -l "$links" >> "$OUT/compare.log"

IFS=';' read -r -a sets <<< "$SETS"
for which in default alt; do
  if [ "$which" = default ]; then path="$LD_LIBRARY_PATH"; else path="$links:$LD_LIBRARY_PATH"; fi
  for set in "${sets[@]}"; do
    models="${set%@*}"; lengths="${set#*@}"
    stamp "rb_bench, $which cuDNN: $models at $lengths"
    LD_LIBRARY_PATH="$path" timeout 150 "$BUILD/bench/rb_bench" --models "$models" --lengths "$lengths" \
      --warmup 1 --repeats 2 --out "$OUT/rb_$which.jsonl" >> "$OUT/rb_$which.log" 2>&1
    echo "exit $?" | tee -a "$OUT/compare.log"
  done
  stamp "per-op breakdown, $which cuDNN: llama-3-8b at 32768 (batch 1), tinyllama-1.1b at 2048"
  LD_LIBRARY_PATH="$path" timeout 90 "$BUILD/bench/rb_bench" --models llama-3-8b --lengths 32768 --batch 1 \
    --op-breakdown --warmup 1 --repeats 2 --out "$OUT/ops_$which.jsonl" >> "$OUT/ops_$which.log" 2>&1
  LD_LIBRARY_PATH="$path" timeout 60 "$BUILD/bench/rb_bench" --models tinyllama-1.1b --lengths 2048 \
    --op-breakdown --warmup 1 --repeats 2 --out "$OUT/ops_$which.jsonl" >> "$OUT/ops_$which.log" 2>&1
  echo "exit $?" | tee -a "$OUT/compare.log"
done

for set in "${sets[@]}"; do
  models="${set%@*}"; lengths="${set#*@}"
  stamp "transformers (sdpa): $models at $lengths"
  timeout 200 "$PYTHON" "$HERE/bench_hf.py" --models "$models" --lengths "$lengths" --warmup 1 --repeats 2 \
    --batch-tries 1 --time-budget 170 --out "$OUT/hf_bench.jsonl" >> "$OUT/hf_bench.log" 2>&1
  echo "exit $?" | tee -a "$OUT/compare.log"
done
rm -rf "$links"
stamp "done"
