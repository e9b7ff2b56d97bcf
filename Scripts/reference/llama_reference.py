# Llama-family numerical reference (Llama with GQA, RoPE incl. linear and llama3 scaling; Qwen2 with
# q/k/v biases and a tied head): a numpy forward in float64, dumped as Hugging Face model directories
# with reference logits and greedy continuations. Follows the graph of Hugging Face's
# LlamaForCausalLM / Qwen2ForCausalLM (RMSNorm, rotate_half RoPE, repeat_kv, SwiGLU MLP).
#
# Run:  .venv-ref/bin/python Scripts/reference/llama_reference.py
# Writes Tests/QuillModelsTests/Fixtures/{llama_tiny, llama_scaled_linear, llama_scaled_llama3, qwen2_tiny}/
#        {config.json, model.safetensors, reference.safetensors, greedy.safetensors}; same seed => same bytes.
#
# Legend: B batch, T time, C hidden size, V vocabulary, NH query heads, NKV key/value heads, HD head dim.
# Layouts: nn.Linear stores W as (out, in), so y = x @ W.T (+ b).
# RoPE convention (HF, "rotate_half"): dimension i of a head is paired with i + HD/2, not with i+1.
#   inv_freq[i] = theta^(-2i/HD) for i < HD/2; angle = pos * inv_freq; cos/sin are tiled twice to HD;
#   x_rot = x * cos + rotate_half(x) * sin with rotate_half([x1, x2]) = [-x2, x1].
# Meta's original checkpoints rotate interleaved pairs (2i, 2i+1) instead; HF's conversion script
# permutes the rows of q_proj/k_proj so that rotate_half gives the same attention. These fixtures are
# in HF form: a loader that reads HF tensors must use rotate_half (and a GGUF writer must permute back,
# as llama.cpp's convert_hf_to_gguf.py does for Llama).

import json
import os

import numpy as np
from safetensors.numpy import save_file

SEED = 2024
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "QuillModelsTests", "Fixtures")

LLAMA = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "vocab_size": 64,
    "hidden_size": 32,
    "intermediate_size": 80,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 8,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-5,
    "rope_theta": 10000.0,
    "rope_scaling": None,
    "max_position_embeddings": 128,
    "attention_bias": False,
    "attention_dropout": 0.0,
    "mlp_bias": False,
    "tie_word_embeddings": False,
    "initializer_range": 0.02,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "use_cache": True,
    "torch_dtype": "float32",
}
LLAMA_LINEAR = dict(LLAMA, rope_scaling={"rope_type": "linear", "type": "linear", "factor": 2.0})
# original_max_position_embeddings 64 (not 32): with head_dim 8 the wavelengths 2*pi/inv_freq are
# 6.3, 63, 628, 6283, so 64 puts one frequency in each llama3 band (kept, smoothed, divided by factor).
LLAMA_LLAMA3 = dict(LLAMA, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                         "high_freq_factor": 4.0, "original_max_position_embeddings": 64})
QWEN2 = {
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "vocab_size": 64,
    "hidden_size": 32,
    "intermediate_size": 80,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-5,
    "rope_theta": 1000000.0,
    "rope_scaling": None,
    "max_position_embeddings": 128,
    "use_sliding_window": False,
    "sliding_window": None,
    "max_window_layers": 2,
    "attention_dropout": 0.0,
    "tie_word_embeddings": True,
    "initializer_range": 0.02,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "use_cache": True,
    "torch_dtype": "float32",
}


# ----------------------------------------------------------------------------- parameters

