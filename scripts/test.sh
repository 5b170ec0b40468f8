#!/usr/bin/env bash
# Everything CI checks: set-up, the full build (CUDA backend included when nvcc is present), the
# unit tests (the fuzz corpora replayed among them), the Slurm proof on a one-node cluster, then the
# unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# GPU tests (ctest label "gpu") are skipped here; run them on a GPU machine with `ctest -L gpu`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$root/scripts/setup.sh")"
export RB_SMOLLM2_GGUF

echo "== build (Release)"
BUILD_DIR="$root/build" "$root/scripts/build.sh"
echo "== unit tests"
(cd "$root/build" && ctest -L unit --output-on-failure -j"$(nproc)")

echo "== a real one-node Slurm cluster: sharded array job, merge and report, preemption (tests/slurm/)"
bash "$root/tests/slurm/run_slurm_ci.sh" "$root/build"

echo "== unit tests under ASan + UBSan"
BUILD_DIR="$root/build-asan" BUILD_TYPE=RelWithDebInfo "$root/scripts/build.sh" \
  -DROPEBATCH_SANITIZE=ON -DROPEBATCH_CUDA=OFF
# RB_SANITIZED: the tests that start MPI (ropebatch run) leak-check nothing in those processes
# (Open MPI's plug-ins keep allocations LeakSanitizer cannot attribute); see tests/unit/cli_runner.hpp.
(cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 RB_SANITIZED=1 \
   ctest -L unit --output-on-failure -j"$(nproc)")
