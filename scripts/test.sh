#!/usr/bin/env bash
# Everything CI checks, in stages (each prints its wall time):
#   1. set-up (scripts/setup.sh);
#   2. the Release build of everything, tests included; with nvcc present the CUDA backend and the
#      GPU suites are compiled too, for sm_90a only here (CUDA_ARCHS overrides; the demo and
#      release builds keep "80;90a");
#   3. the unit tests (ctest label "unit", the fuzz corpora replayed among them; "gpu" needs a GPU
#      machine: ctest -L gpu);
#   4. the Python package (python/): installed into a virtual environment, its pytest suite run
#      against the binary from stage 2;
#   5. a real one-node Slurm cluster: sharded array job, merge and report, preemption (tests/slurm/);
#   6. libFuzzer: every fuzz target (one per parser) over its corpus, then fuzzed for RB_FUZZ_SECONDS
#      (default 60), clang with ASan + UBSan (scripts/fuzz.sh; FUZZ=0 skips it);
#   7. only with SANITIZE=1 (SANITIZE=all: the whole unit suite): AddressSanitizer +
#      UndefinedBehaviorSanitizer over the suites that parse files and untrusted input
#      (SANITIZE_TESTS, a ctest regex): model configs, safetensors, GGUF, tokenizers, datasets,
#      quantized formats, results files and journals, RoPE parameters, and the fuzz corpora. It is a
#      second full build (about 23 minutes on two cores), so CI leaves it to stage 6, whose corpora
#      hold the same parsers' findings.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
stage_start=$(date +%s)
stage() {
  local now
  now=$(date +%s)
  [ -z "${stage_name:-}" ] || echo "== $stage_name: $((now - stage_start)) s"
  stage_name="$1"
  stage_start=$now
  [ -z "$1" ] || echo "== $1"
}

stage "set-up"
eval "$("$root/scripts/setup.sh")"
export RB_SMOLLM2_GGUF

stage "build (Release, tests; CUDA sm_${CUDA_ARCHS:-90a} when nvcc is present)"
BUILD_DIR="$root/build" CUDA_ARCHS="${CUDA_ARCHS:-90a}" "$root/scripts/build.sh"

stage "unit tests"
(cd "$root/build" && ctest -L unit --output-on-failure -j"$jobs")

stage "python package"
venv="${ROPEBATCH_VENV:-$HOME/.cache/ropebatch/venv}"
"$venv/bin/pip" install -q -c "$root/python/constraints.txt" "$root/python[test]"
ROPEBATCH_BINARY="$root/build/harness/ropebatch" RB_FIXTURES="$root/tests/fixtures" \
  "$venv/bin/python" -m pytest -q "$root/python/tests"

stage "a real one-node Slurm cluster: sharded array job, merge and report, preemption"
bash "$root/tests/slurm/run_slurm_ci.sh" "$root/build"

if [ "${FUZZ:-1}" != 0 ]; then
  stage "libFuzzer: every target for ${RB_FUZZ_SECONDS:-60} s after its corpus (clang, ASan + UBSan)"
  RB_FUZZ_SECONDS="${RB_FUZZ_SECONDS:-60}" bash "$root/scripts/fuzz.sh"
fi

# The suites whose code reads files and command-line values; their libraries are all that the
# sanitizer build compiles (no CPU kernels, no CLI: those are covered by stage 3 and the fuzzers).
sanitize_tests="${SANITIZE_TESTS:-^(test_(common|config|safetensors|weights|gguf|tokenizer|datasets|quant|reports|rope)|fuzz_corpus_)}"
[ "${SANITIZE:-}" != all ] || sanitize_tests="^(test_|fuzz_corpus_)"
if [ -n "${SANITIZE:-}" ]; then
  stage "unit tests under ASan + UBSan ($sanitize_tests)"
  asan="$root/build-asan"
  BUILD_DIR="$asan" BUILD_TYPE=RelWithDebInfo TARGETS=none UNITY=ON "$root/scripts/build.sh" \
    -DROPEBATCH_SANITIZE=ON -DROPEBATCH_CUDA=OFF -DROPEBATCH_ARROW=OFF  # libarrow is not instrumented
  # A suite's target is its test's name; fuzz_corpus_NAME replays with the target fuzz_NAME.
  mapfile -t suites < <(cd "$asan" && ctest -N -L unit -R "$sanitize_tests" | sed -n 's/^ *Test *#[0-9]*: //p' |
                        sed 's/^fuzz_corpus_/fuzz_/' | sort -u)
  [ "${#suites[@]}" -gt 0 ] || { echo "test.sh: no suite matches $sanitize_tests" >&2; exit 1; }
  [ "${SANITIZE:-}" != all ] || suites+=(ropebatch)
  cmake --build "$asan" -j"$jobs" --target "${suites[@]}"
  # RB_SANITIZED: the tests that start MPI (ropebatch run) leak-check nothing in those processes
  # (Open MPI's plug-ins keep allocations LeakSanitizer cannot attribute); see tests/unit/cli_runner.hpp.
  (cd "$asan" && ASAN_OPTIONS=detect_leaks=1 RB_SANITIZED=1 \
     ctest -L unit -R "$sanitize_tests" --output-on-failure -j"$jobs")
fi

stage ""
echo "test.sh: all stages passed"
