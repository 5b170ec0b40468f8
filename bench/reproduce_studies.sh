#!/usr/bin/env bash
# Reproduces the reference studies (shared/seeds, docs/results/README.md) on one GPU with the model
# we ship, SmolLM2-135M (the GGUF at $RB_SMOLLM2_GGUF, trained context 8192), on bible-kjv:
#
#   full      the built-in `full` grid (the six transformers methods at 2k-16k, research variants
#             at 2k-32k, position compression at 16k-48k) with passkey and LongPPL
#   variants  bench/studies/variants.toml: geometric, sigmoid, hybrid, random vs the original, 2k-32k
#   quant     bench/studies/quant.toml: five methods at 2k-32k as published (Q4_1), nf4 and int4-g64
#
# Each study: OUT/STUDY/results.h5, OUT/STUDY/report/ (ropebatch report), OUT/STUDY/plan.txt,
# OUT/STUDY/commands.txt (the exact commands), OUT/STUDY/run.log, and a line in OUT/summary.txt with
# the device, the wall time and the exit status. Runs that fail are recorded in the results (exit
# status 4 of `run`) and do not stop the script.
#
# usage: bash bench/reproduce_studies.sh OUT [full|variants|quant|all] [BUILD_DIR]
#   BUILD_DIR (default build): a ropebatch built with CUDA; the backend is cuda unless RB_REPRO_BACKEND=cpu.
#   Environment:
#     RB_SMOLLM2_GGUF     the model (scripts/setup.sh prints it); RB_REPRO_MODEL overrides it
#     RB_REPRO_DATA       dataset spec (default bible-kjv; needs Debian's `bible`, or a cached
#                         bible-kjv.txt in the cache folder: RB_REPRO_BIBLE_TXT=FILE copies one there)
#     RB_REPRO_CACHE      ropebatch's cache folder (default OUT/cache)
#     RB_REPRO_TINY=1     the whole pipeline on the CPU in a few minutes: the llama_gqa fixture model,
#                         lengths 2k..48k mapped to 128..512 tokens, genesis.txt, int4 groups of 32
#                         (llama_gqa's MLP width 96 is not a multiple of 64). Checks the script, not a study.
#
# GPU time. Not measured here (no GPU on the machine that wrote this): estimated from `ropebatch plan`
# (in plan.txt) on SmolLM2 + bible-kjv: full 18.7M forward tokens / 14.9 PFLOP plus LongPPL's
# short-context pass (~25M tokens, ~14 PFLOP, which plan does not count), variants 5.6M / 5.85 PFLOP,
# quant 3.6M / 3.89 PFLOP: ~40 PFLOP, 2-7 minutes at 100-300 TFLOP/s. Tokens per cell were chosen for
# that: full 2 windows per run (the fewest that give a paired interval), passkey at 3 depths x 1
# trial, LongPPL with its default 4096-token short context; variants 8 windows per run; quant 4.
# Run the studies one at a time (`... OUT full`, then `variants`, then `quant`) to see each wall time.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:?usage: bench/reproduce_studies.sh OUT [full|variants|quant|all] [BUILD_DIR]}
which=${2:-all}
build=$(cd "${3:-$root/build}" && pwd)
rb="$build/harness/ropebatch"
[ -x "$rb" ] || { echo "no ropebatch at $rb" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=${RB_REPRO_CACHE:-$out/cache}
mkdir -p "$cache"
export ROPEBATCH_CACHE="$cache"  # plan's cache (run is also given --cache-dir)
[ -n "${RB_REPRO_BIBLE_TXT:-}" ] && cp "$RB_REPRO_BIBLE_TXT" "$cache/bible-kjv.txt"

tiny=${RB_REPRO_TINY:-0}
if [ "$tiny" = 1 ]; then
  model=${RB_REPRO_MODEL:-$root/tests/fixtures/models/llama_gqa}
  data=${RB_REPRO_DATA:-text:$root/tests/fixtures/text/genesis.txt}
  backend=${RB_REPRO_BACKEND:-cpu}
  int4=int4-g32
else
  model=${RB_REPRO_MODEL:-${RB_SMOLLM2_GGUF:?set RB_SMOLLM2_GGUF (scripts/setup.sh prints it) or RB_REPRO_MODEL}}
  data=${RB_REPRO_DATA:-bible-kjv}
  backend=${RB_REPRO_BACKEND:-cuda}
  int4=int4-g64
fi

device() {
  if [ "$backend" = cuda ] && command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1
  else
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  fi
}

# The grid a study runs, written to OUT/STUDY/grid.toml: the built-in `full` grid with its metrics and
# window settings for this study, or a committed grid file; in tiny mode with its lengths shrunk.
make_grid() {
  local study=$1 grid=$2
  case "$study" in
    full)
      "$rb" grids --show full --format toml |
        sed 's/^metrics = \["ppl"\]/metrics = ["ppl", "passkey", "longppl"]/' |
        awk 'BEGIN { done = 0 }
             /^\[\[methods\]\]/ && !done {
               print "[windows]\nmax_windows = 2\n\n[passkey]\ndepths = [0.0, 0.5, 1.0]\ntrials = 1\nseed = 0\n";
               if (tiny) print "[longppl]\nshort_length = 64\n";
               done = 1 }
             { print }' tiny="$tiny" > "$grid" ;;
    variants|quant)
      sed "s/\"int4-g64\"/\"$int4\"/" "$root/bench/studies/$study.toml" > "$grid" ;;
  esac
  if [ "$tiny" = 1 ]; then
    sed -i -e 's/"2k"/128/g' -e 's/"4k"/160/g' -e 's/"8k"/192/g' -e 's/"16k"/256/g' \
           -e 's/"24k"/320/g' -e 's/"32k"/384/g' -e 's/"48k"/512/g' "$grid"
  fi
  grep -q '^metrics' "$grid" || { echo "$grid: no metrics line" >&2; return 2; }
}

