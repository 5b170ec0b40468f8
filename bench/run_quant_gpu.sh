#!/usr/bin/env bash
# The 4-bit GPU session in one call: every GPU test (kernels, forward, RoPE methods, cuDNN
# attention, 4-bit dequantization and forwards), the W4A16 throughput and memory on the Llama-3-8B
# shape (bf16 / nf4 / int4 in the same run), the dequantize-vs-GEMM split, and the GPTQ/AWQ fixture
# checkpoints through `ropebatch eval --backend cuda`. Builds nothing; results under $OUT.
#
#   OUT=/path/to/results bench/run_quant_gpu.sh [BIN_DIR]     (BIN_DIR: ropebatch, rb_bench, gpu_test_*)
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$(cd "${1:-$ROOT/build}" && pwd)"
OUT="${OUT:?set OUT to the results directory}"
mkdir -p "$OUT"
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$OUT/summary.txt"; }
find_bin() { find "$BIN" -name "$1" -type f -perm -u+x | head -1; }

stamp "device: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader)"
for t in $(find "$BIN" -name 'gpu_test_*' -type f -perm -u+x | sort); do
  name=$(basename "$t")
  (cd "$ROOT" && timeout 240 "$t" --log_level=message) > "$OUT/$name.log.tmp" 2>&1
  rc=$?
  { echo "===== $name (exit $rc)"; cat "$OUT/$name.log.tmp"; } >> "$OUT/gpu_tests.log"
  rm -f "$OUT/$name.log.tmp"
  stamp "$name exit $rc: $(grep -E 'No errors|failure|error' "$OUT/gpu_tests.log" | tail -1)"
done

BENCH=$(find_bin rb_bench)
for q in none nf4 int4; do
  stamp "rb_bench llama-3-8b quant=$q"
  (cd "$ROOT" && timeout 150 "$BENCH" --models llama-3-8b --lengths 32768,51200 --warmup 1 --repeats 2 --no-gemm \
     --quant "$q" --out "$OUT/bench.jsonl") >> "$OUT/bench.log" 2>&1
  echo "exit $?" >> "$OUT/bench.log"
done
stamp "rb_bench dequantize vs GEMM at 32768 tokens"
(cd "$ROOT" && timeout 60 "$BENCH" --models llama-3-8b,tinyllama-1.1b --dequant-split 32768 --repeats 5 --no-gemm \
   --out "$OUT/bench.jsonl") >> "$OUT/bench.log" 2>&1

RB=$(find_bin ropebatch)
for m in llama_gqa llama_gqa_gptq llama_gqa_gptq_v2 llama_gqa_awq; do
  for backend in cpu cuda; do
    stamp "eval $m $backend"
    (cd "$ROOT" && timeout 60 "$RB" eval --model "tests/fixtures/models/$m" --data tests/fixtures/text/genesis.txt \
       --lengths 64,128,256 --max-tokens 512 --backend "$backend" --format json) >> "$OUT/eval.jsonl" 2>> "$OUT/bench.log"
  done
done
for q in nf4 int4; do
  stamp "eval llama_gqa --quant $q cuda"
  (cd "$ROOT" && timeout 60 "$RB" eval --model tests/fixtures/models/llama_gqa --data tests/fixtures/text/genesis.txt \
     --lengths 64,256 --max-tokens 512 --backend cuda --quant "$q" --group-size 32 --format json 2>/dev/null ||
   cd "$ROOT" && timeout 60 "$RB" eval --model tests/fixtures/models/llama_gqa --data tests/fixtures/text/genesis.txt \
     --lengths 64,256 --max-tokens 512 --backend cuda --quant "$q" --format json) >> "$OUT/eval.jsonl" 2>> "$OUT/bench.log"
done
stamp "done"
