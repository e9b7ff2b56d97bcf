#!/usr/bin/env python3
"""Generates the golden token ids the QuillTokenizer tests compare against (tiktoken and HF tokenizers).

Run from the repo root with a venv holding tiktoken and tokenizers:
    python3 -m venv .venv-tok && .venv-tok/bin/pip install tiktoken tokenizers
    .venv-tok/bin/python Scripts/reference/tokenizer_fixtures.py
Needs the assets of Scripts/setup/fetch_assets.sh. Writes Tests/QuillTokenizerTests/Fixtures/:
    torture.json          texts + ids: GPT-2 (tiktoken), the cl100k and o200k patterns over GPT-2's ranks,
                          and all-MiniLM-L6-v2 WordPiece (HF tokenizers)
    shakespeare_gpt2.u16  GPT-2 ids of .assets/shakespeare.txt, little-endian uint16
    shakespeare_gpt2.json their count and the corpus' SHA-256
"""
import array, base64, hashlib, json, os, random, sys

import tiktoken
from tiktoken_ext import openai_public
from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.environ.get("QUILL_ASSETS", os.path.join(ROOT, ".assets"))
OUT = os.path.join(ROOT, "Tests", "QuillTokenizerTests", "Fixtures")

TORTURE = [
    "Hello world", "Hello, world!", "", " ", "  ", "\n", "a", "I'm here, you're there; they've gone, we'll see.",
    "I\u2019m here, you\u2019re there \u2014 curly \u2018quotes\u2019 and \u201cdouble\u201d",
    "DON'T SHOUT'S 'S 'T 'RE 'Ve 'LL 'd '\u017f it's", "x'sy", "'''", "' s", "''s",
    "emoji: \U0001F600\U0001F603 family: \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 flag: \U0001F1FA\U0001F1F8 skin: \U0001F44D\U0001F3FD",
    "\u4eca\u65e5\u306f\u4e16\u754c\u3001\u4f60\u597d\u4e16\u754c\uff01\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645 \u0661\u0662\u0663",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e \u0915\u094d\u0937\u093f",
    "\u0c24\u0c46\u0c32\u0c41\u0c17\u0c41 \u0c2d\u0c3e\u0c37",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9", "cafe\u0301 nai\u0308ve re\u0301sume\u0301",
    "\u00c9COLE \u00c5ngstr\u00f6m \u1e9e \u0130stanbul \u03a3\u03bf\u03c6\u03af\u03b1 \u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a3",
    "0 12 345 6789 1234567890123456789 3.14159 -42 1,000,000 \u0663\u0664\u0665 \u00bd \u2167",
    "1" * 97, "abc" * 400, "x" * 1000 + " " + "Supercalifragilisticexpialidocious" * 20,
    "   leading spaces", "trailing spaces   ", "\t\ttabs\tand  spaces \t \n", "a\n\nb\n\n\nc", "line\r\nbreak\r\n",
    "\r\n\r\n", " \n \n ", "mixed \u00a0nbsp\u3000ideographic\u2028sep\u2029para\u0085nel",
    "multiple     spaces    between      words", "end with newline\n", "\n\nstart with newlines",
    "code: def f(x):\n    return x**2  # comment\n\tif a != b: pass", "path/to/file.txt and https://example.com/a?b=c&d=e",
    "<|endoftext|> is special", "a <|endoftext|>b", "!!!???...,,,;;;", "\u00a1Hola! \u00bfQu\u00e9 tal?",
    "Hello\u200bWorld\u200d\ufeff", "\u0000nul\u0001ctl\u007fdel", "\U00010348\U0001D400\U000E0041\U0010FFFD",
    "ABCdefGHI jklMNO PQrsTU \u01c5ungla \u02b0mod", "HELLO'S World'S it'LL", "\u0301\u0301 marks first",
    "a/b//c\n/", "   \u00e9t\u00e9", "100% sure @ 9:30pm #hash $5.00 50\u20ac",
    "ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n",
]

# The cl100k and o200k patterns as tiktoken 0.14 spells them (its constructors would download their ranks).
CL100K_PAT = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
O200K_PAT = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])

ALPHABET = list("aAzZ09 '\t\n\r/.,!?-_") + ["\u00e9", "e\u0301", "\u0301", "\u017f", "\u00a0", "\u3000",
            "\u4e2d", "\u0915\u094d", "\u0663", "\u00bd", "\U0001F600", "\u200d", "\u01c5", "\u02b0", "S", "s", "T",
            "re", "VE", "ll", "  ", "\r\n", "\u2019", "\u0130", "\u03a3", "\ufeff", "\u0085", "\u2028"]


def fuzz_texts(count=400, seed=1234):
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 24))) for _ in range(count)]


def gpt2_ranks():
    ranks = {}
    with open(os.path.join(ASSETS, "gpt2.tiktoken"), "rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def main():
    ranks = gpt2_ranks()
    eot = {"<|endoftext|>": 50256}
    encodings = {
        "gpt2": tiktoken.Encoding("gpt2", pat_str=openai_public.r50k_pat_str, mergeable_ranks=ranks, special_tokens=eot),
        "cl100k": tiktoken.Encoding("gpt2-cl100k", pat_str=CL100K_PAT,
                                    mergeable_ranks=ranks, special_tokens=eot),
        "o200k": tiktoken.Encoding("gpt2-o200k", pat_str=O200K_PAT,
                                   mergeable_ranks=ranks, special_tokens=eot),
    }
    minilm = Tokenizer.from_file(os.path.join(ASSETS, "all-MiniLM-L6-v2", "tokenizer.json"))
    minilm.no_padding()
    cases = []
    for kind, texts in (("torture", TORTURE), ("fuzz", fuzz_texts())):
        for text in texts:
            case = {"kind": kind, "text": text}
            for name, enc in encodings.items():
                case[name] = enc.encode_ordinary(text)
            case["minilm"] = minilm.encode(text).ids
            cases.append(case)
    with open(os.path.join(OUT, "torture.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=True, indent=0)
    print(f"torture.json: {len(cases)} cases")

    corpus = open(os.path.join(ASSETS, "shakespeare.txt"), "rb").read()
    ids = encodings["gpt2"].encode_ordinary(corpus.decode("utf-8"))
    data = array.array("H", ids)
    if sys.byteorder != "little":
        data.byteswap()
    with open(os.path.join(OUT, "shakespeare_gpt2.u16"), "wb") as f:
        data.tofile(f)
    with open(os.path.join(OUT, "shakespeare_gpt2.json"), "w") as f:
        json.dump({"count": len(ids), "corpus_sha256": hashlib.sha256(corpus).hexdigest(),
                   "corpus_bytes": len(corpus)}, f, indent=1)
    print(f"shakespeare_gpt2.u16: {len(ids)} ids")


if __name__ == "__main__":
    main()