run_study() {
  local study=$1 dir="$out/$1"
  mkdir -p "$dir"
  rm -f "$dir/results.h5" "$dir/results.h5.journal"
  make_grid "$study" "$dir/grid.toml" || return 2
  local common=(--grid "$dir/grid.toml" --model "$model" --data "$data")
  local run_cmd=("$rb" run "${common[@]}" --cache-dir "$cache" --out "$dir/results.h5" --backend "$backend")
  local report_cmd=("$rb" report "$dir/results.h5" --out "$dir/report")
  printf 'ROPEBATCH_CACHE=%q ' "$cache" > "$dir/commands.txt"
  printf '%q ' "$rb" plan "${common[@]}" >> "$dir/commands.txt"; echo >> "$dir/commands.txt"
  printf '%q ' "${run_cmd[@]}" >> "$dir/commands.txt"; echo >> "$dir/commands.txt"
  printf '%q ' "${report_cmd[@]}" >> "$dir/commands.txt"; echo >> "$dir/commands.txt"
  "$rb" plan "${common[@]}" > "$dir/plan.txt" 2>&1 || { echo "$study: plan failed, see $dir/plan.txt" >&2; return 2; }
  local start status
  start=$(date +%s%N)
  "${run_cmd[@]}" > "$dir/run.log" 2>&1
  status=$?
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  local seconds="$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  # 0: every run completed; 4: finished with some runs failed (they are in the report).
  if [ "$status" -ne 0 ] && [ "$status" -ne 4 ]; then
    echo "$study: ropebatch run exited $status, see $dir/run.log" >&2
    tail -5 "$dir/run.log" >&2
  fi
  "${report_cmd[@]}" > "$dir/report.log" 2>&1
  local report_status=$?
  printf '%s\tdevice: %s\twall: %s s\trun exit: %s\treport exit: %s\t%s\n' "$study" "$(device)" "$seconds" \
    "$status" "$report_status" "$(grep -m1 '^total:' "$dir/plan.txt")" | tee -a "$out/summary.txt"
  [ "$report_status" -eq 0 ]
}

case "$which" in
  all) studies=(full variants quant) ;;
  full|variants|quant) studies=("$which") ;;
  *) echo "unknown study '$which' (full, variants, quant or all)" >&2; exit 2 ;;
esac
echo "$("$rb" --version 2>/dev/null | head -1); model $model; data $data; backend $backend" | tee -a "$out/summary.txt"
failed=0
for s in "${studies[@]}"; do run_study "$s" || failed=1; done
exit "$failed"
