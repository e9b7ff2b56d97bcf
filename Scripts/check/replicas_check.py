"""Two `quill serve` replicas behind nginx (Scripts/serve/replicas.py, deploy/nginx/*.conf) checked with
the official `openai` client: chat whole and streamed through the proxy, streams arriving unbuffered,
conversations kept on one replica by `X-Session-ID`, requests without one spread over both, and a
replica killed mid-stream: the client gets an error within seconds (never a hang), the retry is served
by the other replica, and the proxy keeps answering. One PASS/FAIL line per check; exits 1 if any fails.

    Scripts/setup/openai_check_venv.sh && apt-get install nginx
    .venv-check/bin/python Scripts/check/replicas_check.py [--quill .build/release/quill] [--model M]
(or `make check-replicas`).
"""
import argparse
import os
import sys
import threading
import time

import urllib.request

import openai

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "serve"))
from quill_server import default_model, default_quill  # noqa: E402
from replicas import ReplicaSet  # noqa: E402
from check_support import check, expect, summary  # noqa: E402





def ask(client, text, session=None, max_tokens=8):
    """One chat request; returns (upstream address that served it, content)."""
    headers = {"X-Session-ID": session} if session else {}
    raw = client.chat.completions.with_raw_response.create(
        model="quill", messages=[{"role": "user", "content": text}], max_tokens=max_tokens, temperature=0,
        extra_headers=headers)
    return raw.headers.get("x-quill-upstream"), raw.parse().choices[0].message.content


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--quill", default=None)
    p.add_argument("--model", default=None)
    a = p.parse_args()
    with ReplicaSet(a.quill or default_quill(), a.model or default_model(), replicas=2, threads=1,
                    extra=["--model-id", "quill"]) as rs:
        client = openai.OpenAI(base_url=rs.base_url + "/v1", api_key="none", max_retries=0, timeout=60)
        replicas = {rs.upstream(0): 0, rs.upstream(1): 1}

        @check("chat through nginx, whole and streamed with the client's iterator")
        def _():
            upstream, text = ask(client, "Say hello.")
            expect(upstream in replicas and text, f"upstream {upstream}, text {text!r}")
            stream = client.chat.completions.create(model="quill", messages=[{"role": "user", "content": "Count to five."}],
                                                    max_tokens=16, temperature=0, stream=True)
            pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
            expect("".join(pieces), "the stream carried no text")
            return f"{len(pieces)} chunks"

        @check("a stream arrives as it is generated, not buffered by the proxy")
        def _():
            start = time.time(); stamps = []
            stream = client.chat.completions.create(model="quill", messages=[{"role": "user", "content": "Tell me a long story."}],
                                                    max_tokens=96, temperature=0, stream=True)
            for c in stream:
                if c.choices and c.choices[0].delta.content:
                    stamps.append(time.time() - start)
            expect(len(stamps) >= 20, f"only {len(stamps)} content chunks")
            spread = (stamps[-1] - stamps[0]) / stamps[-1]
            # Buffered, every chunk would land together at the end (spread ≈ 0).
            expect(spread > 0.5, f"chunks arrived within the last {100 * (1 - spread):.0f}% of the request")
            return f"first chunk at {stamps[0]:.2f} s, last at {stamps[-1]:.2f} s"

        @check("X-Session-ID keeps a conversation on one replica; sessions use both")
        def _():
            served = {}
            for s in range(8):
                seen = {ask(client, "Hi.", session=f"session-{s}", max_tokens=2)[0] for _ in range(3)}
                expect(len(seen) == 1, f"session-{s} went to {seen}")
                served[s] = seen.pop()
            expect(set(served.values()) == set(replicas), f"sessions all on {set(served.values())}")
            return ", ".join(f"s{s}→r{replicas[u]}" for s, u in served.items())

        @check("requests without a session are spread over both replicas")
        def _():
            seen = [ask(client, "Hi.", max_tokens=2)[0] for _ in range(12)]
            expect(set(seen) == set(replicas), f"all went to {set(seen)}")
            return f"{seen.count(rs.upstream(0))} / {seen.count(rs.upstream(1))}"

        @check("a replica killed mid-stream: the client errors within seconds, the retry is served, nothing hangs")
        def _():
            session = next(f"victim-{i}" for i in range(100) if ask(client, "Hi.", f"victim-{i}", 1)[0] == rs.upstream(0))
            outcome = {}

            def stream_until_killed():
                try:
                    stream = client.chat.completions.create(
                        model="quill", messages=[{"role": "user", "content": "Write a very long essay."}],
                        max_tokens=2000, stream=True, extra_headers={"X-Session-ID": session})
                    for c in stream:
                        if c.choices and c.choices[0].delta.content and "killed_at" not in outcome:
                            outcome["killed_at"] = time.time()
                            rs.kill_replica(0)
                        if c.choices and c.choices[0].finish_reason:
                            outcome["done"] = True
                except Exception as e:  # noqa: BLE001 - the error the client should see
                    outcome["error"] = f"{type(e).__name__} ({e})"
                outcome["ended_at"] = time.time()

            t = threading.Thread(target=stream_until_killed, daemon=True)
            t.start(); t.join(60)
            expect(not t.is_alive(), "the client still waits 60 s after the kill")
            expect("killed_at" in outcome and not outcome.get("done"), f"stream outcome {outcome}")
            expect("error" in outcome, f"the cut stream ended without an error the client can see: {outcome}")
            waited = outcome["ended_at"] - outcome["killed_at"]
            expect(waited < 10, f"the error came {waited:.1f} s after the kill")
            upstream, text = ask(client, "Hi again.", session=session, max_tokens=4)
            expect(upstream == rs.upstream(1) or upstream.endswith(rs.upstream(1)), f"retry served by {upstream}")
            for i in range(6):
                ask(client, "Still there?", session=f"after-{i}", max_tokens=2)
            with urllib.request.urlopen(rs.base_url + "/health", timeout=10) as h:
                expect(h.status == 200, "/health through nginx failed")
            return f"client saw {outcome['error']} {waited:.2f} s after the kill; retry on replica 1"

    sys.exit(summary("replica checks"))


if __name__ == "__main__":
    main()
