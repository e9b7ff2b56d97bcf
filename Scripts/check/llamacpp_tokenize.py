"""Peer check of `quill tokenize` against llama.cpp's own `llama-tokenize` on text neither was tuned on:
for every vocabulary GGUF (llama.cpp's ggml-vocab-*.gguf and SmolLM2-135M-Instruct), texts cut from the
Wikipedia lead summaries and Shakespeare plus a mixed-script / code / digits / whitespace set, each
encoded by both tools (what the model sees, BOS included where the model declares it; special-token
text as plain text). Prints one line per vocabulary and the first difference of any failing text.

    python3 Scripts/check/llamacpp_tokenize.py [--quill .build/release/quill] [--llama-tokenize BIN] [--texts 30]

Needs llama-tokenize from Scripts/setup/llamacpp.sh and the assets from Scripts/setup/fetch_assets.sh.
Not part of `make test` (the peer is built outside the repository). Exit status 1 on any difference.
"""
import argparse, glob, json, os, random, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ASSETS = os.path.join(ROOT, ".assets")

MIXED = [
    "Hello world!  Two  spaces,\ttabs\tand\nnewlines\n\n\nend",
    "Numbers: 1 12 123 1234 12345 3.14159 -42 1,000,000 2026-12-02 0x7fff",
    "Code: def f(x):\n    return x**2  # square\nfor (int i = 0; i < n; ++i) { a[i] += b[i]; }",
    "Ünïcödé: café naïve Zürich Łódź ÆØÅ ß ﬁ",
    "中文分词测试，标点符号。日本語のテキスト、カタカナ。한국어 텍스트입니다.",
    "Emoji 🚀🔥 👩‍👩‍👧 flags 🇫🇷🇯🇵 and symbols ∑∫√∞ ≤≥ →",
    "Русский текст и ελληνικά γράμματα; עברית ועربية",
    "Special-looking text: <|im_start|>user <|endoftext|> </s> <s> [INST] <unk>",
    "   leading spaces and trailing   ",
    "don't won't it's we're they'll I'd y'all O'Neil's 'quoted'",
]


def texts(count, rng):
    """`count` texts: slices of Wikipedia leads and Shakespeare (deterministic for the seed) plus MIXED."""
    out = list(MIXED)
    wiki = os.path.join(ASSETS, "wiki-offline", "summaries_en-us.json")
    if os.path.exists(wiki):
        leads = [v.get("extract", "") for v in json.load(open(wiki, encoding="utf-8")).values()]
        out += rng.sample([l for l in leads if l], count)
    shakespeare = os.path.join(ASSETS, "shakespeare.txt")
    if os.path.exists(shakespeare):
        play = open(shakespeare, encoding="utf-8").read()
        for _ in range(count // 2):
            start = rng.randrange(0, len(play) - 2000)
            out.append(play[start:start + rng.randrange(100, 2000)])
    return out


def quill_ids(quill, vocab, path):
    r = subprocess.run([quill, "tokenize", "--tokenizer", vocab, "--file", path, "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"
    return json.loads(r.stdout)["ids"], None


def llama_ids(binary, vocab, path):
    r = subprocess.run([binary, "-m", vocab, "-f", path, "--ids", "--log-disable", "--no-parse-special"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"
    return json.loads(r.stdout.strip().splitlines()[-1]), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quill", default=os.path.join(ROOT, ".build", "release", "quill"))
    ap.add_argument("--llama-tokenize", default="/work/peers/llama.cpp/build/bin/llama-tokenize")
    ap.add_argument("--texts", type=int, default=30, help="Wikipedia leads per vocabulary (half as many Shakespeare slices)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", help="comma-separated substrings of vocabulary file names")
    a = ap.parse_args()
    for path in (a.quill, a.llama_tokenize):
        if not os.path.exists(path):
            sys.exit(f"missing {path}")
    vocabs = sorted(glob.glob(os.path.join(ASSETS, "llama.cpp", "vocab", "ggml-vocab-*.gguf")))
    vocabs.append(os.path.join(ASSETS, "SmolLM2-135M-Instruct.Q4_1.gguf"))
    if a.only:
        vocabs = [v for v in vocabs if any(s in os.path.basename(v) for s in a.only.split(","))]
    rng = random.Random(a.seed)
    corpus = texts(a.texts, rng)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, t in enumerate(corpus):
            p = os.path.join(tmp, f"{i}.txt")
            open(p, "w", encoding="utf-8").write(t)
            files.append(p)
        for vocab in vocabs:
            name = os.path.basename(vocab)
            same = differ = refused = 0
            first = None
            for p, t in zip(files, corpus):
                q, qerr = quill_ids(a.quill, vocab, p)
                l, lerr = llama_ids(a.llama_tokenize, vocab, p)
                if q is None or l is None:
                    refused += 1
                    failures += q is None          # a vocabulary llama.cpp reads but Quill refuses counts
                    first = first or (f"quill: {qerr}" if q is None else f"llama-tokenize: {lerr}")
                elif q == l:
                    same += 1
                else:
                    differ += 1
                    if first is None:
                        k = next((i for i, (x, y) in enumerate(zip(q, l)) if x != y), min(len(q), len(l)))
                        first = f"text {t[:40]!r}…: first difference at token {k}: quill {q[k:k+5]} vs llama.cpp {l[k:k+5]}"
            status = "ok" if differ == 0 and refused == 0 else "DIFF"
            failures += differ
            print(f"{status:4} {name:42} {same}/{len(corpus)} identical, {differ} differ, {refused} not encoded"
                  + (f"\n     {first}" if first else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
