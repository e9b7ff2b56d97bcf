#!/usr/bin/env bash
# Tokenizer benchmark: Quill vs tiktoken (encode, single thread, same corpus, same run), GPT-2 vocabulary
# load time, and BPE training of an 8k vocabulary (Quill vs Hugging Face tokenizers' BpeTrainer).
# Creates a throwaway venv with tiktoken and tokenizers (reuses .venv-tok/ when present).
#   Scripts/bench/tokenizer.sh [corpus]      (default .assets/shakespeare.txt)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
corpus="${1:-.assets/shakespeare.txt}"
assets="${QUILL_ASSETS:-$root/.assets}"
venv="$root/.venv-tok"
if [ ! -x "$venv/bin/python" ]; then
  venv="$(mktemp -d)/venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install -q tiktoken tokenizers
fi
swift build -c release --product quill >/dev/null
quill="$root/.build/release/quill"

echo "== Quill (release build, $(nproc) cores) =="
quill_out=$(QUILL_ASSETS="$assets" "$quill" tokenize --tokenizer gpt2 --file "$corpus" --benchmark)
echo "$quill_out"
train_start=$(date +%s.%N)
"$quill" tokenizer train --vocab-size 8192 "$corpus" -o "$(mktemp -d)" 2>/dev/null
train_end=$(date +%s.%N)
quill_train=$(echo "$train_end - $train_start" | bc)
echo "quill tokenizer train 8192 (whole command, incl. reading): ${quill_train} s"

echo "== tiktoken / HF tokenizers =="
QUILL_OUT="$quill_out" QUILL_TRAIN="$quill_train" "$venv/bin/python" - "$corpus" "$assets/gpt2.tiktoken" <<'PY'
import base64, os, re, sys, time
import tiktoken
from tokenizers import Tokenizer, models, pre_tokenizers, trainers, decoders
corpus, rank_file = sys.argv[1], sys.argv[2]
text = open(corpus, encoding="utf-8").read()
mb = len(text.encode()) / 1e6
t = time.perf_counter()
ranks = {}
for line in open(rank_file, "rb"):
    if line.strip():
        tok, r = line.split(); ranks[base64.b64decode(tok)] = int(r)
pat = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
enc = tiktoken.Encoding("gpt2", pat_str=pat, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": 50256})
print(f"tiktoken load (Python parse + Encoding): {(time.perf_counter() - t) * 1000:.1f} ms")
walls, cpus = [], []
for _ in range(11):
    w, c = time.perf_counter(), time.thread_time()
    ids = enc.encode_ordinary(text)
    cpus.append(time.thread_time() - c); walls.append(time.perf_counter() - w)
best_wall, best_cpu = min(walls), min(cpus)
med_wall, med_cpu = sorted(walls)[len(walls) // 2], sorted(cpus)[len(cpus) // 2]
print(f"tiktoken encode_ordinary: {len(ids)} tokens, best of 11: wall {mb / best_wall:.1f} MB/s, thread CPU {mb / best_cpu:.1f} MB/s;"
      f" median: wall {mb / med_wall:.1f} MB/s, thread CPU {mb / med_cpu:.1f} MB/s")
quill = os.environ["QUILL_OUT"]
qw, qc = map(float, re.search(r"serial: .*?= ([\d.]+) MB/s; thread CPU .*?= ([\d.]+) MB/s", quill).groups())
qmw, qmc = map(float, re.search(r"serial median .*?= ([\d.]+) MB/s; thread CPU .*?= ([\d.]+) MB/s", quill).groups())
qp = float(re.search(r"parallel .*?= ([\d.]+) MB/s", quill).group(1))
qtokens = int(re.search(r"serial: (\d+) tokens", quill).group(1))
print(f"same token count as Quill: {qtokens == len(ids)}")
print(f"RATIO single thread, best (Quill / tiktoken): wall {qw / (mb / best_wall):.1f}x, thread CPU {qc / (mb / best_cpu):.1f}x;"
      f" Quill parallel / tiktoken: {qp / (mb / best_wall):.1f}x")
print(f"RATIO single thread, median (Quill / tiktoken): wall {qmw / (mb / med_wall):.1f}x, thread CPU {qmc / (mb / med_cpu):.1f}x")
hf = Tokenizer(models.BPE())
hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
hf.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=8192, special_tokens=["<|endoftext|>"], show_progress=False,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
t = time.perf_counter()
hf.train([corpus], trainer)
hf_train = time.perf_counter() - t
print(f"HF tokenizers BpeTrainer 8192: {hf_train:.2f} s (RAYON threads: {os.environ.get('RAYON_NUM_THREADS', 'all cores')})")
print(f"RATIO training (HF / Quill): {hf_train / float(os.environ['QUILL_TRAIN']):.1f}x")
PY
