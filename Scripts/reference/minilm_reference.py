# all-MiniLM-L6-v2 sentence-embedding reference: tokenizes a fixed list of sentences with Hugging Face
# `tokenizers` from the model's tokenizer.json, runs a numpy BERT encoder (float64) and
# sentence-transformers pooling, and writes the golden files for Quill's BERT and WordPiece tests.
# Follows BERT (Devlin et al. 2018) as Hugging Face's BertModel runs it: post-LN encoder, erf GELU,
# absolute position embeddings, token-type embeddings (all type 0 here), additive padding mask; then
# modules.json's pipeline: mean pooling over the attention mask (1_Pooling/config.json), L2 normalise.
#
# Run:  .venv-ref/bin/python Scripts/reference/minilm_reference.py [--model .assets/all-MiniLM-L6-v2] [--no-cross-check]
# Writes Tests/QuillModelsTests/Fixtures/minilm/{sentences.json, ids.json, embeddings.safetensors} and,
# for the long inputs at sentence-transformers' own truncation, {sentences_256.json, ids_256.json,
# embeddings_256.safetensors}.
# Needs numpy, safetensors, tokenizers; the cross-check also needs torch + sentence-transformers.
#
# Truncation: 512 tokens including [CLS] and [SEP] (the model's max_position_embeddings). Note that
# the shipped tokenizer.json itself says truncation 128 and fixed padding to 128, and
# sentence_bert_config.json says max_seq_length 256; both are overridden here on purpose so that the
# long inputs exercise all 512 positions. A Swift test must truncate at 512 to match these files.
# The *_256 files are the default that Quill and sentence-transformers share: max_seq_length 256 from
# sentence_bert_config.json; the cross-check then runs sentence-transformers untouched (no override).

import argparse
import json
import math
import os

import numpy as np
from safetensors.numpy import load_file, save_file
from tokenizers import Tokenizer

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "QuillModelsTests", "Fixtures", "minilm")
DEFAULT_MODEL = os.path.join(os.path.dirname(__file__), "..", "..", ".assets", "all-MiniLM-L6-v2")
MAX_LEN = 512
ST_LEN = 256  # sentence_bert_config.json max_seq_length

LONG_EN = ("The history of the printing press is a story of many hands. Johannes Gutenberg combined "
           "movable metal type, oil-based ink and a wooden screw press around 1440, and within fifty "
           "years presses were at work in more than two hundred European cities. ")
LONG_NUM = "Order 4711 shipped on 2024-03-15 at 09:30 for $1,299.99 (qty: 3; ref #A-17/B). "

SENTENCES = [
    # plain English
    "This is an example sentence.",
    "Each sentence is converted to a vector.",
    "The quick brown fox jumps over the lazy dog.",
    "A man is eating food.",
    "A man is riding a horse.",
    "The new movie is awesome!",
    "I love you, and I miss you.",
    "Sentence embeddings are useful for semantic search and clustering.",
    "What is the capital of France?",
    "Paris is the capital and most populous city of France.",
    "Swift is a general-purpose programming language built using a modern approach to safety.",
    "unbelievably, the transformer's self-attention wasn't the bottleneck.",
    "Tokenization splits words into subword units like ##ing and ##ed.",
    "HELLO World, MiXeD CaSe Text",
    # punctuation and symbols
    "Wait... what?! Really?!?",
    "\"Quoted text,\" she said; 'single quotes' too — and an em dash.",
    "(parentheses) [brackets] {braces} <angles>",
    "email: someone@example.com, url: https://example.org/path?q=1&x=2#frag",
    "C++ vs. C# vs. F#: which one? 100% sure.",
    "snake_case, kebab-case, camelCase and PascalCase",
    "~!@#$%^&*()_+`-={}|[]\\:\";'<>?,./",
    "Tabs\tand\nnewlines\r\nand   multiple   spaces",
    # numbers
    "3.14159 is approximately pi, and e is 2.71828.",
    "The year 2024 had 366 days; 1,000,000 people attended.",
    "Call 555-0123 or +44 20 7946 0958 before 10:45pm.",
    "1st, 2nd, 3rd and 42nd place; 7 x 8 = 56.",
    "0.0001 1e-10 -273.15 +5 10^6",
    # accents and non-English Latin script (lowercasing also strips accents in this tokenizer)
    "Café crème brûlée à la française.",
    "Ünïcödé façade naïve coöperate résumé",
    "El niño comió piñata en la mañana.",
    "Straße, Fußgänger und Übermut.",
    "Ça va? Très bien, merci!",
    "Ångström, Øresund, Æsir, Łódź, Şişli, Čeština",
    "Ελληνικά: Καλημέρα κόσμε",
    "Русский текст: привет, мир!",
    "ﬁ ligature, ½ fraction, ² superscript, ℃ sign",
    # CJK and other scripts
    "我爱自然语言处理。",
    "東京は日本の首都です。",
    "안녕하세요, 세계!",
    "Mixed 中文 and English 文本 together.",
    "مرحبا بالعالم",
    "हिन्दी में एक वाक्य।",
    # emoji, unknown pieces, edge cases
    "I love pizza 🍕 and coffee ☕!",
    "supercalifragilisticexpialidocious" * 4,
    "a",
    "",
    "   ",
    "[CLS] [SEP] [PAD] [MASK] [UNK] are special tokens written as text.",
    "zero\u200bwidth and soft\u00adhyphen and non\u00a0breaking space",
    "Repeat repeat repeat repeat repeat repeat repeat repeat.",
    # long inputs: truncated to 512, and the exact boundary (510 pieces fit, 511 do not)
    LONG_EN * 20,
    LONG_NUM * 40,
    "hello " * 510,
    "hello " * 511,
]

