#!/usr/bin/env bash
# The Q-ROAR table of docs/QROAR.md: for each 4-bit scheme and RoPE method, search Q-ROAR scales on a
# dev text, then evaluate a held-out text at the long and the short length with and without them.
#   bench/qroar_table.sh ROPEBATCH MODEL DEV_TEXT EVAL_TEXT OUT_DIR
# Environment: LONG (default 32768: 4x SmolLM2-135M's 8192), SHORT (8192), BACKEND (cuda),
# QUANTS ("nf4 int4"), ROPES (linear and YaRN x4, as JSON, separated by ';'), DEV_WINDOWS (1),
# EVAL_TOKENS (2 * LONG), DIAGNOSTICS (pressure), VARIANT (symmetric), BANDS (4), GROUP_SIZE (int4:
# 64, which divides SmolLM2's 576 and 1536), PASSES (2), SCOPE (global, or layer), GRID (the
# candidate scales, comma-separated; default ropebatch qroar's 2^(k/3), k = -3..3).
# Writes OUT_DIR/<quant>_<method>.scales.json, OUT_DIR/eval.jsonl (one eval per line) and
# OUT_DIR/table.md.
set -euo pipefail
rb=${1:?ropebatch binary}; model=${2:?model}; dev=${3:?dev text}; held=${4:?evaluation text}; out=${5:?output dir}
LONG=${LONG:-32768}; SHORT=${SHORT:-8192}; BACKEND=${BACKEND:-cuda}; QUANTS=${QUANTS:-nf4 int4}
ROPES=${ROPES:-'{"rope_type": "linear", "factor": 4};{"rope_type": "yarn", "factor": 4}'}
DEV_WINDOWS=${DEV_WINDOWS:-1}; EVAL_TOKENS=${EVAL_TOKENS:-$((2 * LONG))}; DIAGNOSTICS=${DIAGNOSTICS:-pressure}
VARIANT=${VARIANT:-symmetric}; BANDS=${BANDS:-4}; GROUP_SIZE=${GROUP_SIZE:-64}; PASSES=${PASSES:-2}
SCOPE=${SCOPE:-global}; GRID=${GRID:-}
mkdir -p "$out"
: > "$out/eval.jsonl"
IFS=';' read -r -a ropes <<< "$ROPES"
for quant in $QUANTS; do
  for rope in "${ropes[@]}"; do
    name="${quant}_$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["rope_type"])' "$rope")"
    start=$(date +%s.%N)
    q=(--quant "$quant")
    [ "${quant#int4}" != "$quant" ] && q+=(--group-size "$GROUP_SIZE")
    "$rb" qroar --model "$model" --data "$dev" --rope "$rope" "${q[@]}" --length "$LONG" --short-length "$SHORT" \
      --dev-windows "$DEV_WINDOWS" --passes "$PASSES" --bands "$BANDS" --variant "$VARIANT" --diagnostics "$DIAGNOSTICS" --backend "$BACKEND" \
      --scope "$SCOPE" ${GRID:+--grid "$GRID"} \
      --out "$out/$name.scales.json" > "$out/$name.qroar.txt"
    echo "$name: search $(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$start" "$(date +%s.%N)") s" >&2
    for with in none scales; do
      extra=()
      [ "$with" = scales ] && extra=(--qroar "$out/$name.scales.json")
      "$rb" eval --model "$model" --data "$held" --rope "$rope" "${q[@]}" --lengths "$SHORT,$LONG" \
        --max-tokens "$EVAL_TOKENS" --backend "$BACKEND" --format json "${extra[@]}" |
        python3 -c 'import json,sys; d=json.load(sys.stdin); d["case"]=sys.argv[1]; d["with"]=sys.argv[2]; print(json.dumps(d))' \
          "$name" "$with" >> "$out/eval.jsonl"
    done
  done
done
python3 - "$out" "$SHORT" "$LONG" <<'PY'
import json, sys
from pathlib import Path
out, short, long_ = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = [json.loads(l) for l in (out / "eval.jsonl").read_text().splitlines() if l.strip()]
def ppl(r, L):
    return next(x["ppl"] for x in r["results"] if x["length"] == L)
lines = [f"| case | long ppl (L={long_:,}) | with Q-ROAR | change | short ppl (L={short:,}) | with Q-ROAR | change | scales |",
         "|---|---|---|---|---|---|---|---|"]
for case in dict.fromkeys(r["case"] for r in rows):
    a = next(r for r in rows if r["case"] == case and r["with"] == "none")
    b = next(r for r in rows if r["case"] == case and r["with"] == "scales")
    s = json.loads((out / f"{case}.scales.json").read_text())["scales"]
    lo, lq, so, sq = ppl(a, long_), ppl(b, long_), ppl(a, short), ppl(b, short)
    lines.append(f"| {case} | {lo:.4f} | {lq:.4f} | {100 * (lq / lo - 1):+.2f}% | {so:.4f} | {sq:.4f} | {100 * (sq / so - 1):+.2f}% | "
                 + (" ".join(f"{v:.3g}" for v in s[0]) if len(s) == 1 else
                    f"{len(s)} layers x {len(s[0])}: {sum(v != 1 for r in s for v in r)} moved, {min(min(r) for r in s):.3g}..{max(max(r) for r in s):.3g}")
                 + " |")
(out / "table.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