def make_params(rng, cfg, qkv_bias, tied):
    """Random weights with HF names. Scales are chosen so attention scores are O(1) (std 0.02 would
    make attention uniform and hide RoPE / mask / GQA bugs) and logits have std ~1.5."""
    V, C, F, L = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    HD = C // cfg["num_attention_heads"]
    NQ, NKV = cfg["num_attention_heads"] * HD, cfg["num_key_value_heads"] * HD
    n = lambda shape, std: std * rng.standard_normal(shape)
    p = {"model.embed_tokens.weight": n((V, C), 0.3)}
    for i in range(L):
        h = f"model.layers.{i}."
        p[h + "input_layernorm.weight"] = 1.0 + n((C,), 0.1)
        p[h + "self_attn.q_proj.weight"] = n((NQ, C), 0.25)
        p[h + "self_attn.k_proj.weight"] = n((NKV, C), 0.25)
        p[h + "self_attn.v_proj.weight"] = n((NKV, C), 0.18)
        if qkv_bias:
            p[h + "self_attn.q_proj.bias"] = n((NQ,), 0.2)
            p[h + "self_attn.k_proj.bias"] = n((NKV,), 0.2)
            p[h + "self_attn.v_proj.bias"] = n((NKV,), 0.2)
        p[h + "self_attn.o_proj.weight"] = n((C, NQ), 0.18)
        p[h + "post_attention_layernorm.weight"] = 1.0 + n((C,), 0.1)
        p[h + "mlp.gate_proj.weight"] = n((F, C), 0.2)
        p[h + "mlp.up_proj.weight"] = n((F, C), 0.2)
        p[h + "mlp.down_proj.weight"] = n((C, F), 0.12)
    p["model.norm.weight"] = 1.0 + n((C,), 0.1)
    if not tied:
        p["lm_head.weight"] = n((V, C), 0.3)
    # Round to float32 once so the float64 reference runs on exactly the stored weights.
    return {k: v.astype(np.float32).astype(np.float64) for k, v in p.items()}


# ----------------------------------------------------------------------------- RoPE

def rope_inv_freq(cfg):
    """inv_freq (HD/2,) after the config's rope_scaling, as HF's rope initialisation functions do."""
    HD = cfg["hidden_size"] // cfg["num_attention_heads"]
    inv_freq = 1.0 / cfg["rope_theta"] ** (np.arange(0, HD, 2) / HD)
    rs = cfg.get("rope_scaling")
    kind = (rs or {}).get("rope_type", (rs or {}).get("type", "default"))
    if kind == "default":
        return inv_freq
    if kind == "linear":
        return inv_freq / rs["factor"]  # same as dividing positions by factor
    if kind == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        wavelen = 2 * np.pi / inv_freq
        # long wavelengths (> old/lo) are slowed by factor, short ones (< old/hi) kept,
        # the band between is a linear blend in old/wavelen.
        smooth = (old / wavelen - lo) / (hi - lo)
        blended = (1 - smooth) * inv_freq / factor + smooth * inv_freq
        out = np.where(wavelen > old / lo, inv_freq / factor, inv_freq)
        medium = (wavelen >= old / hi) & (wavelen <= old / lo)
        return np.where(medium, blended, out)
    raise ValueError(f"rope_scaling type {kind} not in this reference")


def rope_apply(x, pos, inv_freq):
    # x (B, H, T, HD); pos (T,)
    ang = pos[:, None] * inv_freq[None, :]  # (T, HD/2)
    cos = np.concatenate([np.cos(ang)] * 2, -1)
    sin = np.concatenate([np.sin(ang)] * 2, -1)
    half = x.shape[-1] // 2
    rot = np.concatenate([-x[..., half:], x[..., :half]], -1)  # rotate_half
    return x * cos + rot * sin


# ----------------------------------------------------------------------------- model

def rmsnorm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def linear(x, p, name):
    y = x @ p[name + ".weight"].T  # nn.Linear: W (out, in)
    return y + p[name + ".bias"] if name + ".bias" in p else y


