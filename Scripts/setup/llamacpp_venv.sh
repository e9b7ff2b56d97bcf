#!/usr/bin/env bash
# Creates the throwaway llama.cpp venv used by Scripts/check/llamacpp_parity.py, OUTSIDE the repository
# (default /work/venv-llamacpp). llama-cpp-python's sdist compiles llama.cpp (CPU only): slow on 2 cores.
# Usage: Scripts/setup/llamacpp_venv.sh [venv-dir]     → touches <venv-dir>/READY when done.
# safetensors: Scripts/reference/gpt2_reference.py and llama_reference.py (imported by the parity script) need it.
set -euo pipefail
VENV=${1:-/work/venv-llamacpp}
if [ -f "$VENV/READY" ]; then echo "$VENV is ready"; exit 0; fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --upgrade pip
# CMAKE_BUILD_PARALLEL_LEVEL=2: use the two cores, no more; nice so other work keeps its share.
CMAKE_BUILD_PARALLEL_LEVEL=2 CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_CURL=OFF" \
  nice -n 10 "$VENV/bin/pip" install --no-cache-dir llama-cpp-python numpy gguf safetensors
"$VENV/bin/python" -c "import llama_cpp, gguf, numpy, safetensors; print('llama_cpp', llama_cpp.__version__)"
touch "$VENV/READY"
