"""Aggregate serving throughput of 1 vs 2 `quill serve` replicas (one thread each) behind nginx, with
../shared/tools/bench_server.py run as it is against the proxy. One JSON line per run, then a table.

    python3 Scripts/bench/replicas_bench.py [--python /work/peers/bench-venv/bin/python] \
        [--concurrency 4] [--requests 32] [--max-tokens 64] [--quill .build/release/quill] [--model M]
bench_server.py needs httpx: python3 -m venv /work/peers/bench-venv && /work/peers/bench-venv/bin/pip install httpx
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "serve"))
from replicas import ROOT, ReplicaSet, default_model  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--python", default="/work/peers/bench-venv/bin/python")
    p.add_argument("--bench", default=os.path.join(ROOT, "..", "shared", "tools", "bench_server.py"))
    p.add_argument("--quill", default=os.path.join(ROOT, ".build", "release", "quill"))
    p.add_argument("--model", default=None)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--requests", type=int, default=32)
    p.add_argument("--max-tokens", type=int, default=64)
    p.add_argument("--parallel", type=int, default=4, help="slots per replica")
    a = p.parse_args()
    if not os.path.exists(a.quill):
        sys.exit(f"no {a.quill}: swift build -c release --product quill")
    rows = []
    for n in (1, 2):
        with ReplicaSet(a.quill, a.model or default_model(), replicas=n, threads=1,
                        extra=["--parallel", str(a.parallel), "--ctx-size", "512"]) as rs:
            run = [a.python, a.bench, rs.base_url, "--max-tokens", str(a.max_tokens), "--json"]
            subprocess.run(run[:3] + ["--concurrency", "1", "--requests", "2", "--max-tokens", "8", "--json"],
                           check=True, stdout=subprocess.DEVNULL)                 # warm-up
            out = subprocess.run(run + ["--concurrency", str(a.concurrency), "--requests", str(a.requests)],
                                 check=True, capture_output=True, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            rows.append((n, result))
            print(json.dumps({"replicas": n, "threads_each": 1, "concurrency": a.concurrency, "result": result}), flush=True)
    keys = sorted({k for _, r in rows for k in r})
    print("| replicas | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for n, r in rows:
        print(f"| {n} | " + " | ".join(f"{r[k]:.3g}" if isinstance(r.get(k), (int, float)) else str(r.get(k)) for k in keys) + " |")


if __name__ == "__main__":
    main()