def attention(x, p, pre, cfg, inv_freq):
    B, T, C = x.shape
    NH, NKV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    HD = C // NH
    q = linear(x, p, pre + "q_proj").reshape(B, T, NH, HD).transpose(0, 2, 1, 3)  # (B, NH, T, HD)
    k = linear(x, p, pre + "k_proj").reshape(B, T, NKV, HD).transpose(0, 2, 1, 3)  # (B, NKV, T, HD)
    v = linear(x, p, pre + "v_proj").reshape(B, T, NKV, HD).transpose(0, 2, 1, 3)
    pos = np.arange(T, dtype=np.float64)
    q, k = rope_apply(q, pos, inv_freq), rope_apply(k, pos, inv_freq)
    k = np.repeat(k, NH // NKV, axis=1)  # GQA: query head h reads kv head h // (NH/NKV)
    v = np.repeat(v, NH // NKV, axis=1)
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(HD)  # (B, NH, T, T)
    s = np.where(np.tril(np.ones((T, T), dtype=bool)), s, -np.inf)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    y = (a @ v).transpose(0, 2, 1, 3).reshape(B, T, NH * HD)
    return linear(y, p, pre + "o_proj"), a


def forward(p, cfg, ids):
    """ids (B, T) -> logits (B, T, V) and the attention maps (for diagnostics)."""
    eps = cfg["rms_norm_eps"]
    inv_freq = rope_inv_freq(cfg)
    x = p["model.embed_tokens.weight"][ids]
    maps = []
    for i in range(cfg["num_hidden_layers"]):
        h = f"model.layers.{i}."
        att, a = attention(rmsnorm(x, p[h + "input_layernorm.weight"], eps), p, h + "self_attn.", cfg, inv_freq)
        x = x + att
        m = rmsnorm(x, p[h + "post_attention_layernorm.weight"], eps)
        g = linear(m, p, h + "mlp.gate_proj")
        x = x + linear(g / (1 + np.exp(-g)) * linear(m, p, h + "mlp.up_proj"), p, h + "mlp.down_proj")  # SwiGLU
        maps.append(a)
    x = rmsnorm(x, p["model.norm.weight"], eps)
    head = p.get("lm_head.weight", p["model.embed_tokens.weight"])  # tied when lm_head is absent
    return x @ head.T, maps


def greedy(p, cfg, prompt, steps):
    """Greedy continuation, full forward every step (no cache). Returns new tokens and top1-top2 margins."""
    seq, margins = list(prompt), []
    for _ in range(steps):
        last = forward(p, cfg, np.array([seq]))[0][0, -1]
        top = np.sort(last)
        seq.append(int(np.argmax(last)))
        margins.append(top[-1] - top[-2])
    return np.array(seq[len(prompt):]), np.array(margins)


def robust_greedy(p, cfg, rng, steps, tries=12):
    """Greedy from one of a few seeded 4-token prompts: among those whose every step wins by > 0.01
    logits (so float32 rounding in the implementation under test cannot flip a token), the one whose
    continuation has the most distinct tokens (random tiny models like to loop, which tests less)."""
    best, best_key = None, None
    for _ in range(tries):
        prompt = rng.integers(0, cfg["vocab_size"], size=(4,))
        gen, margins = greedy(p, cfg, prompt, steps)
        key = (margins.min() > 0.01, len(set(gen.tolist())), margins.min())
        if best_key is None or key > best_key:
            best, best_key = (prompt, gen, margins), key
    return best


# ----------------------------------------------------------------------------- main

def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def write_fixture(name, cfg, p, ids, greedy_result):
    out = os.path.join(FIXTURES, name)
    os.makedirs(out, exist_ok=True)
    logits, maps = forward(p, cfg, ids)
    prompt, gen, margins = greedy_result
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    meta = {"format": "pt"}
    save_file({k: f32(v) for k, v in p.items()}, os.path.join(out, "model.safetensors"), metadata=meta)
    save_file({"input_ids": ids.astype(np.int32), "logits": f32(logits)},
              os.path.join(out, "reference.safetensors"), metadata=meta)
    save_file({"prompt": prompt.astype(np.int32), "generated": gen.astype(np.int32), "margins": f32(margins)},
              os.path.join(out, "greedy.safetensors"), metadata=meta)
    maxatt = np.mean([a.max(-1).mean() for a in maps])
    print(f"{name:20s} logits std {logits.std():.3f}  mean max attention {maxatt:.3f}  "
          f"greedy min margin {margins.min():.4f}  first tokens {gen[:12].tolist()}")


def main():
    rng = np.random.default_rng(SEED)
    # Llama: one set of weights, three RoPE configurations (each folder is a complete HF directory).
    p = make_params(rng, LLAMA, qkv_bias=False, tied=False)
    ids = rng.integers(0, 64, size=(1, 12))
    ids_long = rng.integers(0, 64, size=(1, 48))  # longer input for the scaled variants: larger angles
    write_fixture("llama_tiny", LLAMA, p, ids, robust_greedy(p, LLAMA, rng, 64))
    write_fixture("llama_scaled_linear", LLAMA_LINEAR, p, ids_long, robust_greedy(p, LLAMA_LINEAR, rng, 64))
    write_fixture("llama_scaled_llama3", LLAMA_LLAMA3, p, ids_long, robust_greedy(p, LLAMA_LLAMA3, rng, 64))

    # Qwen2: q/k/v biases, tied head, rope_theta 1e6.
    q = make_params(rng, QWEN2, qkv_bias=True, tied=True)
    ids = rng.integers(0, 64, size=(1, 12))
    write_fixture("qwen2_tiny", QWEN2, q, ids, robust_greedy(q, QWEN2, rng, 64))


if __name__ == "__main__":
    main()
