"""The official `openai` Python client against a live `quill serve --content-policy`: moderations
(OpenAI's response shape, parsed by the client), chat refused by the input filter (whole and streamed:
finish_reason "content_filter"), an answer stopped mid-stream by the output filter (a logit bias forces
"x" every step, the policy blocks twelve in a row with a 4-character window: the client must see
exactly 7 x's and 13 completion tokens, worked out by hand), and BadRequestError naming the field for
hidden characters (reject policy) and oversize conversations. One PASS/FAIL line per check; exit 1 on
any failure. The server is started here on a free loopback port and always stopped.
    Scripts/setup/openai_check_venv.sh
    .venv-check/bin/python Scripts/check/openai_safety_check.py [--quill .build/debug/quill] [--model M]
"""
import argparse
import json
import os
import sys
import tempfile
import urllib.request

import openai

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quill_server import QuillServer, default_model, default_quill  # noqa: E402
from check_support import check, expect, summary  # noqa: E402

POLICY = {
    "name": "check-policy",
    "input": {"invisible_characters": "reject", "max_messages": 8, "max_message_characters": 500},
    "stream_window": 4,
    "categories": {
        "weapons": {"action": "block", "words": ["pipe bomb"]},
        "mild": {"action": "flag", "words": ["heck"]},
        "xs": {"action": "block", "patterns": ["x{12}"], "applies_to": ["output"]},
    },
}




def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quill", default=None)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(POLICY, f)
        policy_path = f.name
    try:
        with QuillServer(args.quill or default_quill(), args.model or default_model(),
                         extra=["--content-policy", policy_path]) as server:
            run_checks(server.base_url)
    finally:
        os.unlink(policy_path)
    sys.exit(summary("safety checks"))


def run_checks(base_url):
    client = openai.OpenAI(base_url=base_url + "/v1", api_key="unused")
    model = client.models.list().data[0].id

    @check("moderations: shape parsed by the client")
    def _():
        res = client.moderations.create(input=["How to build a pipe bomb", "what the heck", "hello"], model="omni-moderation-latest")
        expect(res.id.startswith("modr-") and res.model == "check-policy", f"id {res.id}, model {res.model}")
        expect([r.flagged for r in res.results] == [True, True, False], f"flagged {[r.flagged for r in res.results]}")
        # The client's Categories model declares OpenAI's own names (None here); the policy's arrive as extras.
        raw = {key: {k: v for k, v in value.items() if v is not None}
               for key, value in res.model_dump()["results"][0].items() if isinstance(value, dict)}
        expect(raw["categories"] == {"weapons": True, "mild": False, "xs": False}, f"categories {raw['categories']}")
        expect(raw["category_scores"] == {"weapons": 1, "mild": 0, "xs": 0}, f"scores {raw['category_scores']}")
        return "3 inputs"

    @check("blocked input: finish_reason content_filter")
    def _():
        r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "a pipe bomb please"}], max_tokens=8)
        expect(r.choices[0].finish_reason == "content_filter", f"finish_reason {r.choices[0].finish_reason}")
        expect(r.choices[0].message.content == "" and r.usage.total_tokens == 0, f"{r.choices[0].message.content!r}, {r.usage}")

    @check("blocked input, streamed")
    def _():
        chunks = list(client.chat.completions.create(model=model, messages=[{"role": "user", "content": "a pipe bomb"}], stream=True))
        reasons = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        expect(reasons == ["content_filter"], f"finish reasons {reasons}")

    request = urllib.request.Request(base_url + "/tokenize", data=json.dumps({"content": "x"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as r:
        x_id = json.loads(r.read())["tokens"][0]
    forced = dict(model=model, messages=[{"role": "user", "content": "go"}], max_tokens=40, logit_bias={str(x_id): 100})

    @check("output stopped mid-stream: the client sees 7 x's")
    def _():
        stream = client.chat.completions.create(**forced, stream=True, stream_options={"include_usage": True})
        text, reasons, usage = "", [], None
        for c in stream:
            if c.usage:
                usage = c.usage
            for choice in c.choices:
                text += choice.delta.content or ""
                if choice.finish_reason:
                    reasons.append(choice.finish_reason)
        expect(text == "x" * 7 and reasons == ["content_filter"], f"text {text!r}, reasons {reasons}")
        expect(usage is not None and usage.completion_tokens == 13, f"usage {usage}")

    @check("output stopped, whole answer")
    def _():
        r = client.chat.completions.create(**forced)
        expect(r.choices[0].finish_reason == "content_filter" and r.choices[0].message.content == "x" * 7,
               f"{r.choices[0].finish_reason} {r.choices[0].message.content!r}")
        expect(r.usage.completion_tokens == 13, f"usage {r.usage}")

    @check("hidden character refused: BadRequestError naming the field")
    def _():
        try:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}, {"role": "user", "content": "a\u202eb"}])
        except openai.BadRequestError as e:
            expect(e.body.get("param") == "messages[1].content" and e.body.get("code") == "invalid_characters", f"body {e.body}")
            return e.body["message"]
        raise AssertionError("no error")

    @check("oversize conversation refused")
    def _():
        try:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "y" * 501}])
        except openai.BadRequestError as e:
            expect(e.body.get("param") == "messages[0].content" and e.body.get("code") == "input_too_large", f"body {e.body}")
            return e.body["message"]
        raise AssertionError("no error")


if __name__ == "__main__":
    main()
