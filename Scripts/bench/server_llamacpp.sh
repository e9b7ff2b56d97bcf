#!/usr/bin/env bash
# Serving load test: ../shared/tools/bench_server.py (run as it is) against `quill serve` and llama.cpp's
# `llama-server` on the same GGUF (SmolLM2-135M-Instruct as shipped), same slots, threads and context,
# one server at a time, interleaved per concurrency level; prints one JSON line per run and a table.
# Needs: swift build -c release --product quill; llama-server from Scripts/setup/llamacpp.sh; httpx
# (a venv: python3 -m venv /work/peers/bench-venv && /work/peers/bench-venv/bin/pip install httpx).
# Usage: Scripts/bench/server_llamacpp.sh      (env: LLAMA_SERVER, PY, MODEL, SLOTS, THREADS, LEVELS, REQUESTS, MAX_TOKENS)
set -euo pipefail
cd "$(dirname "$0")/../.."
LLAMA_SERVER=${LLAMA_SERVER:-/work/peers/llama.cpp/build/bin/llama-server}
PY=${PY:-/work/peers/bench-venv/bin/python}
BENCH=${BENCH:-../shared/tools/bench_server.py}
MODEL=${MODEL:-.assets/SmolLM2-135M-Instruct.Q4_1.gguf}
SLOTS=${SLOTS:-4}; THREADS=${THREADS:-2}; CTX=${CTX:-2048}
LEVELS=${LEVELS:-"1 4"}; REQUESTS=${REQUESTS:-16}; MAX_TOKENS=${MAX_TOKENS:-64}
QUILL=.build/release/quill
[ -x "$QUILL" ] || { echo "build first: swift build -c release --product quill" >&2; exit 1; }
[ -x "$LLAMA_SERVER" ] || { echo "no llama-server at $LLAMA_SERVER (run Scripts/setup/llamacpp.sh)" >&2; exit 1; }
[ -f "$MODEL" ] || { echo "no $MODEL (Scripts/setup/fetch_assets.sh fetches it)" >&2; exit 1; }
"$PY" -c "import httpx" 2>/dev/null || { echo "$PY lacks httpx (see the header)" >&2; exit 1; }

PORT_QUILL=18431; PORT_LLAMA=18432
wait_ready() {   # polls /v1/models until the server answers (120 s at most)
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$1/v1/models" >/dev/null 2>&1 && return 0; sleep 0.5
  done
  echo "server on port $1 did not come up" >&2; return 1
}
start_quill() {
  "$QUILL" serve --model "$MODEL" --port $PORT_QUILL --parallel "$SLOTS" --threads "$THREADS" \
    --ctx-size $((CTX / SLOTS)) --model-id smollm2 > /tmp/bench-quill-serve.log 2>&1 &
  echo $!
}
start_llama() {   # -c is the whole cache, split across the slots: the same positions per sequence as Quill
  "$LLAMA_SERVER" -m "$MODEL" --port $PORT_LLAMA -np "$SLOTS" -t "$THREADS" -c "$CTX" \
    > /tmp/bench-llama-server.log 2>&1 &
  echo $!
}

RESULTS=/tmp/bench-server-results.jsonl; : > "$RESULTS"
echo "start: $(uptime)" >&2
for c in $LEVELS; do
  for server in quill llama-server; do
    if [ $server = quill ]; then pid=$(start_quill); port=$PORT_QUILL; else pid=$(start_llama); port=$PORT_LLAMA; fi
    wait_ready $port
    "$PY" "$BENCH" "http://127.0.0.1:$port" --concurrency 1 --requests 2 --max-tokens 8 --json >/dev/null   # warm-up
    out=$("$PY" "$BENCH" "http://127.0.0.1:$port" --concurrency "$c" --requests "$REQUESTS" --max-tokens "$MAX_TOKENS" --json)
    kill $pid; wait $pid 2>/dev/null || true
    echo "{\"server\": \"$server\", \"concurrency\": $c, \"result\": $out}" | tee -a "$RESULTS" >&2
  done
done
echo "end: $(uptime)" >&2
python3 - "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted({k for r in rows for k in r["result"]})
print("| server | concurrency | " + " | ".join(keys) + " |")
print("|---|---|" + "---|" * len(keys))
for r in rows:
    cells = [f"{r['result'][k]:.3g}" if isinstance(r["result"].get(k), (int, float)) else str(r["result"].get(k)) for k in keys]
    print(f"| {r['server']} | {r['concurrency']} | " + " | ".join(cells) + " |")
PY
