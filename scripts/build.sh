#!/usr/bin/env bash
# Configures and builds ropebatch into BUILD_DIR (default build/). Settings (environment):
#   TARGETS="ropebatch"   build only these targets (default: all, the test suites included;
#                         "none": configure only)
#   TESTS=OFF             do not configure the test suites at all (default ON)
#   CUDA_ARCHS="90a"      CUDA architectures, used when nvcc is found (default "80;90a")
#   CUDA=OFF              no CUDA backend even when nvcc is found (default: built when found)
#   UNITY=ON              a unity build (CMAKE_UNITY_BUILD, 16 sources per unit): about half the
#                         compile time on two cores; the demo's first build uses it
#   BUILD_TYPE, JOBS      CMake build type (default Release), parallel jobs (default: all cores)
# The CUDA backend is built whenever nvcc is found (unless CUDA=OFF). ccache is used when installed. Extra CMake
# arguments pass through.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$root/build}"
args=(-S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" -DROPEBATCH_TESTS="${TESTS:-ON}")
if [ "${CUDA:-ON}" = OFF ]; then
  args+=(-DROPEBATCH_CUDA=OFF)
elif command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="$PATH:/usr/local/cuda/bin"
  args+=(-DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-80;90a}")
fi
if [ "${UNITY:-OFF}" = ON ]; then
  args+=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)
fi
if command -v ccache >/dev/null 2>&1; then
  args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
cmake "${args[@]}" "$@" >/dev/null
[ "${TARGETS:-}" != none ] || exit 0
targets=()
for t in ${TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build" -j"${JOBS:-$(nproc)}" "${targets[@]}"
