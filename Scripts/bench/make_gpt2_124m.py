# Writes a random GPT-2-124M-shaped model as a Hugging Face directory (config.json + model.safetensors,
# HF names, Conv1D (in, out) layout), numpy only: 12 layers, 12 heads, 768 wide, 1024 positions,
# vocabulary 50257. GPT-2's own initialisation (N(0, 0.02), residual projections / sqrt(2·12)).
#
# Run:  python3 Scripts/bench/make_gpt2_124m.py OUT_DIR [--seed 124]
# Used by Scripts/check/llamacpp_parity.py and the load-time benchmark; never committed (~500 MB).
import argparse
import json
import os

import numpy as np

CONFIG = {
    "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": 50257, "n_positions": 1024,
    "n_ctx": 1024, "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": None,
    "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.0, "embd_pdrop": 0.0,
    "attn_pdrop": 0.0, "initializer_range": 0.02, "tie_word_embeddings": True,
    "bos_token_id": 50256, "eos_token_id": 50256, "torch_dtype": "float32",
}


def params(seed):
    rng = np.random.default_rng(seed)
    V, P, C, L = 50257, 1024, 768, 12
    n = lambda shape, std: (std * rng.standard_normal(shape, dtype=np.float32)).astype(np.float32)
    proj = 0.02 / np.sqrt(2 * L)
    p = {"wte.weight": n((V, C), 0.02), "wpe.weight": n((P, C), 0.01)}
    for i in range(L):
        h = f"h.{i}."
        p[h + "ln_1.weight"] = np.ones(C, np.float32)
        p[h + "ln_1.bias"] = np.zeros(C, np.float32)
        p[h + "attn.c_attn.weight"] = n((C, 3 * C), 0.02)
        p[h + "attn.c_attn.bias"] = np.zeros(3 * C, np.float32)
        p[h + "attn.c_proj.weight"] = n((C, C), proj)
        p[h + "attn.c_proj.bias"] = np.zeros(C, np.float32)
        p[h + "ln_2.weight"] = np.ones(C, np.float32)
        p[h + "ln_2.bias"] = np.zeros(C, np.float32)
        p[h + "mlp.c_fc.weight"] = n((C, 4 * C), 0.02)
        p[h + "mlp.c_fc.bias"] = np.zeros(4 * C, np.float32)
        p[h + "mlp.c_proj.weight"] = n((4 * C, C), proj)
        p[h + "mlp.c_proj.bias"] = np.zeros(C, np.float32)
    p["ln_f.weight"] = np.ones(C, np.float32)
    p["ln_f.bias"] = np.zeros(C, np.float32)
    return p


def write_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header, then the raw little-endian data."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, a in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(len(blob).to_bytes(8, "little"))
        f.write(blob)
        for a in tensors.values():
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=124)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    write_safetensors(os.path.join(args.out, "model.safetensors"), params(args.seed))
    print(f"wrote {args.out} (GPT-2 124M shape, seed {args.seed})")


if __name__ == "__main__":
    main()
