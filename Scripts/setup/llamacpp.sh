#!/usr/bin/env bash
# Builds llama.cpp's own binaries (llama-bench, llama-tokenize, llama-server, llama-cli and libllama.so)
# from the llama.cpp vendored in the llama-cpp-python 0.3.36 sdist, OUTSIDE the repository, and a venv
# whose llama-cpp-python uses that libllama.so (no second compile). These are the peers of
# Scripts/bench and Scripts/reference; never part of `make test`. ~10 minutes on 2 cores.
# Usage: Scripts/setup/llamacpp.sh [PEERS_DIR=/work/peers]
#   then: PEERS_DIR/llama.cpp/build/bin/llama-bench ...
#         LLAMA_CPP_LIB_PATH=PEERS_DIR/llama.cpp/build/bin PEERS_DIR/venv/bin/python Scripts/reference/...
set -euo pipefail
PEERS=${1:-/work/peers}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
# A system CMake: the sdist's metadata step (scikit-build-core) and the build both need one >= 3.21.
command -v cmake >/dev/null || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq cmake; }
mkdir -p "$PEERS"
cd "$PEERS"
[ -f llama_cpp_python-0.3.36.tar.gz ] || python3 -m pip download --no-deps -q -d . llama-cpp-python==0.3.36
[ -d llama_cpp_python-0.3.36 ] || tar -xzf llama_cpp_python-0.3.36.tar.gz
ln -sfn "$PEERS/llama_cpp_python-0.3.36/vendor/llama.cpp" llama.cpp
if [ ! -x llama.cpp/build/bin/llama-server ]; then
  (cd llama.cpp && cmake -B build -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DCMAKE_BUILD_TYPE=Release \
     && nice -n 10 cmake --build build -j2 --target llama-bench llama-tokenize llama-server llama-cli)
fi
if [ ! -x venv/bin/python ]; then
  python3 -m venv venv
  CMAKE_ARGS="-DLLAMA_BUILD=OFF -DLLAVA_BUILD=OFF" venv/bin/pip install -q ./llama_cpp_python-0.3.36.tar.gz numpy safetensors gguf
fi
LLAMA_CPP_LIB_PATH="$PEERS/llama.cpp/build/bin" venv/bin/python -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__, 'over', '$PEERS/llama.cpp/build/bin')"
