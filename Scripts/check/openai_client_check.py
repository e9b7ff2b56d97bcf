"""The official `openai` Python client against a live `quill serve`: chat (whole and streamed, chunk
by chunk), legacy completions, embeddings, logprobs, seeds, and every error class the client maps
statuses to; plus seed 002's own `openai==0.28` example run in a second venv. One PASS/FAIL line per
check; exits 1 if any fails. The servers are started here on free loopback ports and always stopped.

    Scripts/setup/openai_check_venv.sh            # .venv-check (openai 1.x+) and .venv-openai028
    .venv-check/bin/python Scripts/check/openai_client_check.py [--quill .build/debug/quill] [--model M]
(or `make check-openai`, which does both.)
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import openai

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quill_server import ROOT, QuillServer, default_model, default_quill  # noqa: E402
from openai_tool_checks import run_tool_checks  # noqa: E402
from check_support import check, expect, results, summary  # noqa: E402

KEY = "sk-quill-check"




def raw_sse(base_url, path, body, headers=None):
    """POSTs `body` and returns the SSE `data:` payloads as sent (to see `[DONE]`, which the client hides)."""
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=120) as r:
        expect(r.headers.get("Content-Type", "").startswith("text/event-stream"),
               f"Content-Type is {r.headers.get('Content-Type')!r}, not text/event-stream")
        text = r.read().decode()
    events = [e for e in text.split("\n\n") if e.strip()]
    for e in events:
        expect(e.startswith("data: "), f"an SSE event does not start with 'data: ': {e[:80]!r}")
    return [e[len("data: "):] for e in events]


def post_json(url, body):
    """POSTs `body` as JSON and returns the parsed answer."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        return json.loads(r.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quill", default=None, help="quill binary (default: newest of .build/{release,debug}/quill)")
    parser.add_argument("--model", default=None, help="model to serve (default: SmolLM2 from .assets, else Models/shakespeare-gpt)")
    parser.add_argument("--embedding-model", default=os.path.join(ROOT, ".assets", "all-MiniLM-L6-v2"))
    parser.add_argument("--legacy-python", default=os.path.join(ROOT, ".venv-openai028", "bin", "python"),
                        help="python of a venv with openai==0.28 (seed 002's example)")
    args = parser.parse_args()
    quill = args.quill or default_quill()
    model = args.model or default_model()
    embedder = args.embedding_model if os.path.isdir(args.embedding_model) else None
    print(f"openai {openai.__version__}; quill {os.path.relpath(quill, ROOT)}; model {os.path.relpath(model, ROOT)}; "
          f"embeddings {os.path.relpath(embedder, ROOT) if embedder else 'none (MiniLM not in .assets)'}", flush=True)

    main_flags = ["--parallel", "4"] + (["--embedding-model", embedder] if embedder else [])
    # One slot, no queue, a key: the second concurrent request is refused with 429 deterministically.
    strict_flags = ["--parallel", "1", "--queue", "0", "--api-key", KEY]
    with QuillServer(quill, model, main_flags, name="main") as server, \
         QuillServer(quill, model, strict_flags, name="strict") as strict:
        try:
            run_checks(server, strict, embedder, args.legacy_python)
        finally:
            for s in (server, strict):
                if not s.alive():
                    print(f"FAIL {s.name} server died; its last stderr lines:\n  " + "\n  ".join(s.log[-15:]))
                    results.append((f"{s.name} server alive", False))
    return summary("checks")


