"""Tool calling through the official `openai` client against a live `quill serve` (called from
openai_client_check.py, which owns the servers and the PASS/FAIL bookkeeping): non-streamed calls,
streamed calls assembled by the client's own stream helper, parallel calls, every `tool_choice`, a full
call -> tool result -> answer loop, and 400s naming the parameter. `required` and a named function are
grammar-forced by the server, so those answers are valid calls whatever the model would have written.

    .venv-check/bin/python Scripts/check/openai_client_check.py     # runs these with the rest
"""
import json

import openai

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The current weather in a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name", "maxLength": 20},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"], "additionalProperties": False}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "description": "The current time in a time zone.",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC", "CET", "PST"]}},
                   "required": ["zone"], "additionalProperties": False}}}
QUESTION = [{"role": "system", "content": "You are a helpful assistant with tools."},
            {"role": "user", "content": "What is the weather in Paris?"}]


def valid_call(expect, call, names=("get_weather", "get_time")):
    """Checks one `tool_calls` entry's OpenAI shape and its arguments against the tool's schema."""
    expect(call.type == "function" and call.id.startswith("call_"), f"call {call}")
    expect(call.function.name in names, f"function {call.function.name!r} not in {names}")
    expect(isinstance(call.function.arguments, str), "arguments must be a JSON string")
    args = json.loads(call.function.arguments)
    if call.function.name == "get_weather":
        expect(set(args) == {"city", "unit"} and isinstance(args["city"], str) and len(args["city"]) <= 20, f"args {args}")
        expect(args["unit"] in ("celsius", "fahrenheit"), f"unit {args['unit']!r}")
    else:
        expect(set(args) == {"zone"} and args["zone"] in ("UTC", "CET", "PST"), f"args {args}")
    return args


def end_of_text_bias(base_url, get_json_post):
    """logit_bias banning the model's end-of-text / end-of-turn tokens (so a forced parallel answer goes on)."""
    bias = {}
    for text in ("<|im_end|>", "<|endoftext|>"):
        ids = get_json_post(base_url + "/tokenize", {"content": text, "parse_special": True})["tokens"]
        if len(ids) == 1:
            bias[str(ids[0])] = -100
    return bias