# At 256: the two long texts, the exact boundary (254 pieces + [CLS]/[SEP]) and one over, and a text
# of ~300 tokens whose cut falls mid-sentence.
SENTENCES_256 = [LONG_EN * 20, LONG_NUM * 40, "hello " * 254, "hello " * 255, LONG_EN * 6]


# ----------------------------------------------------------------------------- numpy BERT

_erf = np.vectorize(math.erf)


def gelu_erf(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def layernorm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def linear(x, p, name):
    return x @ p[name + ".weight"].T + p[name + ".bias"]  # nn.Linear: W (out, in)


def bert_encode(p, cfg, ids, mask):
    """ids, mask (B, T) -> last hidden state (B, T, C). Padded keys get -inf before the softmax."""
    B, T = ids.shape
    NH, eps = cfg["num_attention_heads"], cfg["layer_norm_eps"]
    C = cfg["hidden_size"]
    HD = C // NH
    x = (p["embeddings.word_embeddings.weight"][ids]
         + p["embeddings.position_embeddings.weight"][np.arange(T)][None]
         + p["embeddings.token_type_embeddings.weight"][0])  # token type 0 everywhere
    x = layernorm(x, p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"], eps)
    keymask = np.where(mask[:, None, None, :] > 0, 0.0, -np.inf)  # (B, 1, 1, T)
    for i in range(cfg["num_hidden_layers"]):
        L = f"encoder.layer.{i}."
        heads = lambda a: a.reshape(B, T, NH, HD).transpose(0, 2, 1, 3)  # (B, NH, T, HD)
        q = heads(linear(x, p, L + "attention.self.query"))
        k = heads(linear(x, p, L + "attention.self.key"))
        v = heads(linear(x, p, L + "attention.self.value"))
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(HD) + keymask
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
        # post-LN: residual add, then layer norm
        x = layernorm(linear(ctx, p, L + "attention.output.dense") + x,
                      p[L + "attention.output.LayerNorm.weight"], p[L + "attention.output.LayerNorm.bias"], eps)
        h = gelu_erf(linear(x, p, L + "intermediate.dense"))
        x = layernorm(linear(h, p, L + "output.dense") + x,
                      p[L + "output.LayerNorm.weight"], p[L + "output.LayerNorm.bias"], eps)
    return x


def mean_pool_normalize(hidden, mask):
    m = mask[..., None].astype(np.float64)
    pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=-1, keepdims=True), 1e-12)


