# Quill vs llama.cpp on GGUF files written by `quill convert`: greedy tokens (temperature 0) for up to
# 64 new tokens (or to the context limit) from the same prompt ids, and llama.cpp's logits for every
# position against the numpy reference run on the weights as Quill dequantizes them (GGUF → `quill
# convert` → directory), which Quill itself matches to 1e-4 (QuillModelsTests).
#
# Run:  Scripts/setup/llamacpp_venv.sh && swift build -c release --product quill
#       /work/venv-llamacpp/bin/python Scripts/check/llamacpp_parity.py [--models gpt2_tiny,llama_tiny,...] [--out DIR]
# Models: the tiny fixtures, plus gpt2_124m (written by Scripts/bench/make_gpt2_124m.py into OUT when absent).
import argparse
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Scripts"))
import gpt2_reference  # noqa: E402
import llama_reference  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "QuillModelsTests", "Fixtures")


def read_safetensors(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dtype = {"F32": "<f4", "F16": "<f2", "I32": "<i4", "I64": "<i8"}[info["dtype"]]
        out[name] = np.frombuffer(data[a:b], dtype=dtype).reshape(info["shape"])
    return out


def quill(*args, capture=True):
    exe = os.path.join(ROOT, ".build", "release", "quill")
    r = subprocess.run([exe, *args], capture_output=capture, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"quill {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def reference_logits(directory, ids):
    """float64 numpy logits (T, V) of the directory's weights."""
    cfg = json.load(open(os.path.join(directory, "config.json")))
    p = {k: v.astype(np.float64) for k, v in read_safetensors(os.path.join(directory, "model.safetensors")).items()}
    if cfg["model_type"] == "gpt2":
        return gpt2_reference.gpt2_forward(p, cfg, np.array([ids]))[0][0]
    cfg.setdefault("num_key_value_heads", cfg["num_attention_heads"])
    return llama_reference.forward(p, cfg, np.array([ids]))[0][0]


GGML_TYPE = {"f32": 0, "f16": 1}


def llamacpp_greedy(gguf, prompt, steps, n_ctx, kv_type):
    from llama_cpp import Llama
    # KV cache type: llama.cpp's default is F16, which alone moves F32 logits by ~1e-3; F32 isolates the weights.
    llm = Llama(model_path=gguf, n_ctx=n_ctx, n_batch=n_ctx, n_threads=2, logits_all=True, verbose=False, seed=0,
                type_k=GGML_TYPE[kv_type], type_v=GGML_TYPE[kv_type])
    llm.reset()
    llm.eval(prompt)
    tokens = []
    for _ in range(steps):
        t = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        tokens.append(t)
        if len(tokens) < steps:
            llm.eval([t])
    logits = np.array(llm.scores[: llm.n_tokens], dtype=np.float64)   # rows for prompt + tokens[:-1]
    return tokens, logits


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", default="gpt2_tiny,llama_tiny,qwen2_tiny,gpt2_124m")
    ap.add_argument("--types", default="f32,f16,q8_0")
    ap.add_argument("--out", default="/work/issue4-artifacts")
    ap.add_argument("--kv-type", default="f32", choices=["f32", "f16"], help="llama.cpp's KV cache type (its default is f16)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name in args.models.split(","):
        directory = os.path.join(FIXTURES, name)
        if name == "gpt2_124m":
            directory = os.path.join(args.out, name)
            if not os.path.exists(os.path.join(directory, "model.safetensors")):
                subprocess.run([sys.executable, os.path.join(ROOT, "Scripts", "make_gpt2_124m.py"), directory], check=True)
        cfg = json.load(open(os.path.join(directory, "config.json")))
        ctx = cfg.get("n_positions") or cfg.get("max_position_embeddings")
        greedy_file = os.path.join(directory, "greedy.safetensors")
        prompt = [int(x) for x in read_safetensors(greedy_file)["prompt"]] if os.path.exists(greedy_file) else [464, 2068, 7586, 21831]
        steps = min(64, ctx - len(prompt))
        n_ctx = min(ctx, 128)
        for qtype in args.types.split(","):
            gguf = os.path.join(args.out, f"{name}-{qtype}.gguf")
            quill("convert", directory, gguf, "--type", qtype)
            ours = json.loads(quill("generate", "--model", gguf, "--prompt-ids", ",".join(map(str, prompt)),
                                    "--max-tokens", str(steps), "--temperature", "0", "--ignore-eos", "--print-ids",
                                    "--threads", "2").strip().splitlines()[-1])
            theirs, cpp_logits = llamacpp_greedy(gguf, prompt, steps, n_ctx, args.kv_type)
            back = os.path.join(args.out, f"{name}-{qtype}-dequantized")
            quill("convert", gguf, back)
            ref = reference_logits(back, prompt + theirs[:-1])
            diff = float(np.abs(ref - cpp_logits).max())
            scale = float(np.abs(ref).max())
            same = sum(1 for a, b in zip(ours, theirs) if a == b)
            first = next((i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b), None)
            # At the first divergence both engines saw the same prefix: how close was the call? logit(llama.cpp's
            # token) - logit(Quill's token), in llama.cpp's logits and in the float64 reference's.
            gaps = ""
            margins = {}
            if first is not None:
                row = len(prompt) - 1 + first
                a, b = theirs[first], ours[first]
                margins = dict(cpp_margin=float(cpp_logits[row, a] - cpp_logits[row, b]),
                               ref_margin=float(ref[row, a] - ref[row, b]))
                gaps = (f"; at {first} llama.cpp picks {a}, Quill {b}: logit gap {margins['cpp_margin']:.3g} in llama.cpp,"
                        f" {margins['ref_margin']:.3g} in the reference")
            rows.append(dict(model=name, type=qtype, steps=steps, identical=ours == theirs, agree=same,
                             first_divergence=first, max_abs_logit_diff=diff, max_abs_logit=scale,
                             kv_type=args.kv_type, **margins))
            print(f"{name:11s} {qtype:5s} tokens {'identical' if ours == theirs else f'{same}/{steps} agree, first divergence at {first}'}"
                  f"  max|Δlogit| llama.cpp vs reference {diff:.3g} (max|logit| {scale:.3g}){gaps}", flush=True)
    json.dump(rows, open(os.path.join(args.out, "llamacpp_parity.json"), "w"), indent=1)
    bad = [r for r in rows if r["type"] == "f32" and not r["identical"]]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