def run_tool_checks(check, expect, client, model_id, base_url, post_json):
    kw = dict(model=model_id, messages=QUESTION, max_tokens=300, temperature=0)

    @check("tools non-stream: required -> tool_calls, content null, finish_reason tool_calls")
    def _():
        r = client.chat.completions.create(tools=[WEATHER, TIME], tool_choice="required", **kw)
        c = r.choices[0]
        expect(c.finish_reason == "tool_calls", f"finish_reason {c.finish_reason}")
        expect(c.message.content is None, f"content {c.message.content!r}")
        expect(len(c.message.tool_calls) >= 1, "no tool_calls")
        return "; ".join(f"{t.function.name}({json.dumps(valid_call(expect, t))})" for t in c.message.tool_calls)

    @check("tools stream: client.chat.completions.stream helper assembles the same calls")
    def _():
        body = dict(tools=[WEATHER], tool_choice="required", parallel_tool_calls=False, seed=3, temperature=0.8,
                    model=model_id, messages=QUESTION, max_tokens=300)
        whole = client.chat.completions.create(**body).choices[0].message.tool_calls
        helper = client.chat.completions.stream if hasattr(client.chat.completions, "stream") else client.beta.chat.completions.stream
        deltas, done = 0, []
        with helper(**body) as stream:
            for event in stream:
                if event.type == "tool_calls.function.arguments.delta":
                    deltas += 1
                elif event.type == "tool_calls.function.arguments.done":
                    done.append((event.name, event.arguments))
                elif event.type == "content.delta":
                    expect("<tool_call>" not in event.delta, f"call markup leaked into content: {event.delta!r}")
            final = stream.get_final_completion()
        calls = final.choices[0].message.tool_calls
        expect(final.choices[0].finish_reason == "tool_calls", f"finish_reason {final.choices[0].finish_reason}")
        expect([(t.function.name, t.function.arguments) for t in calls] == [(t.function.name, t.function.arguments) for t in whole],
               f"streamed {calls} != whole {whole} (same seed)")
        expect(done == [(t.function.name, t.function.arguments) for t in calls], f"arguments.done events {done}")
        expect(deltas >= 1, "no arguments.delta event")
        valid_call(expect, calls[0])
        # The raw chunks: index on every tool_calls delta, id/name only in a call's first one.
        seen = {}
        for chunk in client.chat.completions.create(stream=True, **body):
            for ch in chunk.choices:
                for d in ch.delta.tool_calls or []:
                    expect(d.index is not None, "a tool_calls delta without index")
                    if d.index in seen:
                        expect(d.id is None and (d.function.name is None), f"id/name repeated: {d}")
                    else:
                        expect(d.id and d.type == "function" and d.function.name, f"first delta of call {d.index}: {d}")
                    seen[d.index] = True
        return f"{calls[0].function.name}({calls[0].function.arguments}) in {deltas} argument deltas"

    @check("tools parallel: several calls in one answer; parallel_tool_calls=false gives one")
    def _():
        bias = end_of_text_bias(base_url, post_json)
        expect(bias, "could not find the end-of-text token ids through /tokenize")
        r = client.chat.completions.create(tools=[WEATHER, TIME], tool_choice="required", logit_bias=bias,
                                           **{**kw, "max_tokens": 600})
        calls = r.choices[0].message.tool_calls
        expect(len(calls) >= 2, f"{len(calls)} calls with end-of-text banned")
        for t in calls:
            valid_call(expect, t)
        expect(len({t.id for t in calls}) == len(calls), "call ids repeat")
        one = client.chat.completions.create(tools=[WEATHER, TIME], tool_choice="required", logit_bias=bias,
                                             parallel_tool_calls=False, **kw)
        expect(len(one.choices[0].message.tool_calls) == 1, f"{len(one.choices[0].message.tool_calls)} calls with parallel off")
        return f"{len(calls)} calls: " + ", ".join(t.function.name for t in calls)

    @check("tools tool_choice: none (no tools in the prompt), auto, named function")
    def _():
        plain = client.chat.completions.create(**kw)
        none = client.chat.completions.create(tools=[WEATHER, TIME], tool_choice="none", **kw)
        expect(none.choices[0].message.tool_calls is None, "tool_calls with tool_choice none")
        expect(none.usage.prompt_tokens == plain.usage.prompt_tokens, f"none: {none.usage.prompt_tokens} prompt tokens != {plain.usage.prompt_tokens}")
        # (The text itself may differ: a prefix reused from the cache equals a fresh one only up to rounding.)
        auto = client.chat.completions.create(tools=[WEATHER, TIME], tool_choice="auto", **kw)
        expect(auto.usage.prompt_tokens > plain.usage.prompt_tokens + 50, "auto: the tools are not in the prompt")
        a = auto.choices[0]
        if a.message.tool_calls:
            expect(a.finish_reason == "tool_calls", f"auto finish {a.finish_reason}")
            for t in a.message.tool_calls:
                json.loads(t.function.arguments)
        else:
            expect(isinstance(a.message.content, str) and a.finish_reason in ("stop", "length"), f"auto answer {a}")
        named = client.chat.completions.create(tools=[WEATHER, TIME], tool_choice={"type": "function", "function": {"name": "get_time"}},
                                               **kw)
        calls = named.choices[0].message.tool_calls
        expect(calls and all(t.function.name == "get_time" for t in calls), f"named: {calls}")
        for t in calls:
            valid_call(expect, t)
        return f"auto -> {'calls' if a.message.tool_calls else repr((a.message.content or '')[:40])}; named -> {calls[0].function.arguments}"

    @check("tools loop: call -> tool result -> answer")
    def _():
        messages = list(QUESTION)
        first = client.chat.completions.create(tools=[WEATHER], tool_choice="required", parallel_tool_calls=False,
                                               model=model_id, messages=messages, max_tokens=300, temperature=0)
        message = first.choices[0].message
        messages.append(message)                                  # the client's own message object, sent back as is
        for call in message.tool_calls:
            args = json.loads(call.function.arguments)
            messages.append({"role": "tool", "tool_call_id": call.id,
                             "content": json.dumps({"city": args["city"], "temperature": 18, "unit": args["unit"]})})
        answer = client.chat.completions.create(tools=[WEATHER], model=model_id, messages=messages, max_tokens=40, temperature=0)
        c = answer.choices[0]
        expect(answer.usage.prompt_tokens > first.usage.prompt_tokens, "the call and its result are not in the prompt")
        if c.message.tool_calls:                                  # auto may call again; that is a valid answer too
            expect(c.finish_reason == "tool_calls", f"finish {c.finish_reason}")
        else:
            expect(isinstance(c.message.content, str) and c.message.content.strip(), f"answer {c.message}")
        return repr(c.message.content if c.message.content else c.message.tool_calls)

    @check("tools errors: BadRequestError names tool_choice / tools params")
    def _():
        cases = [(dict(tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "nope"}}), "tool_choice.function.name"),
                 (dict(tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "objekt"}}}]), "tools[0].function.parameters"),
                 (dict(tools=[{"type": "function", "function": {"name": "bad name!"}}]), "tools[0].function.name"),
                 (dict(tool_choice="required"), "tool_choice")]
        for extra, param in cases:
            try:
                client.chat.completions.create(**kw, **extra)
                raise AssertionError(f"{extra} accepted")
            except openai.BadRequestError as e:
                expect(e.status_code == 400 and e.param == param, f"{extra}: param {e.param!r}, want {param!r}")
        return ", ".join(p for _, p in cases)