def embed(p, cfg, id_lists):
    """One sentence at a time, no padding: the plainest form of the computation."""
    out = []
    for ids in id_lists:
        ids = np.array([ids])
        mask = np.ones_like(ids)
        out.append(mean_pool_normalize(bert_encode(p, cfg, ids, mask), mask)[0])
    return np.stack(out)


def embed_padded(p, cfg, id_lists):
    """The same sentences in one right-padded batch (pad id 0), to check the padding mask."""
    T = max(len(x) for x in id_lists)
    ids = np.zeros((len(id_lists), T), dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, x in enumerate(id_lists):
        ids[i, :len(x)], mask[i, :len(x)] = x, 1
    return mean_pool_normalize(bert_encode(p, cfg, ids, mask), mask)


# ----------------------------------------------------------------------------- cross-check

def cross_check(model_dir, sentences, id_lists, emb, max_len):
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        print(f"cross-check skipped ({e}); numpy is the only reference")
        return
    torch.manual_seed(0)
    st = SentenceTransformer(model_dir, device="cpu")
    if max_len == ST_LEN:
        assert st.max_seq_length == ST_LEN, f"sentence-transformers reads max_seq_length {st.max_seq_length}"
    else:
        st.max_seq_length = max_len
    st_ids = [st.tokenize([s])["input_ids"][0].tolist() for s in sentences]
    same_ids = sum(a == b for a, b in zip(st_ids, id_lists))
    got = st.encode(sentences, batch_size=16, convert_to_numpy=True, normalize_embeddings=True)
    cos = (got.astype(np.float64) * emb).sum(-1) / np.linalg.norm(got, axis=-1)
    print(f"sentence-transformers at {max_len}: token ids identical for {same_ids}/{len(sentences)} sentences; "
          f"min cosine {cos.min():.9f} (max deviation {1 - cos.min():.2e}); "
          f"max abs diff {np.abs(got - emb).max():.2e}")


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="numpy reference embeddings for all-MiniLM-L6-v2")
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--no-cross-check", action="store_true")
    args = ap.parse_args()

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_LEN)  # post-processor adds [CLS] ... [SEP] within the 512
    id_lists = [e.ids for e in tok.encode_batch(SENTENCES)]
    tok.enable_truncation(max_length=ST_LEN)
    id_lists_256 = [e.ids for e in tok.encode_batch(SENTENCES_256)]
    assert max(map(len, id_lists_256)) == ST_LEN and len(id_lists_256[2]) == ST_LEN
    assert all(x[0] == 101 and x[-1] == 102 for x in id_lists)
    print(f"{len(SENTENCES)} sentences, lengths {min(map(len, id_lists))}..{max(map(len, id_lists))}, "
          f"truncated: {sum(len(x) == MAX_LEN for x in id_lists)}")

    with open(os.path.join(args.model, "config.json")) as f:
        cfg = json.load(f)
    p = {k: v.astype(np.float64) for k, v in load_file(os.path.join(args.model, "model.safetensors")).items()
         if v.dtype == np.float32}
    emb = embed(p, cfg, id_lists)
    short = [i for i, x in enumerate(id_lists) if len(x) < 64]
    padded = embed_padded(p, cfg, [id_lists[i] for i in short])
    print(f"padded batch vs one at a time ({len(short)} sentences): max abs diff {np.abs(padded - emb[short]).max():.2e}")
    emb_256 = embed(p, cfg, id_lists_256)
    if not args.no_cross_check:
        cross_check(args.model, SENTENCES, id_lists, emb, MAX_LEN)
        cross_check(args.model, SENTENCES_256, id_lists_256, emb_256, ST_LEN)

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "sentences.json"), "w") as f:
        json.dump(SENTENCES, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "ids.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(x) for x in id_lists) + "\n]\n")
    save_file({"embeddings": np.ascontiguousarray(emb, dtype=np.float32)},
              os.path.join(OUT, "embeddings.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(OUT, "sentences_256.json"), "w") as f:
        json.dump(SENTENCES_256, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "ids_256.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(x) for x in id_lists_256) + "\n]\n")
    save_file({"embeddings": np.ascontiguousarray(emb_256, dtype=np.float32)},
              os.path.join(OUT, "embeddings_256.safetensors"), metadata={"format": "pt"})
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
