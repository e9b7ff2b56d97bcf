#!/usr/bin/env bash
# Quill vs llama.cpp on the same GPT-2-124M-shaped random GGUF files (F32, F16, Q8_0, Q4_0), pp512 and
# tg128 at 1 and 2 threads, in one run; prints a markdown table with Quill/llama.cpp ratios.
# Needs a release build (swift build -c release) and the llama.cpp venv (Scripts/llamacpp_setup.sh).
# Usage: Scripts/bench_llamacpp.sh [workdir]        (env: VENV, TYPES, THREADS, REPS)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/quill-bench-gguf}
VENV=${VENV:-/work/venv-llamacpp}
TYPES=${TYPES:-"f32 f16 q8_0 q4_0"}
THREADS=${THREADS:-"1 2"}
REPS=${REPS:-3}
QUILL=.build/release/quill
[ -x "$QUILL" ] || { echo "build first: swift build -c release" >&2; exit 1; }
"$VENV/bin/python" -c "import llama_cpp" || { echo "no llama_cpp in $VENV (run Scripts/llamacpp_setup.sh)" >&2; exit 1; }
mkdir -p "$WORK"
for t in $TYPES; do
  f="$WORK/gpt2-124m-$t.gguf"
  [ -f "$f" ] || "$QUILL" bench generate --random-gpt2-124m --type "$t" --save-gguf "$f" --prompt-tokens 0 --gen-tokens 0
done
RESULTS="$WORK/results.jsonl"; : > "$RESULTS"
echo "start: $(uptime)" >&2      # timings are only valid on an otherwise idle host: report the load average
for t in $TYPES; do
  f="$WORK/gpt2-124m-$t.gguf"
  for n in $THREADS; do
    q=$("$QUILL" bench generate --model "$f" --threads "$n" --repetitions "$REPS" --json)
    l=$("$VENV/bin/python" Scripts/llamacpp_bench.py "$f" --threads "$n" --repetitions "$REPS")
    echo "{\"type\": \"$t\", \"threads\": $n, \"quill\": $q, \"llamacpp\": $l}" >> "$RESULTS"
    echo "$t, $n threads: quill $q | llama.cpp $l" >&2
  done
done
echo "end: $(uptime)" >&2
python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| type | threads | pp512 Quill | pp512 llama.cpp | ratio | tg128 Quill | tg128 llama.cpp | ratio |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    q, l = r["quill"], r["llamacpp"]
    pq, pl = q["prefill_tokens_per_second"], l["prefill_tokens_per_second"]
    dq, dl = q["decode_tokens_per_second"], l["decode_tokens_per_second"]
    print(f"| {r['type'].upper()} | {r['threads']} | {pq:.0f} ± {q['prefill_stddev']:.0f} | {pl:.0f} ± {l['prefill_stddev']:.0f} | {pq/pl:.2f}× "
          f"| {dq:.1f} ± {q['decode_stddev']:.1f} | {dl:.1f} ± {l['decode_stddev']:.1f} | {dq/dl:.2f}× |")
PY
