#!/usr/bin/env bash
# The CPU backend against transformers on the same machine, in one call: SmolLM2-135M (the shipped
# Q4_1 GGUF, dequantized to fp32 by both), the same text and tokens, non-overlapping windows of each
# length over the first --max-tokens tokens, all threads of the machine (2 here). ropebatch runs
# twice: with OpenBLAS' kernels as the environment sets them (OPENBLAS_CORETYPE, if set) and with
# the variable unset, so that OpenBLAS detects them from the CPU; each line names the kernels.
# Last, the fp32 GEMM peak of these cores through torch and through numpy's OpenBLAS.
#
#   bench/cpu_vs_hf.sh BUILD_DIR PYTHON [LENGTHS] [MAX_TOKENS] > results.jsonl
# PYTHON: an interpreter with torch 2.11, transformers 5.17, gguf 0.19 and accelerate.
set -euo pipefail
build=${1:?build dir}
python=${2:?python with transformers}
lengths=${3:-512,1024,2048,4096,8192}
max_tokens=${4:-8192}
here=$(cd "$(dirname "$0")/.." && pwd)
gguf=${RB_SMOLLM2_GGUF:?source scripts/setup.sh output first}
text=$here/tests/fixtures/text/train.txt
threads=$(nproc)
echo "{\"host_cpu\": \"$(lscpu | sed -n 's/^Model name: *//p' | head -1)\", \"threads\": $threads, \"openblas_coretype_env\": \"${OPENBLAS_CORETYPE:-}\"}"
run_rb() {
  local label=$1; shift
  local kernels
  kernels=$("$@" "$build/harness/ropebatch" --verbose eval --backend cpu --model "$gguf" --data "$text" \
    --lengths 2 --max-tokens 4 2>&1 | sed -n 's/.*OpenBLAS kernels \([A-Za-z0-9]*\).*/\1/p' | head -1)
  "$@" "$build/harness/ropebatch" --quiet eval --backend cpu --threads "$threads" --model "$gguf" --data "$text" \
    --lengths "$lengths" --max-tokens "$max_tokens" --format json |
    python3 -c "
import json, sys
d = json.load(sys.stdin)
for r in d['results']:
    print(json.dumps({'impl': 'ropebatch', 'blas': '$label', 'kernels': '$kernels', 'length': r['length'], 'windows': r['windows'],
                      'ppl': r['ppl'], 'tokens_per_s': r['tokens_per_second'], 'seconds': r['seconds']}))"
}
run_rb "env" env
run_rb "detected" env -u OPENBLAS_CORETYPE
"$python" "$here/bench/compare_hf.py" --model "$gguf" --data "$text" --lengths "$lengths" --max-tokens "$max_tokens" \
  --device cpu --threads "$threads" --dtypes float32 2>/dev/null | grep '^{'
# What these cores' fp32 GEMM reaches, through torch (the reference's) and numpy's OpenBLAS: the
# ceiling of a forward that is mostly sgemm (docs/PERFORMANCE.md, "CPU backend").
"$python" - "$threads" <<'PY'
import json, sys, time
import numpy as np
import torch
threads = int(sys.argv[1])
torch.set_num_threads(threads)
n = 2048
def best(fn, repeats=5):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 2.0 * n ** 3 / min(times) / 1e9
a, b = torch.randn(n, n), torch.randn(n, n)
print(json.dumps({"impl": "sgemm-peak", "lib": "torch " + torch.__version__, "n": n, "threads": threads,
                  "gflops": best(lambda: torch.mm(a, b))}))
x, y = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
print(json.dumps({"impl": "sgemm-peak", "lib": "numpy " + np.__version__ + " (OpenBLAS)", "n": n, "threads": threads,
                  "gflops": best(lambda: x @ y)}))
PY
