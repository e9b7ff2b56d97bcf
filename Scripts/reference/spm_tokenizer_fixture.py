#!/usr/bin/env python3
"""Builds a small SentencePiece-style BPE tokenizer.json (Llama 2 / Mistral layout) with HF `tokenizers`
and writes the ids HF gives for a set of inputs, for the QuillTokenizer SentencePiece tests.

Run from the repo root with a venv outside the repository:
    python3 -m venv /work/venv-tok && /work/venv-tok/bin/pip install tokenizers
    /work/venv-tok/bin/python Scripts/reference/spm_tokenizer_fixture.py
Needs .assets/shakespeare.txt (Scripts/setup/fetch_assets.sh). Writes Tests/QuillTokenizerTests/Fixtures/:
    spm_prepend.tokenizer.json    BPE(byte_fallback, fuse_unk), normalizer Prepend(▁)+Replace(' '→▁), no
                                  pre-tokenizer, TemplateProcessing "<s> $A" (HF's Llama 2 layout)
    spm_metaspace.tokenizer.json  the same vocabulary with a Metaspace(prepend_scheme=first, split=false)
                                  pre-tokenizer instead of the normalizer (HF's Mistral / newer Llama layout)
    spm_golden.json               per input: ids from both files with and without special tokens
Ids 0-2 are <unk> <s> </s>, 3-258 the byte tokens <0x00>…<0xFF> (as in Llama 2), then the trained pieces;
<|user|> is a non-special added token (matched in any text) and <|turn|> a special one.
"""
import json, os

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.environ.get("QUILL_ASSETS", os.path.join(ROOT, ".assets"))
OUT = os.path.join(ROOT, "Tests", "QuillTokenizerTests", "Fixtures")

INPUTS = [
    "Hello world", "", " ", "  ", "   leading spaces", "trailing spaces  ", "double  spaces   inside",
    "\n", "\n\nnewlines\nin the middle\n\n", "tabs\tand\r\ncarriage returns", "What's this? 'Tis nobler, sir!",
    "To be, or not to be, that is the question:", "ROMEO. O, she doth teach the torches to burn bright!",
    "unicode: caf\u00e9 na\u00efve \u00fcber", "decomposed: cafe\u0301", "CJK: \u65e5\u672c\u8a9e \u4f60\u597d",
    "emoji \U0001F999 and \U0001F468\u200D\U0001F469\u200D\U0001F467", "control \x00 and \x7f bytes", "\u00ff\u0100\u2581 marker",
    "<s>inline</s> special text", "a<|user|>b", "x <|user|> y", "<|turn|>after a special", "before<|turn|>",
    "<unk> literal", "numbers 1234567890 3.14159", "ALL CAPS AND lower", "hyphen-ated words--dashes",
    "\u2581already escaped", "mixed \u00e9\U0001F600\u65e5 run",
]


def train(corpus):
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    return json.loads(tok.to_str())


def relabel(data):
    """Inserts the 256 byte tokens after the three specials, as Llama 2's vocabulary has them."""
    vocab = data["model"]["vocab"]
    order = sorted(vocab.items(), key=lambda kv: kv[1])
    specials = [t for t, i in order if i < 3]
    rest = [t for t, i in order if i >= 3]
    byte_tokens = ["<0x%02X>" % b for b in range(256)]
    texts = specials + byte_tokens + [t for t in rest if t not in byte_tokens]
    data["model"]["vocab"] = {t: i for i, t in enumerate(texts)}
    for added in data["added_tokens"]:
        added["id"] = data["model"]["vocab"][added["content"]]
    return data


def finish(data, metaspace):
    tok = Tokenizer.from_str(json.dumps(data))
    if metaspace:
        tok.normalizer = None
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=False)
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.add_tokens([__import__("tokenizers").AddedToken("<|user|>", special=False, normalized=False)])
    tok.add_special_tokens(["<|turn|>"])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    return tok


def main():
    with open(os.path.join(ASSETS, "shakespeare.txt"), encoding="utf-8") as f:
        corpus = f.read().splitlines()[:20000]
    data = relabel(train(corpus))
    golden = {"inputs": INPUTS}
    for name, metaspace in [("prepend", False), ("metaspace", True)]:
        tok = finish(json.loads(json.dumps(data)), metaspace)
        path = os.path.join(OUT, "spm_%s.tokenizer.json" % name)
        tok.save(path)
        tok = Tokenizer.from_file(path)
        golden[name] = [tok.encode(t, add_special_tokens=False).ids for t in INPUTS]
        golden[name + "_special"] = [tok.encode(t).ids for t in INPUTS]
        golden[name + "_decoded"] = [tok.decode(tok.encode(t, add_special_tokens=False).ids, skip_special_tokens=False)
                                     for t in INPUTS]
        print(name, len(tok.get_vocab()), "tokens ->", path)
    with open(os.path.join(OUT, "spm_golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
