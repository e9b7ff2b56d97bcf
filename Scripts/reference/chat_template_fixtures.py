# Golden chat-template renderings for Quill's Jinja engine (Tests/QuillAssistantTests/JinjaCorpusTests.swift):
# every template in .assets/llama.cpp/templates × a set of conversations × add_generation_prompt on/off,
# rendered by Python jinja2 in the environment transformers' apply_chat_template builds
# (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, the {% generation %} tag,
# tojson with ensure_ascii=False, raise_exception, strftime_now) with the clock fixed for reproducibility.
#   python3 -m venv /work/venv-jinja && /work/venv-jinja/bin/pip install jinja2==3.1.6
#   /work/venv-jinja/bin/python Scripts/reference/chat_template_fixtures.py
# Writes Tests/QuillAssistantTests/Fixtures/chat_template_renderings.json (outputs only, not the templates).
# With --cross-check (in a venv that also has transformers, e.g. transformers==5.24.0) it renders every case
# again through transformers' own render_jinja_template and reports any case where the two disagree.
import glob
import json
import os
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATES = os.path.join(ROOT, ".assets", "llama.cpp", "templates")
OUT = os.path.join(ROOT, "Tests", "QuillAssistantTests", "Fixtures", "chat_template_renderings.json")
FIXED_NOW = datetime(2026, 3, 14, 9, 26, 53)
BOS, EOS = "<s>", "</s>"


class GenerationTag(Extension):
    """transformers' AssistantTracker when no assistant mask is asked for: the body renders as written."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}

SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "limit": {"type": "integer", "description": "How many results"},
                "filters": {"type": "array", "items": {"type": "string"}},
                "exact": {"type": "boolean"},
            },
            "required": ["query"],
        },
    },
}

# Message dicts carry keys in the order Quill's JinjaChatTemplate builds them: role, content, tool_calls,
# tool_call_id, name (the last three only when present).
CONVERSATIONS = {
    "system_multiturn": {"messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello!"},
        {"role": "assistant", "content": "Hi there! How can I help?"},
        {"role": "user", "content": "What is 2+2?"},
    ]},
    "no_system": {"messages": [
        {"role": "user", "content": "Tell me a joke."},
        {"role": "assistant", "content": "Why did the chicken cross the road?"},
        {"role": "user", "content": "Why?"},
    ]},
    "single_user": {"messages": [
        {"role": "user", "content": "  Hi  "},
    ]},
    "tools": {"tools": [WEATHER_TOOL], "messages": [
        {"role": "system", "content": "You can call tools."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call00001", "type": "function",
             "function": {"name": "get_weather", "arguments": {"location": "Paris", "unit": "celsius"}}},
        ]},
        {"role": "tool", "content": "{\"temperature\": 18}", "tool_call_id": "call00001", "name": "get_weather"},
        {"role": "assistant", "content": "It is 18°C in Paris."},
        {"role": "user", "content": "Thanks!"},
    ]},
    "parallel_tools": {"tools": [WEATHER_TOOL, SEARCH_TOOL], "messages": [
        {"role": "user", "content": "Weather in Oslo, and news about it?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call00002", "type": "function",
             "function": {"name": "get_weather", "arguments": {"location": "Oslo"}}},
            {"id": "call00003", "type": "function",
             "function": {"name": "search", "arguments": {"query": "Oslo news", "limit": 3, "filters": ["today"], "exact": False}}},
        ]},
        {"role": "tool", "content": "-2 degrees", "tool_call_id": "call00002", "name": "get_weather"},
        {"role": "tool", "content": "[]", "tool_call_id": "call00003", "name": "search"},
        {"role": "assistant", "content": "It is -2 °C; no news today."},
        {"role": "user", "content": "Ok."},
    ]},
    "assistant_last": {"messages": [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris"},
    ]},
    "tricky_content": {"messages": [
        {"role": "user", "content": "Use {{ braces }} and {% tags %} literally; <|im_end|> and </s> too."},
        {"role": "assistant", "content": "  spaced  \n\n"},
        {"role": "user", "content": ""},
    ]},
    "unicode": {"messages": [
        {"role": "system", "content": "Réponds en français — s'il te plaît. 日本語も OK 👍"},
        {"role": "user", "content": "Ça va? \"quotes\", \\backslash, <tags> & tabs\tand\nnew lines"},
        {"role": "assistant", "content": "Très bien ! ✨ Ünïcödé"},
        {"role": "user", "content": "Encore 🙂"},
    ]},
}


def render(env, source, conversation, add_generation_prompt):
    template = env.from_string(source)
    tools = conversation.get("tools")
    return template.render(messages=conversation["messages"], tools=tools, documents=None,
                           add_generation_prompt=add_generation_prompt, bos_token=BOS, eos_token=EOS)


def cross_check(document):
    """Every case again through transformers' apply_chat_template machinery, clock patched to FIXED_NOW."""
    from transformers.utils import chat_template_utils as ctu

    class FixedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return FIXED_NOW

    ctu.datetime = FixedDatetime
    disagreements = 0
    for case in document["cases"]:
        with open(os.path.join(TEMPLATES, case["template"]), encoding="utf-8") as f:
            source = f.read()
        conversation = CONVERSATIONS[case["conversation"]]
        try:
            rendered, _ = ctu.render_jinja_template(
                conversations=[conversation["messages"]], tools=conversation.get("tools"), chat_template=source,
                add_generation_prompt=case["add_generation_prompt"], bos_token=BOS, eos_token=EOS)
            agrees = rendered[0] == case.get("output")
        except Exception:
            agrees = "error" in case
        if not agrees:
            disagreements += 1
            print(f"transformers disagrees: {case['template']} x {case['conversation']}")
    print(f"transformers cross-check: {len(document['cases']) - disagreements} agree, {disagreements} disagree")


def main():
    env = make_environment()
    cases = []
    paths = sorted(glob.glob(os.path.join(TEMPLATES, "*.jinja")))
    if not paths:
        raise SystemExit(f"no templates under {TEMPLATES}; run Scripts/setup/fetch_assets.sh")
    for path in paths:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        name = os.path.basename(path)
        for conversation_id, conversation in CONVERSATIONS.items():
            for add_generation_prompt in (True, False):
                case = {"template": name, "conversation": conversation_id,
                        "add_generation_prompt": add_generation_prompt}
                try:
                    case["output"] = render(env, source, conversation, add_generation_prompt)
                except Exception as error:  # the test only needs to know jinja2 refused, and why
                    case["error"] = f"{type(error).__name__}: {error}"
                cases.append(case)
    document = {"jinja2": jinja2.__version__, "bos_token": BOS, "eos_token": EOS,
                "now": FIXED_NOW.isoformat(), "conversations": CONVERSATIONS, "cases": cases}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(document, f, ensure_ascii=False, indent=1)
        f.write("\n")
    rendered = sum(1 for c in cases if "output" in c)
    print(f"{len(paths)} templates, {len(cases)} cases, {rendered} rendered, {len(cases) - rendered} refused -> {OUT}")
    if "--cross-check" in sys.argv:
        cross_check(document)


if __name__ == "__main__":
    main()
