#!/usr/bin/env bash
# Quill vs llama.cpp's own llama-bench on the same GGUF files, pp512 and tg128 at 1 and 2 threads,
# interleaved file by file in one run; prints a markdown table with Quill/llama.cpp ratios.
# Files: GPT-2-124M-shaped random weights (F32, F16, Q8_0, Q4_0), SmolLM2-135M-Instruct as shipped (Q4_1)
# and requantized by `quill quantize` from it (Q4_K_M, Q6_K, Q8_0 — requantized, so for speed only).
# Needs: swift build -c release --product quill; llama-bench from Scripts/setup/llamacpp.sh.
# Usage: Scripts/bench/llamacpp.sh [workdir]     (env: LLAMA_BENCH, MODELS, THREADS, REPS)
#   MODELS: space-separated names among gpt2-f32 gpt2-f16 gpt2-q8_0 gpt2-q4_0 smollm2-q4_1 smollm2-q4_k_m
#           smollm2-q6_k smollm2-q8_0 (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${1:-/tmp/quill-bench-gguf}
LLAMA_BENCH=${LLAMA_BENCH:-/work/peers/llama.cpp/build/bin/llama-bench}
MODELS=${MODELS:-"gpt2-f32 gpt2-f16 gpt2-q8_0 gpt2-q4_0 smollm2-q4_1 smollm2-q4_k_m smollm2-q6_k smollm2-q8_0"}
THREADS=${THREADS:-"1 2"}
REPS=${REPS:-3}
QUILL=.build/release/quill
SMOLLM2=.assets/SmolLM2-135M-Instruct.Q4_1.gguf
[ -x "$QUILL" ] || { echo "build first: swift build -c release --product quill" >&2; exit 1; }
[ -x "$LLAMA_BENCH" ] || { echo "no llama-bench at $LLAMA_BENCH (run Scripts/setup/llamacpp.sh)" >&2; exit 1; }
mkdir -p "$WORK"

file_for() {   # prints the GGUF path for a model name, creating it when missing
  local name=$1 f="$WORK/$1.gguf"
  case "$name" in
    gpt2-*) [ -f "$f" ] || "$QUILL" bench generate --random-gpt2-124m --type "${name#gpt2-}" --save-gguf "$f" \
                             --prompt-tokens 0 --gen-tokens 0 >&2 ;;
    smollm2-q4_1) f=$SMOLLM2 ;;
    smollm2-*) [ -f "$f" ] || "$QUILL" quantize --type "${name#smollm2-}" "$SMOLLM2" "$f" >&2 ;;
  esac
  echo "$f"
}

RESULTS="$WORK/results.jsonl"; : > "$RESULTS"
echo "start: $(uptime)" >&2      # only valid on an otherwise idle host: the load average is reported
for m in $MODELS; do
  f=$(file_for "$m")
  for n in $THREADS; do
    q=$("$QUILL" bench generate --model "$f" --threads "$n" --repetitions "$REPS" --json)
    l=$("$LLAMA_BENCH" -m "$f" -t "$n" -r "$REPS" -p 512 -n 128 -o json 2>/dev/null)
    python3 - "$m" "$n" "$q" "$l" >> "$RESULTS" <<'PY'
import json, sys
name, threads, q, l = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
pp = next(r for r in l if r["n_prompt"] > 0 and r["n_gen"] == 0)
tg = next(r for r in l if r["n_gen"] > 0 and r["n_prompt"] == 0)
print(json.dumps({"model": name, "threads": threads, "quill": q,
                  "llamacpp": {"prefill_tokens_per_second": pp["avg_ts"], "prefill_stddev": pp["stddev_ts"],
                               "decode_tokens_per_second": tg["avg_ts"], "decode_stddev": tg["stddev_ts"]}}))
PY
    tail -n 1 "$RESULTS" >&2
  done
done
echo "end: $(uptime)" >&2
python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| model | threads | pp512 Quill | pp512 llama-bench | ratio | tg128 Quill | tg128 llama-bench | ratio |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    q, l = r["quill"], r["llamacpp"]
    pq, pl = q["prefill_tokens_per_second"], l["prefill_tokens_per_second"]
    dq, dl = q["decode_tokens_per_second"], l["decode_tokens_per_second"]
    print(f"| {r['model']} | {r['threads']} | {pq:.0f} ± {q['prefill_stddev']:.0f} | {pl:.0f} ± {l['prefill_stddev']:.0f} | {pq/pl:.2f}× "
          f"| {dq:.1f} ± {q['decode_stddev']:.1f} | {dl:.1f} ± {l['decode_stddev']:.1f} | {dq/dl:.2f}× |")
PY