def run_checks(server, strict, embedder, legacy_python):
    client = openai.OpenAI(base_url=server.base_url + "/v1", api_key="unused", max_retries=0, timeout=120)
    model_id = client.models.list().data[0].id
    messages = [{"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "What is the capital of France?"}]

    @check("models.list")
    def _():
        ids = [m.id for m in client.models.list().data]
        expect(model_id in ids, f"{model_id} not in {ids}")
        return f"{ids}"

    @check("chat non-stream: object, role, finish_reason, usage")
    def _():
        r = client.chat.completions.create(model=model_id, messages=messages, max_tokens=12, temperature=0)
        expect(r.object == "chat.completion", f"object {r.object}")
        expect(r.id.startswith("chatcmpl-"), f"id {r.id}")
        c = r.choices[0]
        expect(c.index == 0 and c.message.role == "assistant", f"choice {c}")
        expect(isinstance(c.message.content, str) and c.message.content, "empty content")
        expect(c.finish_reason in ("stop", "length"), f"finish_reason {c.finish_reason}")
        u = r.usage
        expect(u.prompt_tokens > 0 and 0 < u.completion_tokens <= 12, f"usage {u}")
        expect(u.total_tokens == u.prompt_tokens + u.completion_tokens, f"usage total {u}")
        expect(c.finish_reason == "stop" or u.completion_tokens == 12, "length finish without max_tokens tokens")
        return repr(c.message.content)

    @check("chat stream: role first, one id, finish_reason, usage chunk, [DONE]")
    def _():
        body = dict(model=model_id, messages=messages, max_tokens=10, temperature=0.9, seed=11,
                    stream_options={"include_usage": True})
        chunks = list(client.chat.completions.create(stream=True, **body))
        expect(len(chunks) >= 3, f"only {len(chunks)} chunks")
        expect(all(c.object == "chat.completion.chunk" for c in chunks), "a chunk is not chat.completion.chunk")
        expect(len({c.id for c in chunks}) == 1, f"ids differ: {sorted({c.id for c in chunks})}")
        first = chunks[0].choices[0].delta
        expect(first.role == "assistant", f"first delta {first}")
        expect(all(ch.delta.role is None for c in chunks[1:] for ch in c.choices), "role repeated after the first delta")
        *body_chunks, last = chunks
        expect(last.choices == [] and last.usage is not None, f"last chunk {last}")
        expect(all(c.usage is None for c in body_chunks), "usage on a chunk before the last")
        finishes = [ch.finish_reason for c in body_chunks for ch in c.choices if ch.finish_reason]
        expect(finishes in (["stop"], ["length"]), f"finish reasons {finishes}")
        expect(body_chunks[-1].choices[0].finish_reason == finishes[0], "finish_reason is not on the last choice chunk")
        text = "".join(ch.delta.content or "" for c in body_chunks for ch in c.choices)
        expect(last.usage.completion_tokens <= 10 and last.usage.prompt_tokens > 0, f"usage {last.usage}")
        whole = client.chat.completions.create(stream=False, **{k: v for k, v in body.items() if k != "stream_options"})
        expect(whole.choices[0].message.content == text, f"streamed {text!r} != whole {whole.choices[0].message.content!r} (same seed)")
        expect(whole.usage.completion_tokens == last.usage.completion_tokens, "usage differs between stream and whole")
        data = raw_sse(server.base_url, "/v1/chat/completions", {**body, "stream": True})
        expect(data[-1] == "[DONE]", f"last event {data[-1]!r}")
        expect(data.count("[DONE]") == 1, "[DONE] sent more than once")
        parsed = [json.loads(d) for d in data[:-1]]
        expect(parsed[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}, f"first delta {parsed[0]['choices'][0]['delta']}")
        expect(all("usage" in p for p in parsed) and parsed[-1]["usage"]["total_tokens"] > 0, "usage key missing with include_usage")
        return f"{len(chunks)} chunks, {text!r}"

    @check("chat stream without include_usage has no usage key")
    def _():
        data = raw_sse(server.base_url, "/v1/chat/completions",
                       dict(model=model_id, messages=messages, max_tokens=3, stream=True))
        parsed = [json.loads(d) for d in data[:-1]]
        expect(data[-1] == "[DONE]" and all("usage" not in p for p in parsed), "usage written without include_usage")
        expect(all(p["choices"] for p in parsed), "a chunk without choices")

    @check("chat n=3: three choices, indices 0..2, seeds differ per choice")
    def _():
        r = client.chat.completions.create(model=model_id, messages=messages, max_tokens=8, n=3, temperature=1.0, seed=5)
        expect(sorted(c.index for c in r.choices) == [0, 1, 2], f"indices {[c.index for c in r.choices]}")
        again = client.chat.completions.create(model=model_id, messages=messages, max_tokens=8, n=3, temperature=1.0, seed=5)
        expect([c.message.content for c in r.choices] == [c.message.content for c in again.choices], "same seed, different n=3 answers")
        chunks = list(client.chat.completions.create(model=model_id, messages=messages, max_tokens=8, n=3, temperature=1.0,
                                                     seed=5, stream=True))
        streamed = ["", "", ""]
        for c in chunks:
            for ch in c.choices:
                streamed[ch.index] += ch.delta.content or ""
        expect(streamed == [c.message.content for c in r.choices], f"streamed n=3 {streamed} != whole")
        return repr([c.message.content for c in r.choices])

    @check("same seed => same output; max_completion_tokens => finish_reason length")
    def _():
        kw = dict(model=model_id, messages=messages, max_completion_tokens=6, temperature=1.2, top_p=0.95, seed=1234)
        a = client.chat.completions.create(**kw)
        b = client.chat.completions.create(**kw)
        expect(a.choices[0].message.content == b.choices[0].message.content, "same seed gave different text")
        expect(a.choices[0].finish_reason == "length" or a.usage.completion_tokens < 6, f"finish {a.choices[0].finish_reason}")
        return repr(a.choices[0].message.content)

    @check("a tool-call round trip's messages are accepted (assistant content null, tool result)")
    def _():
        history = messages + [
            {"role": "assistant", "content": None,
             "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "capital", "arguments": '{"country": "France"}'}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "Paris"}]
        r = client.chat.completions.create(model=model_id, messages=history, max_tokens=4, temperature=0)
        expect(r.choices[0].message.role == "assistant" and r.usage.prompt_tokens > 0, f"answer {r}")
        r = client.chat.completions.create(model=model_id, max_tokens=4, temperature=0,
                                           messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
        expect(r.choices[0].message.content is not None, "content parts refused")

    @check("chat logprobs + top_logprobs")
    def _():
        r = client.chat.completions.create(model=model_id, messages=messages, max_tokens=6, temperature=0,
                                           logprobs=True, top_logprobs=3)
        content = r.choices[0].logprobs.content
        expect(len(content) == r.usage.completion_tokens, f"{len(content)} entries for {r.usage.completion_tokens} tokens")
        for e in content:
            expect(e.logprob <= 0 and len(e.top_logprobs) == 3, f"entry {e}")
            expect(e.top_logprobs[0].logprob >= e.top_logprobs[1].logprob >= e.top_logprobs[2].logprob, "top not sorted")
            expect(abs(e.logprob - e.top_logprobs[0].logprob) < 1e-4, "greedy token is not the most likely")
            expect(bytes(e.bytes).decode("utf-8", "replace") == e.token or e.token.endswith("\ufffd"), f"bytes {e.bytes} vs {e.token!r}")
        if r.choices[0].finish_reason == "length":
            expect("".join(e.token for e in content) == r.choices[0].message.content, "tokens do not spell the content")
        s = list(client.chat.completions.create(model=model_id, messages=messages, max_tokens=6, temperature=0,
                                                logprobs=True, top_logprobs=3, stream=True))
        streamed = [e for c in s for ch in c.choices if ch.logprobs for e in ch.logprobs.content]
        expect([e.token for e in streamed] == [e.token for e in content], "streamed logprob tokens differ")
        return " ".join(f"{e.token!r}:{e.logprob:.2f}" for e in content)

    @check("legacy completions: string prompt, list prompt × n, stop")
    def _():
        r = client.completions.create(model=model_id, prompt="Once upon a time", max_tokens=12, temperature=0)
        expect(r.object == "text_completion" and r.id.startswith("cmpl-"), f"object {r.object} id {r.id}")
        text = r.choices[0].text
        expect(text and r.usage.completion_tokens > 0, f"text {text!r}, usage {r.usage}")
        many = client.completions.create(model=model_id, prompt=["Once upon a time", "The cat"], max_tokens=5, n=2,
                                         temperature=0.8, seed=3)
        expect([c.index for c in many.choices] == [0, 1, 2, 3], f"indices {[c.index for c in many.choices]}")
        single = client.completions.create(model=model_id, prompt="The cat", max_tokens=5, n=2, temperature=0.8, seed=3)
        expect([c.text for c in many.choices[2:]] == [c.text for c in single.choices],
               "choices of list prompt[1] differ from the same prompt alone (same seed)")
        # Stop at a piece of the greedy answer: the answer must end right before it.
        cut = next((i for i in range(max(1, len(text) // 2), len(text) - 1) if text[i:i + 2].strip()), None)
        expect(cut is not None, f"greedy text {text!r} too short to pick a stop string")
        stop = text[cut:cut + 2]
        stopped = client.completions.create(model=model_id, prompt="Once upon a time", max_tokens=12, temperature=0, stop=[stop])
        expect(stopped.choices[0].text == text[:text.find(stop)], f"with stop {stop!r}: {stopped.choices[0].text!r} vs {text!r}")
        expect(stopped.choices[0].finish_reason == "stop", f"finish_reason {stopped.choices[0].finish_reason}")
        return f"{text!r}; stop {stop!r} -> {stopped.choices[0].text!r}"

    @check("legacy completions: echo + logprobs")
    def _():
        prompt = "The quick brown fox"
        r = client.completions.create(model=model_id, prompt=prompt, max_tokens=4, temperature=0, echo=True, logprobs=2)
        c = r.choices[0]
        expect(c.text.startswith(prompt), f"echoed text {c.text!r}")
        lp = c.logprobs
        n = len(lp.tokens)
        expect(n == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset), "logprob lists differ in length")
        expect(n == r.usage.prompt_tokens + r.usage.completion_tokens, f"{n} tokens for usage {r.usage}")
        expect(lp.token_logprobs[0] is None and lp.top_logprobs[0] is None, "first prompt token has a logprob")
        expect(all(x <= 0 for x in lp.token_logprobs[1:]), "a positive logprob")
        expect(all(1 <= len(t) <= 2 for t in lp.top_logprobs[1:]), "top_logprobs not of size ≤ 2")
        expect(lp.text_offset == sorted(lp.text_offset) and lp.text_offset[0] == 0, f"offsets {lp.text_offset}")
        expect("".join(lp.tokens) == c.text, f"tokens {lp.tokens} do not spell {c.text!r}")
        expect(all(c.text[o:].startswith(t) for o, t in zip(lp.text_offset, lp.tokens)), "text_offset does not point at its token")
        plain = client.completions.create(model=model_id, prompt=prompt, max_tokens=4, temperature=0)
        expect(c.text == prompt + plain.choices[0].text, "echo text is not prompt + completion")
        s = list(client.completions.create(model=model_id, prompt=prompt, max_tokens=4, temperature=0, stream=True))
        expect(len({x.id for x in s}) == 1 and "".join(x.choices[0].text for x in s if x.choices) == plain.choices[0].text,
               "legacy stream differs from the whole answer")
        return f"{c.text!r}, {n} tokens"

    @check("seed 002 example with openai==0.28 (Completion.create(engine='gpt-4'))")
    def _():
        if not os.path.exists(legacy_python):
            raise AssertionError(f"{legacy_python} missing: run Scripts/setup/openai_check_venv.sh")
        # The example exactly as seed 002 wrote it, then once more with a seed to compare with today's client.
        program = (
            "import json, sys, openai\n"
            "openai.api_key = 'sk-unused'\n"
            f"openai.api_base = {server.base_url + '/v1'!r}\n"
            "prompt = 'Write a tagline for an ice cream shop.'\n"
            "r = openai.Completion.create(engine='gpt-4', prompt=prompt, max_tokens=50, n=1, stop=None, temperature=0.8)\n"
            "s = openai.Completion.create(engine='gpt-4', prompt=prompt, max_tokens=50, n=1, stop=None, temperature=0.8, seed=7)\n"
            "print(json.dumps({'text': r.choices[0].text, 'finish': r.choices[0].finish_reason, 'usage': r['usage'],\n"
            "                  'object': r.object, 'seeded': s.choices[0].text, 'version': openai.version.VERSION}))\n")
        out = subprocess.run([legacy_python, "-c", program], capture_output=True, text=True, timeout=180)
        expect(out.returncode == 0, f"exit {out.returncode}: {out.stderr.strip()[-400:]}")
        got = json.loads(out.stdout.strip().splitlines()[-1])
        expect(got["version"].startswith("0.28"), f"openai {got['version']}")
        expect(got["object"] == "text_completion", f"object {got['object']}")
        expect(isinstance(got["text"], str) and got["finish"] in ("stop", "length"), f"answer {got}")
        # The model may end the text at once (an instruct model after a full sentence): 0 tokens is an answer.
        expect(got["usage"]["prompt_tokens"] > 0 and 0 <= got["usage"]["completion_tokens"] <= 50, f"usage {got['usage']}")
        expect(got["finish"] == "stop" or got["usage"]["completion_tokens"] == 50, f"finish {got['finish']} before 50 tokens")
        today = client.completions.create(model=model_id, prompt="Write a tagline for an ice cream shop.", max_tokens=50,
                                          temperature=0.8, seed=7)
        expect(today.choices[0].text == got["seeded"], f"0.28 via /v1/engines {got['seeded']!r} != /v1/completions {today.choices[0].text!r}")
        return f"{got['text'][:50]!r} ({got['usage']['completion_tokens']} tokens)"

    @check("embeddings (MiniLM): string and list input, float and base64")
    def _():
        if embedder is None:
            raise AssertionError("no MiniLM in .assets: run Scripts/setup/fetch_assets.sh")
        emb_id = os.path.basename(embedder.rstrip("/"))
        one = client.embeddings.create(model=emb_id, input="A cat sits on the mat.")     # the client asks for base64
        v = one.data[0].embedding
        expect(len(v) == 384 and one.data[0].index == 0, f"{len(v)} dimensions")
        expect(abs(sum(x * x for x in v) - 1) < 1e-3, "vector is not unit length")
        texts = ["A cat sits on the mat.", "A kitten is sitting on a rug.", "Stock markets fell sharply today."]
        many = client.embeddings.create(model=emb_id, input=texts, encoding_format="float")
        expect([d.index for d in many.data] == [0, 1, 2], "indices")
        a, b, c = (d.embedding for d in many.data)
        dot = lambda x, y: sum(p * q for p, q in zip(x, y))  # noqa: E731
        expect(max(abs(p - q) for p, q in zip(a, v)) < 1e-5, "float and base64 vectors differ")
        expect(dot(a, b) > dot(a, c) + 0.2, f"cat·kitten {dot(a, b):.2f} not above cat·stocks {dot(a, c):.2f}")
        expect(many.usage.prompt_tokens > 0, f"usage {many.usage}")
        return f"cos(cat, kitten) {dot(a, b):.2f}, cos(cat, stocks) {dot(a, c):.2f}"

    @check("BadRequestError names the param")
    def _():
        cases = [(dict(top_p=3.0), "top_p"), (dict(n=0), "n"), (dict(max_tokens=0), "max_tokens"),
                 (dict(messages=[{"role": "wizard", "content": "hi"}]), "messages[0].role")]
        seen = []
        for extra, param in cases:
            kw = {"model": model_id, "messages": messages, "max_tokens": 4, **extra}
            try:
                client.chat.completions.create(**kw)
                raise AssertionError(f"{extra} was accepted")
            except openai.BadRequestError as e:
                expect(e.status_code == 400 and e.param == param, f"{extra}: status {e.status_code}, param {e.param!r} (want {param!r})")
                expect(e.type == "invalid_request_error" and e.message, f"{extra}: type {e.type}")
                seen.append(e.param)
        try:
            client.completions.create(model=model_id, prompt="x", max_tokens=2, logprobs=9)
            raise AssertionError("logprobs=9 accepted")
        except openai.BadRequestError as e:
            expect(e.param == "logprobs", f"param {e.param}")
        try:
            client.chat.completions.create(model=model_id, messages=[], max_tokens=2)
            raise AssertionError("empty messages accepted")
        except openai.BadRequestError as e:
            expect(e.param == "messages", f"param {e.param}")
        return ", ".join(seen)

    @check("NotFoundError for an unknown model (chat, completions, embeddings)")
    def _():
        for call in (lambda: client.chat.completions.create(model="no-such-model", messages=messages, max_tokens=2),
                     lambda: client.completions.create(model="no-such-model", prompt="x", max_tokens=2),
                     lambda: client.embeddings.create(model="no-such-model", input="x")):
            try:
                call()
                raise AssertionError("unknown model accepted")
            except openai.NotFoundError as e:
                expect(e.status_code == 404 and e.code == "model_not_found" and e.param == "model", f"{e.code} {e.param}")

    if "SmolLM2" in os.path.basename(server.command[server.command.index("--model") + 1]):
        run_tool_checks(check, expect, client, model_id, server.base_url, post_json)
    else:
        print("SKIP tool checks: they need a chat model with a few thousand positions (SmolLM2, from Scripts/setup/fetch_assets.sh)")

    strict_ok = openai.OpenAI(base_url=strict.base_url + "/v1", api_key=KEY, max_retries=0, timeout=120)

    @check("AuthenticationError without or with a wrong key; right key and /health work")
    def _():
        for key in ("wrong-key", KEY + "x", "x"):
            try:
                openai.OpenAI(base_url=strict.base_url + "/v1", api_key=key, max_retries=0).models.list()
                raise AssertionError(f"key {key!r} accepted")
            except openai.AuthenticationError as e:
                expect(e.status_code == 401 and e.code == "invalid_api_key", f"{e.status_code} {e.code}")
        try:
            urllib.request.urlopen(strict.base_url + "/v1/models", timeout=10)
            raise AssertionError("no key accepted")
        except urllib.error.HTTPError as e:
            expect(e.code == 401, f"status {e.code}")
        expect(strict.get_json("/health") is not None, "/health needs a key")
        expect(strict.get_json("/v1/models", {"X-Api-Key": KEY})["data"], "X-Api-Key not accepted")
        r = strict_ok.chat.completions.create(model=model_id, messages=messages, max_tokens=2)
        expect(r.choices[0].message.content is not None, "right key refused")

    @check("RateLimitError with Retry-After when the slot and queue are full; slot frees after")
    def _():
        long = strict_ok.chat.completions.create(model=model_id, messages=messages, max_tokens=2000, temperature=1.0,
                                                 stream=True, extra_body={"ignore_eos": True})
        it = iter(long)
        next(it)                                         # the role chunk: the request holds the only slot
        next(it)
        try:
            strict_ok.chat.completions.create(model=model_id, messages=messages, max_tokens=2)
            raise AssertionError("second request accepted while the only slot was busy and --queue 0")
        except openai.RateLimitError as e:
            expect(e.status_code == 429 and e.type == "rate_limit_error", f"{e.status_code} {e.type}")
            retry_after = e.response.headers.get("retry-after")
            expect(retry_after is not None and int(retry_after) >= 1, f"Retry-After {retry_after!r}")
        finally:
            long.close()                                 # hang up: the slot must come free
        deadline = time.time() + 15
        while time.time() < deadline:
            m = strict.metrics({"Authorization": "Bearer " + KEY})
            if m.get("quill_slots_busy") == 0 and m.get("quill_queue_depth") == 0:
                break
            time.sleep(0.1)
        expect(m.get("quill_slots_busy") == 0, f"slot still busy 15 s after the client hung up: {m.get('quill_slots_busy')}")
        r = strict_ok.chat.completions.create(model=model_id, messages=messages, max_tokens=2)
        expect(r.choices, "request after the hang-up failed")
        return f"Retry-After {retry_after}"

    @check("/health and /metrics after the run: no slot in use")
    def _():
        expect(server.get_json("/health") is not None, "/health")
        m = server.metrics()
        expect(m.get("quill_slots_busy") == 0 and m.get("quill_queue_depth") == 0, f"slots {m.get('quill_slots_busy')}")
        return f"{int(sum(v for k, v in m.items() if k.startswith('quill_requests_total')))} requests counted"


if __name__ == "__main__":
    sys.exit(main())
