#!/usr/bin/env python3
"""Token ids of SmolLM2-135M-Instruct for a set of inputs, from llama.cpp's own `llama-tokenize`
(the reference Quill's GGUF tokenizer must equal), written as a JSON fixture for the Swift tests.

    /work/venv-ref/bin/python Scripts/reference/llama_tokenize_fixture.py \
        --llama-tokenize /work/peers/llama_cpp_python-0.3.36/vendor/llama.cpp/build/bin/llama-tokenize \
        --model .assets/SmolLM2-135M-Instruct.Q4_1.gguf \
        --out Tests/QuillModelsTests/Fixtures/smollm2_llama_tokenize.json

Each input is tokenized as `llama-tokenize` does by default — BOS added when the model declares it
(SmolLM2 declares add_bos_token = false), special-token text parsed as special ("ids") — and with
--no-parse-special, special-token text as plain text ("ids_plain").
"""
import argparse, json, os, subprocess, tempfile

INPUTS = [
    "Hello world",
    " Hello world",
    "Hello, how are you today? I'm fine, thanks!",
    "The year 2024 had 366 days; 3.14159 is pi and 1,000,000 is a million.",
    "12345678901234567890",
    "  leading spaces and trailing spaces   ",
    "tabs\tand\nnewlines\n\n\nand\r\nwindows line ends",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "Ünïcödé: naïve café, Straße, Ελληνικά, русский, 中文字符, 日本語のテキスト, 한국어",
    "emoji 🙂🚀 and ZWJ 👩‍👩‍👧 and flags 🇫🇷",
    "They're we've I'd you'll it's DON'T Shouldn't",
    "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|> is the end of text",
    "a\u00a0non-breaking\u2003em space\u3000ideographic",
    "x" * 300,
    "",
]


def tokenize(binary, model, text, parse_special):
    with tempfile.NamedTemporaryFile("wb", delete=False) as f:
        f.write(text.encode("utf-8"))
        path = f.name
    try:
        args = [binary, "-m", model, "-f", path, "--ids", "--log-disable", "--no-escape"]
        if not parse_special:
            args.append("--no-parse-special")
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])
    finally:
        os.unlink(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--llama-tokenize", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    cases = []
    for text in INPUTS:
        cases.append({"text": text, "ids": tokenize(args.llama_tokenize, args.model, text, True),
                      "ids_plain": tokenize(args.llama_tokenize, args.model, text, False)})
    with open(args.out, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n]\n")
    print(f"wrote {len(cases)} cases to {args.out}")


if __name__ == "__main__":
    main()
