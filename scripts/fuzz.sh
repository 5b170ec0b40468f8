#!/usr/bin/env bash
# Fuzzes every parser (docs/RELIABILITY.md): builds the libFuzzer targets of tests/fuzz/ with clang
# and ASan + UBSan into RB_FUZZ_BUILD (default build-fuzz/), runs each target once over every file
# of its committed corpus (tests/fuzz/corpus/TARGET/: seeds and the reproducers of past findings),
# then fuzzes it for RB_FUZZ_SECONDS seconds (default 60; 0: corpus only), RB_FUZZ_JOBS targets at
# a time (default: one per core). Fails on any crash,
# sanitizer report, uncaught exception, leak, timeout (RB_FUZZ_TIMEOUT seconds per input, default
# 20) or out-of-memory (2 GB). New inputs are at most as long as the longest seed (reproducers of
# findings excepted), and at least 4096 bytes. The inputs that fail are kept in RB_FUZZ_BUILD/artifacts/.
# Usage: scripts/fuzz.sh [TARGET...]   (default: all ten; TARGET as in tests/fuzz/fuzz_TARGET.cpp)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${RB_FUZZ_BUILD:-$root/build-fuzz}"
seconds="${RB_FUZZ_SECONDS:-60}"
timeout="${RB_FUZZ_TIMEOUT:-20}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors config_json tokenizer_json tokenizer_model gguf grid_toml rope_json
                                     results_h5 journal qroar_json)

eval "$("$root/scripts/setup.sh")"
if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: installing clang (libFuzzer ships with it)" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang >&2
fi

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
# -O1 with line tables: what libFuzzer's documentation recommends (fast to build, readable traces).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DROPEBATCH_FUZZ=ON -DROPEBATCH_TESTS=OFF -DROPEBATCH_CUDA=OFF -DROPEBATCH_ARROW=OFF \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 "${launcher[@]}" >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target "${targets[@]/#/fuzz_}"

mkdir -p "$build/artifacts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp"  # libhdf5's own leaks on error paths
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# One target: its corpus once, then RB_FUZZ_SECONDS of fuzzing. Writes artifacts/T.failed on failure.
fuzz_one() {
  local t=$1
  local bin="$build/tests/fuzz/fuzz_$t" corpus="$root/tests/fuzz/corpus/$t"
  local flags=(-timeout="$timeout" -rss_limit_mb=2048 -artifact_prefix="$build/artifacts/$t-")
  rm -f "$build/artifacts/$t.failed"
  if ! "$bin" "${flags[@]}" "$corpus"/* >"$build/artifacts/$t.corpus.log" 2>&1; then
    { echo "== fuzz_$t: its corpus FAILED"; tail -40 "$build/artifacts/$t.corpus.log"; } >&2
    echo corpus >"$build/artifacts/$t.failed"
    return
  fi
  [ "$seconds" -gt 0 ] || { echo "== fuzz_$t: $(ls "$corpus" | wc -l) corpus files clean"; return; }
  local max_len
  max_len=$(find "$corpus" -type f ! -name 'finding_*' -printf '%s\n' | sort -n | tail -1)
  [ "${max_len:-0}" -ge 4096 ] || max_len=4096
  local work="$build/corpus/$t"  # what this run finds is kept here, not in the committed corpus
  mkdir -p "$work"
  if ! "$bin" "${flags[@]}" -max_len="$max_len" -max_total_time="$seconds" -print_final_stats=1 \
       "$work" "$corpus" >"$build/artifacts/$t.log" 2>&1; then
    { echo "== fuzz_$t: FAILED after fuzzing"; tail -40 "$build/artifacts/$t.log"; } >&2
    echo fuzzing >"$build/artifacts/$t.failed"
    return
  fi
  echo "== fuzz_$t: $(ls "$corpus" | wc -l) corpus files clean, ${seconds}s: $(grep -E "^stat::number_of_executed_units" "$build/artifacts/$t.log")"
}

# The targets run side by side, RB_FUZZ_JOBS at a time (default: one per core).
parallel="${RB_FUZZ_JOBS:-$(nproc)}"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  fuzz_one "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
  [ ! -f "$build/artifacts/$t.failed" ] || failed+=("$t ($(cat "$build/artifacts/$t.failed"))")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets clean"
