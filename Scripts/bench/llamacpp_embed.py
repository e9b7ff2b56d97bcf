# all-MiniLM-L6-v2 through llama.cpp's embedding path, beside `quill bench embed` (issue 4).
# Quill does not write BERT GGUF, and llama.cpp's convert_hf_to_gguf.py needs torch + transformers, so this
# writes the GGUF itself with gguf-py, the way convert_hf_to_gguf.py's BertModel does: F32 tensors named by
# gguf's own BERT tensor map, WordPiece vocabulary in "phantom space" form (▁word, ##piece → piece, control
# tokens as they are), special ids from gguf.SpecialVocab, non-causal attention, mean pooling.
# Then: sentences/s of Llama(embedding=True).embed over the file (batched by n_batch tokens), and the cosine
# of each vector against `quill embed --json` on the first --check sentences.
#
# Run:  /work/venv-llamacpp/bin/python Scripts/bench/llamacpp_embed.py --model .assets/all-MiniLM-L6-v2 \
#           --file /work/issue4-artifacts/sentences1000.txt --threads 2 [--gguf OUT.gguf] [--check 50]
import argparse
import json
import os
import subprocess
import time

import gguf
import numpy as np
from safetensors import safe_open

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def write_gguf(model_dir, out):
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    w = gguf.GGUFWriter(out, "bert")
    w.add_name("all-MiniLM-L6-v2")
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_layer_norm_eps(cfg["layer_norm_eps"])
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_token_type_count(cfg.get("type_vocab_size", 1))

    tokens = [line.rstrip("\n") for line in open(os.path.join(model_dir, "vocab.txt"), encoding="utf-8")]
    tok = json.load(open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8"))
    special = {a["id"] for a in tok.get("added_tokens", []) if a.get("special")}
    types = [gguf.TokenType.CONTROL if i in special else gguf.TokenType.NORMAL for i in range(len(tokens))]
    phantom = [t if ty == gguf.TokenType.CONTROL else t[2:] if t.startswith("##") else "\u2581" + t
               for t, ty in zip(tokens, types)]
    w.add_tokenizer_model("bert")
    w.add_tokenizer_pre("default")
    w.add_token_list(phantom)
    w.add_token_types(types)
    gguf.SpecialVocab(model_dir, n_vocab=len(tokens)).add_to_gguf(w)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, cfg["num_hidden_layers"])
    with safe_open(os.path.join(model_dir, "model.safetensors"), "np") as f:
        for key in f.keys():
            if key.startswith("pooler.") or key.endswith("position_ids"):
                continue
            name = names.get_name(key.removeprefix("bert."), try_suffixes=(".weight", ".bias"))
            if name is None:
                raise SystemExit(f"no llama.cpp name for {key}")
            w.add_tensor(name, np.ascontiguousarray(f.get_tensor(key), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, ".assets", "all-MiniLM-L6-v2"))
    ap.add_argument("--file", required=True)
    ap.add_argument("--gguf", default="/work/issue4-artifacts/all-MiniLM-L6-v2-f32.gguf")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-batch", type=int, default=64, help="tokens per llama.cpp batch; measured here (2 threads), larger batches are slower: 2048 → 21, 512 → 64, 128 → 112, 64 → 163, 32 → 149 sentences/s")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--check", type=int, default=50, help="sentences compared with `quill embed` (0: none)")
    args = ap.parse_args()
    if not os.path.exists(args.gguf):
        write_gguf(args.model, args.gguf)
        print(f"wrote {args.gguf}")
    from llama_cpp import Llama, LLAMA_POOLING_TYPE_MEAN
    llm = Llama(model_path=args.gguf, embedding=True, pooling_type=LLAMA_POOLING_TYPE_MEAN, n_ctx=args.n_batch,
                n_batch=args.n_batch, n_ubatch=args.n_batch, n_threads=args.threads, n_threads_batch=args.threads,
                verbose=False)
    sentences = [s for s in open(args.file, encoding="utf-8").read().splitlines() if s]
    llm.embed(sentences[:8])                                    # warm-up
    runs = []
    for _ in range(args.repetitions):
        t = time.perf_counter()
        vectors = llm.embed(sentences, normalize=True)
        runs.append(len(sentences) / (time.perf_counter() - t))
    print(f"llama.cpp: {len(sentences)} sentences, {args.threads} threads, n_batch {args.n_batch}: "
          f"{', '.join(f'{r:.1f}' for r in runs)} sentences/s (median {sorted(runs)[len(runs) // 2]:.1f})")
    if args.check:
        sample = sentences[: args.check]
        quill = os.path.join(ROOT, ".build", "release", "quill")
        out = subprocess.run([quill, "embed", "--model", args.model, "--json", *sample],
                             capture_output=True, text=True, check=True).stdout.splitlines()
        ours = np.array([json.loads(line) for line in out], dtype=np.float64)
        theirs = np.array(vectors[: len(sample)], dtype=np.float64)
        cos = (ours * theirs).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
        print(f"cosine Quill vs llama.cpp over {len(sample)} sentences: min {cos.min():.7f}, mean {cos.mean():.7f}")


if __name__ == "__main__":
    main()
