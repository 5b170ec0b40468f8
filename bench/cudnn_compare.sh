#!/usr/bin/env bash
# The same rb_bench windows with two cuDNN 9 builds in one call: the one the loader finds by
# default ("default"; on the GPU nodes /lib/x86_64-linux-gnu's 9.14) and the one in
# RB_CMP_CUDNN_DIR ("alt"; default: the cuDNN of $PYTHON's torch, nvidia/cudnn/lib, the one
# transformers runs on), put first on the loader's path through a folder of links to its libcudnn*
# alone (so nothing else of that folder comes along); then transformers on the same shapes.
# bench/env_compare.sh runs the two as its variants; rb_bench's `config` field names the cuDNN
# each line ran with. Builds nothing.
#   OUT=/path/to/results bench/cudnn_compare.sh [BUILD_DIR]
# Environment: PYTHON (default python3); RB_CMP_SETS ("models@lengths;..."), default
# "llama-3-8b,qwen2.5-7b@32768,51200;tinyllama-1.1b@2048"; RB_CMP_OPS as env_compare.sh's.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:?set OUT to the results directory}"
PYTHON="${PYTHON:-python3}"
CUDNN_DIR="${RB_CMP_CUDNN_DIR:-$("$PYTHON" -c 'import nvidia.cudnn, os; print(os.path.join(list(nvidia.cudnn.__path__)[0], "lib"))')}"
mkdir -p "$OUT"

links="$OUT/.cudnn-links"
rm -rf "$links" && mkdir -p "$links"
ln -s "$CUDNN_DIR"/libcudnn*.so.9* "$links/"
ls -l "$links" >> "$OUT/compare.log"

RB_CMP_VARIANTS="default:LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-};alt:LD_LIBRARY_PATH=$links:${LD_LIBRARY_PATH:-}" \
RB_CMP_SETS="${RB_CMP_SETS:-llama-3-8b,qwen2.5-7b@32768,51200;tinyllama-1.1b@2048}" \
  "$HERE/env_compare.sh" "$@"
status=$?
rm -rf "$links"
exit $status
