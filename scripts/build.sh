#!/usr/bin/env bash
# Configures and builds ropebatch into BUILD_DIR (default build/). The CUDA backend is built when
# nvcc is found (CUDA_ARCHS, default "80;90a"). Extra CMake arguments pass through.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-$root/build}"
args=(-S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}")
if command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="$PATH:/usr/local/cuda/bin"
  args+=(-DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-80;90a}")
fi
cmake "${args[@]}" "$@" >/dev/null
cmake --build "$build" -j"${JOBS:-$(nproc)}"
