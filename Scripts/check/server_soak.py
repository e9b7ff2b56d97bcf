"""Soak test of `quill serve`: for N minutes, W concurrent clients stream chat answers, hang up
mid-stream or mid-request, and send malformed requests (bad JSON, wrong types, oversized bodies,
unknown routes, bad parameters). At the end: the server is alive, /health answers, /metrics shows
no slot in use and nothing queued, and resident memory stayed roughly flat. Standard library only.

    Scripts/check/server_soak.py --minutes 3 [--clients 8] [--quill .build/release/quill] [--model M]
Exits 1 on a server crash, a 5xx, a leaked slot, or RSS growth past --max-rss-growth (default 25 %).
"""
import argparse
import http.client
import json
import os
import random
import socket
import sys
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quill_server import ROOT, QuillServer, default_model, default_quill  # noqa: E402

PROMPTS = ["Tell me about the sea.", "What is 2 + 2?", "Write a haiku about autumn.", "Name three colours.",
           "Explain photosynthesis briefly.", "Who wrote Hamlet?"]


class Soak:
    def __init__(self, port, model_id, seconds, max_body):
        self.port, self.model_id, self.end = port, model_id, time.time() + seconds
        self.max_body = max_body
        self.counts = Counter()           # outcome → number of requests
        self.tokens = 0
        self.problems = []                # unexpected outcomes, with what was sent
        self.lock = threading.Lock()

    def record(self, outcome, problem=None):
        with self.lock:
            self.counts[outcome] += 1
            if problem:
                self.problems.append(problem)

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def chat_body(self, rng, stream):
        return {"model": self.model_id, "stream": stream, "max_tokens": rng.randint(4, 48),
                "temperature": rng.choice([0, 0.7, 1.0]),
                "messages": [{"role": "user", "content": rng.choice(PROMPTS)}]}

    def stream(self, rng, hang_up_after=None):
        """A streamed chat answer read to [DONE], or dropped after `hang_up_after` events."""
        c = self.connection()
        c.request("POST", "/v1/chat/completions", json.dumps(self.chat_body(rng, True)), {"Content-Type": "application/json"})
        sock = c.sock                      # http.client lets go of it once a close-delimited answer starts
        r = c.getresponse()
        if r.status == 429:
            r.read(); c.close(); return self.record("429 busy")
        if r.status != 200:
            return self.record(f"stream {r.status}", f"stream answered {r.status}: {r.read()[:200]!r}")
        events = 0
        while True:
            line = r.fp.readline()
            if not line:
                c.close()
                return self.record("stream cut", "stream ended without [DONE]")
            if line.startswith(b"data: "):
                events += 1
                if line.strip() == b"data: [DONE]":
                    c.close(); return self.record("stream done")
                if b'"error"' in line[:20]:
                    c.close(); return self.record("stream error event", f"error event: {line[:200]!r}")
                with self.lock:
                    self.tokens += 1
                if hang_up_after is not None and events >= hang_up_after:
                    sock.shutdown(socket.SHUT_RDWR); sock.close(); r.close()
                    return self.record("hung up mid-stream")

    def whole(self, rng):
        c = self.connection()
        path, body = rng.choice([("/v1/chat/completions", self.chat_body(rng, False)),
                                 ("/v1/completions", {"model": self.model_id, "prompt": rng.choice(PROMPTS),
                                                      "max_tokens": rng.randint(2, 24), "n": rng.choice([1, 2])})])
        c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read(); c.close()
        if r.status == 200 and json.loads(data).get("usage"):
            return self.record("whole 200")
        if r.status == 429:
            return self.record("429 busy")
        self.record(f"whole {r.status}", f"{path} answered {r.status}: {data[:200]!r}")

    def malformed(self, rng):
        """A bad request: each must get its 4xx, never a 5xx or a dropped connection."""
        kind, path, body, want = rng.choice([
            ("bad json", "/v1/chat/completions", b'{"messages": [', 400),
            ("wrong type", "/v1/chat/completions", b'{"messages": "hi"}', 400),
            ("no messages", "/v1/chat/completions", b'{"model": "x"}', 400),
            ("bad top_p", "/v1/chat/completions", json.dumps({**self.chat_body(rng, False), "top_p": 7}).encode(), 400),
            ("bad role", "/v1/chat/completions", b'{"messages": [{"role": "robot", "content": "x"}]}', 400),
            ("unknown model", "/v1/completions", b'{"model": "nope", "prompt": "x"}', 404),
            ("unknown route", "/v1/nothing", b"{}", 404),
            ("binary junk", "/v1/completions", bytes(rng.randrange(256) for _ in range(300)), 400),
            ("too large", "/v1/chat/completions", b'{"messages": [{"role": "user", "content": "' + b"a" * (self.max_body + 10) + b'"}]}', 413),
        ])
        c = self.connection()
        try:
            c.request("POST", path, body, {"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
        except (ConnectionError, http.client.HTTPException) as e:
            # A server may close on an oversized body before reading it all; that is allowed for 413 only.
            c.close()
            return self.record(f"malformed {kind} closed") if want == 413 else \
                self.record(f"malformed {kind} dropped", f"{kind}: connection error {e!r}")
        c.close()
        ok = r.status == want and b'"error"' in data
        self.record(f"malformed {r.status}", None if ok else f"{kind}: want {want}, got {r.status} {data[:160]!r}")

    def half_request(self, rng):
        """Headers and part of a body, then hang up."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        body = json.dumps(self.chat_body(rng, rng.random() < 0.5)).encode()
        s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[: len(body) // 2])
        s.close()
        self.record("hung up mid-request")

    def client(self, seed):
        rng = random.Random(seed)
        while time.time() < self.end:
            roll = rng.random()
            try:
                if roll < 0.45: self.stream(rng)
                elif roll < 0.65: self.stream(rng, hang_up_after=rng.randint(1, 6))
                elif roll < 0.78: self.whole(rng)
                elif roll < 0.93: self.malformed(rng)
                else: self.half_request(rng)
            except Exception as e:  # noqa: BLE001 - any client-side failure is a finding
                self.record("client exception", f"{type(e).__name__}: {e}")
                time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--quill", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--max-rss-growth", type=float, default=0.25, help="allowed RSS growth after the first minute")
    args = parser.parse_args()
    quill, model = args.quill or default_quill(), args.model or default_model()
    max_body = 65536
    flags = ["--parallel", str(args.parallel), "--queue", "16", "--max-body", str(max_body)]
    print(f"soak: {args.minutes} min, {args.clients} clients, {args.parallel} slots; quill {os.path.relpath(quill, ROOT)}; "
          f"model {os.path.relpath(model, ROOT)}", flush=True)
    failures = []
    with QuillServer(quill, model, flags, name="soak") as server:
        model_id = server.get_json("/v1/models")["data"][0]["id"]
        seconds = args.minutes * 60
        soak = Soak(server.port, model_id, seconds, max_body)
        threads = [threading.Thread(target=soak.client, args=(i,), daemon=True) for i in range(args.clients)]
        start = time.time()
        for t in threads: t.start()
        rss = []                                    # (seconds, KiB)
        while time.time() < soak.end and server.alive():
            rss.append((time.time() - start, server.rss_kib()))
            time.sleep(5)
        for t in threads: t.join(timeout=150)
        alive = server.alive()
        if not alive:
            failures.append("server died: " + " | ".join(server.log[-5:]))
        else:
            deadline = time.time() + 20
            while time.time() < deadline:
                m = server.metrics()
                if m.get("quill_slots_busy") == 0 and m.get("quill_queue_depth") == 0: break
                time.sleep(0.2)
            rss.append((time.time() - start, server.rss_kib()))
            health = server.get_json("/health")
            if m.get("quill_slots_busy") != 0 or m.get("quill_queue_depth") != 0:
                failures.append(f"leaked: {m.get('quill_slots_busy')} slots busy, {m.get('quill_queue_depth')} queued 20 s after the end")
            print(f"health {health}; slots busy {m.get('quill_slots_busy'):.0f}, queued {m.get('quill_queue_depth'):.0f}")
        total = sum(soak.counts.values())
        print(f"{total} requests in {time.time() - start:.0f} s ({total / max(1, seconds):.1f}/s), {soak.tokens} streamed chunks:")
        for outcome, n in sorted(soak.counts.items(), key=lambda kv: -kv[1]):
            print(f"  {n:6d}  {outcome}")
        warm = [k for s, k in rss if s >= min(60, seconds / 3)] or [k for _, k in rss]
        print("RSS MiB: " + ", ".join(f"{s:.0f}s {k / 1024:.0f}" for s, k in rss[:: max(1, len(rss) // 12)] + rss[-1:]))
        if warm and warm[-1] > warm[0] * (1 + args.max_rss_growth):
            failures.append(f"RSS grew from {warm[0] / 1024:.0f} to {warm[-1] / 1024:.0f} MiB after warm-up")
        print(f"RSS after warm-up: {warm[0] / 1024:.0f} → {warm[-1] / 1024:.0f} MiB (min {min(warm) / 1024:.0f}, max {max(warm) / 1024:.0f})")
        if soak.problems:
            failures.append(f"{len(soak.problems)} unexpected answers, e.g. {soak.problems[:3]}")
    for f in failures:
        print("FAIL " + f)
    print("PASS soak" if not failures else f"FAIL soak ({len(failures)} problems)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
