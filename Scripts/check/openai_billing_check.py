"""The official `openai` Python client against a live `quill serve` with billing and feedback on:
a key's request is billed (GET /v1/usage agrees with the response's `usage`), the key over its quota
gets `openai.RateLimitError` with code `insufficient_quota` (streamed or not), feedback is stored
PII-redacted, and `quill feedback export --format dpo` writes TRL preference pairs. One PASS/FAIL
line per check; exits 1 if any fails. Files go to a temporary directory, removed at the end.

    Scripts/setup/openai_check_venv.sh
    .venv-check/bin/python Scripts/check/openai_billing_check.py [--quill .build/debug/quill] [--model M]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import openai

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quill_server import ROOT, QuillServer, default_quill  # noqa: E402
from check_support import expect, results, run_check as check, summary  # noqa: E402





def post(server, path, body, key):
    request = urllib.request.Request(server.base_url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quill", default=None, help="quill binary (default: newest of .build/{release,debug}/quill)")
    parser.add_argument("--model", default=os.path.join(ROOT, "Models", "shakespeare-gpt"))
    args = parser.parse_args()
    quill = args.quill or default_quill()
    with tempfile.TemporaryDirectory() as tmp:
        keys = os.path.join(tmp, "keys.json")
        with open(keys, "w") as f:      # sk-small runs out after its first request of 8 tokens
            json.dump({"keys": [{"key": "sk-small", "daily_tokens": 1}, {"key": "sk-big"}]}, f)
        billing, feedback = os.path.join(tmp, "billing.sqlite"), os.path.join(tmp, "feedback.sqlite")
        flags = ["--keys", keys, "--billing-db", billing, "--feedback-db", feedback,
                 "--price-prompt", "1000", "--price-completion", "2000"]
        with QuillServer(quill, args.model, flags, name="billing") as server:
            run_checks(server, quill, feedback, tmp)
            if not server.alive():
                results.append(("server alive", False))
    return summary("checks")


def run_checks(server, quill, feedback_db, tmp):
    def client(key):
        return openai.OpenAI(base_url=server.base_url + "/v1", api_key=key, max_retries=0, timeout=120)
    model = client("sk-big").models.list().data[0].id
    messages = [{"role": "user", "content": "Write to ada@example.com about ROMEO"}]
    state = {}

    def billed():
        r = client("sk-small").chat.completions.create(model=model, messages=messages, max_tokens=8, seed=1)
        state["id"], state["text"] = r.id, r.choices[0].message.content
        usage = server.get_json("/v1/usage?key=sk-small", {"Authorization": "Bearer sk-small"})
        day = usage["days"][0]
        expect(day["prompt_tokens"] == r.usage.prompt_tokens and day["completion_tokens"] == r.usage.completion_tokens,
               f"usage {day} vs response {r.usage}")
        want = (r.usage.prompt_tokens * 1000 + r.usage.completion_tokens * 2000) / 1e6
        expect(abs(day["cost"] - want) < 1e-9, f"cost {day['cost']} != {want}")
        return f"{day['prompt_tokens']} + {day['completion_tokens']} tokens, cost {day['cost']:.4f}"
    check("a request is billed to its key", billed)

    def refused(stream):
        def run():
            try:
                r = client("sk-small").chat.completions.create(model=model, messages=messages, max_tokens=4, stream=stream)
                if stream:
                    list(r)
                raise AssertionError("the key over its quota was served")
            except openai.RateLimitError as e:
                expect(e.status_code == 429 and e.code == "insufficient_quota", f"{e.status_code} {e.code}")
                expect(e.body.get("type") == "insufficient_quota" and "param" in e.body and e.body["param"] is None, f"{e.body}")
                return e.body["message"]
        return run
    check("over quota: RateLimitError insufficient_quota", refused(False))
    check("over quota, streamed: RateLimitError insufficient_quota", refused(True))
    check("another key is still served",
          lambda: expect(client("sk-big").chat.completions.create(model=model, messages=messages, max_tokens=2).choices, "no choices"))

    def feedback():
        big = client("sk-big")
        good = big.chat.completions.create(model=model, messages=messages, max_tokens=8, seed=2, temperature=1)
        status, body = post(server, "/v1/feedback", {"response_id": good.id, "rating": 1}, "sk-big")
        expect(status == 200, f"{status} {body}")
        bad = big.chat.completions.create(model=model, messages=messages, max_tokens=8, seed=3, temperature=1)
        status, body = post(server, "/v1/feedback", {"response_id": bad.id, "rating": -1, "correction": "Mail ada@example.com."}, "sk-big")
        expect(status == 200, f"{status} {body}")
        status, body = post(server, "/v1/feedback", {"response_id": bad.id, "rating": 2}, "sk-big")
        expect(status == 400 and body["error"]["param"] == "rating", f"{status} {body}")
        out = os.path.join(tmp, "pairs.jsonl")
        subprocess.run([quill, "feedback", "export", "--db", feedback_db, "--format", "dpo", "--out", out], check=True,
                       capture_output=True, timeout=60)
        pairs = [json.loads(line) for line in open(out)]
        expect(pairs and all(set(p) == {"prompt", "chosen", "rejected"} for p in pairs), f"{pairs}")
        expect(pairs[0]["chosen"] == "Mail [email]." and "ada@example.com" not in open(out).read(), f"{pairs[0]}")
        return f"{len(pairs)} pairs"
    check("feedback stored redacted and exported as DPO pairs", feedback)


if __name__ == "__main__":
    sys.exit(main())
