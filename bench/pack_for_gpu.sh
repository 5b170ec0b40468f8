#!/usr/bin/env bash
# Packs what a GPU node needs to run the GPU tests and benchmarks of a build made here (built with
# -DCMAKE_CUDA_ARCHITECTURES=90a): the ropebatch binary, the GPU test executables, rb_bench and
# rb_load_bench, the CTest files, and the shared libraries the nodes lack
# (../shared/device/bundle-libs.sh), into DEST/gpu-build.tar.xz. On the node, from the repository
# root (the tests read fixtures by the absolute path they were built with, /work/main here):
#   mkdir -p /work && ln -sfn "$PWD" /work/main && tar xJf DEST/gpu-build.tar.xz
#   export LD_LIBRARY_PATH=$PWD/build/gpu-libs:$LD_LIBRARY_PATH
#   bench/pack_for_gpu.sh BUILD_DIR DEST
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?build dir}" && pwd)
dest=${2:?destination folder}
mkdir -p "$dest"
rel=$(realpath --relative-to="$root" "$build")
bins=("$build/harness/ropebatch" "$build"/tests/gpu_test_* "$build/bench/rb_bench" "$build/bench/rb_load_bench")
rm -rf "$build/gpu-libs"
bash "$root/../shared/device/bundle-libs.sh" "$build/gpu-libs" "${bins[@]}" >/dev/null
list=()
for f in "${bins[@]}" "$build/gpu-libs" $(cd "$build" && find . -name CTestTestfile.cmake | sed "s|^\.|$build|"); do
  list+=("$rel/$(realpath --relative-to="$build" "$f")")
done
(cd "$root" && tar cJf "$dest/gpu-build.tar.xz" "${list[@]}")
du -h "$dest/gpu-build.tar.xz"
