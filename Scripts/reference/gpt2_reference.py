# GPT-2 numerical reference: forward, loss and a hand-written backward in numpy (float64),
# checked against central finite differences, then dumped as a Hugging Face model directory
# plus reference tensors. Follows llm.c's train_gpt2.c / test_gpt2 (layer = forward/backward pair)
# and the GPT-2 graph as Hugging Face's GPT2LMHeadModel runs it.
#
# Run:  .venv-ref/bin/python Scripts/reference/gpt2_reference.py [--full-fd]
# Writes Tests/QuillModelsTests/Fixtures/gpt2_tiny/{config.json, model.safetensors,
#        reference.safetensors, greedy.safetensors, README.md}; same seed => same bytes.
#
# Legend: B batch, T time, C channels, V vocabulary, P positions, NH heads, HS head size.
# Layouts: HF Conv1D stores W as (in, out), so y = x @ W + b. The LM head is tied: logits = h @ wte.T.
# Loss: mean cross-entropy over all B*T positions.

import argparse
import json
import os

import numpy as np
from safetensors.numpy import save_file

SEED = 1234
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "QuillModelsTests", "Fixtures", "gpt2_tiny")

CONFIG = {
    "architectures": ["GPT2LMHeadModel"],
    "model_type": "gpt2",
    "vocab_size": 64,
    "n_positions": 16,
    "n_ctx": 16,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_inner": None,
    "activation_function": "gelu_new",
    "layer_norm_epsilon": 1e-5,
    "resid_pdrop": 0.0,
    "embd_pdrop": 0.0,
    "attn_pdrop": 0.0,
    "initializer_range": 0.02,
    "scale_attn_weights": True,
    "scale_attn_by_inverse_layer_idx": False,
    "reorder_and_upcast_attn": False,
    "tie_word_embeddings": True,
    "bos_token_id": 63,
    "eos_token_id": 63,
    "use_cache": True,
    "torch_dtype": "float32",
}


# ----------------------------------------------------------------------------- parameters

def make_params(rng, cfg):
    """Random weights, HF GPT-2 names and layouts. Larger than GPT-2's 0.02 init on purpose:
    with std 0.02 attention is nearly uniform and logits ~0.1, so mask / position / head-split
    bugs would move logits by less than the test tolerance."""
    V, P, C, L = cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], cfg["n_layer"]
    n = lambda shape, std: std * rng.standard_normal(shape)
    p = {"wte.weight": n((V, C), 0.3), "wpe.weight": n((P, C), 0.3)}
    for i in range(L):
        h = f"h.{i}."
        p[h + "ln_1.weight"] = 1.0 + n((C,), 0.1)
        p[h + "ln_1.bias"] = n((C,), 0.1)
        p[h + "attn.c_attn.weight"] = n((C, 3 * C), 0.25)
        p[h + "attn.c_attn.bias"] = n((3 * C,), 0.1)
        p[h + "attn.c_proj.weight"] = n((C, C), 0.15)
        p[h + "attn.c_proj.bias"] = n((C,), 0.1)
        p[h + "ln_2.weight"] = 1.0 + n((C,), 0.1)
        p[h + "ln_2.bias"] = n((C,), 0.1)
        p[h + "mlp.c_fc.weight"] = n((C, 4 * C), 0.2)
        p[h + "mlp.c_fc.bias"] = n((4 * C,), 0.1)
        p[h + "mlp.c_proj.weight"] = n((4 * C, C), 0.1)
        p[h + "mlp.c_proj.bias"] = n((C,), 0.1)
    p["ln_f.weight"] = 1.0 + n((C,), 0.1)
    p["ln_f.bias"] = n((C,), 0.1)
    # Round to float32 once so the float64 oracle runs on exactly the weights that are stored.
    return {k: v.astype(np.float32).astype(np.float64) for k, v in p.items()}


# ----------------------------------------------------------------------------- layers

def layernorm_forward(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    rstd = 1.0 / np.sqrt(((x - mean) ** 2).mean(-1, keepdims=True) + eps)  # biased variance
    xhat = (x - mean) * rstd
    return xhat * w + b, (xhat, rstd, w)


def layernorm_backward(dy, cache):
    xhat, rstd, w = cache
    dw = (dy * xhat).reshape(-1, xhat.shape[-1]).sum(0)
    db = dy.reshape(-1, xhat.shape[-1]).sum(0)
    dxhat = dy * w
    dx = rstd * (dxhat - dxhat.mean(-1, keepdims=True) - xhat * (dxhat * xhat).mean(-1, keepdims=True))
    return dx, dw, db


def matmul_forward(x, w, b):
    # x (..., in), w (in, out) as HF Conv1D, b (out,)
    return x @ w + b


def matmul_backward(dy, x, w):
    dx = dy @ w.T
    dw = x.reshape(-1, x.shape[-1]).T @ dy.reshape(-1, dy.shape[-1])
    db = dy.reshape(-1, dy.shape[-1]).sum(0)
    return dx, dw, db


GELU_K = np.sqrt(2.0 / np.pi)


def gelu_forward(x):
    return 0.5 * x * (1.0 + np.tanh(GELU_K * (x + 0.044715 * x ** 3)))


def gelu_backward(dy, x):
    t = np.tanh(GELU_K * (x + 0.044715 * x ** 3))
    dt = (1.0 - t * t) * GELU_K * (1.0 + 3 * 0.044715 * x * x)
    return dy * (0.5 * (1.0 + t) + 0.5 * x * dt)


def attention_forward(qkv, NH):
    # qkv (B, T, 3C) -> y (B, T, C); causal softmax attention scaled by 1/sqrt(HS)
    B, T, C3 = qkv.shape
    C = C3 // 3
    HS = C // NH
    q, k, v = np.split(qkv, 3, axis=-1)
    heads = lambda a: a.reshape(B, T, NH, HS).transpose(0, 2, 1, 3)  # (B, NH, T, HS)
    q, k, v = heads(q), heads(k), heads(v)
    scale = 1.0 / np.sqrt(HS)
    s = (q @ k.transpose(0, 1, 3, 2)) * scale  # (B, NH, T, T)
    mask = np.tril(np.ones((T, T), dtype=bool))
    s = np.where(mask, s, -np.inf)
    s = s - s.max(-1, keepdims=True)
    att = np.exp(s)
    att /= att.sum(-1, keepdims=True)
    y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
    return y, (q, k, v, att, scale)


def attention_backward(dy, cache):
    q, k, v, att, scale = cache
    B, NH, T, HS = q.shape
    dy = dy.reshape(B, T, NH, HS).transpose(0, 2, 1, 3)  # (B, NH, T, HS)
    datt = dy @ v.transpose(0, 1, 3, 2)
    dv = att.transpose(0, 1, 3, 2) @ dy
    ds = att * (datt - (datt * att).sum(-1, keepdims=True))  # softmax backward; masked entries stay 0
    dq = (ds @ k) * scale
    dk = (ds.transpose(0, 1, 3, 2) @ q) * scale
    merge = lambda a: a.transpose(0, 2, 1, 3).reshape(B, T, NH * HS)
    return np.concatenate([merge(dq), merge(dk), merge(dv)], axis=-1)


def crossentropy_forward(logits, targets):
    # mean over all B*T positions
    z = logits - logits.max(-1, keepdims=True)
    probs = np.exp(z)
    probs /= probs.sum(-1, keepdims=True)
    B, T, V = logits.shape
    picked = np.take_along_axis(probs, targets[..., None], -1)[..., 0]
    return -np.log(picked).mean(), probs


def crossentropy_backward(probs, targets):
    B, T, V = probs.shape
    d = probs.copy()
    np.put_along_axis(d, targets[..., None], np.take_along_axis(d, targets[..., None], -1) - 1.0, -1)
    return d / (B * T)


# ----------------------------------------------------------------------------- model

def gpt2_forward(p, cfg, ids):
    """ids (B, T) -> logits (B, T, V), plus the activations backward needs."""
    B, T = ids.shape
    eps, NH = cfg["layer_norm_epsilon"], cfg["n_head"]
    x = p["wte.weight"][ids] + p["wpe.weight"][np.arange(T)][None]  # (B, T, C)
    caches = []
    for i in range(cfg["n_layer"]):
        h = f"h.{i}."
        ln1, ln1c = layernorm_forward(x, p[h + "ln_1.weight"], p[h + "ln_1.bias"], eps)
        qkv = matmul_forward(ln1, p[h + "attn.c_attn.weight"], p[h + "attn.c_attn.bias"])  # (B, T, 3C)
        atty, attc = attention_forward(qkv, NH)
        attproj = matmul_forward(atty, p[h + "attn.c_proj.weight"], p[h + "attn.c_proj.bias"])
        x2 = x + attproj
        ln2, ln2c = layernorm_forward(x2, p[h + "ln_2.weight"], p[h + "ln_2.bias"], eps)
        fch = matmul_forward(ln2, p[h + "mlp.c_fc.weight"], p[h + "mlp.c_fc.bias"])  # (B, T, 4C)
        fcg = gelu_forward(fch)
        fcproj = matmul_forward(fcg, p[h + "mlp.c_proj.weight"], p[h + "mlp.c_proj.bias"])
        caches.append((ln1, ln1c, atty, attc, ln2, ln2c, fch, fcg))
        x = x2 + fcproj
    lnf, lnfc = layernorm_forward(x, p["ln_f.weight"], p["ln_f.bias"], eps)
    logits = lnf @ p["wte.weight"].T  # tied head, (B, T, V)
    return logits, (caches, lnf, lnfc)


def gpt2_backward(p, cfg, ids, cache, dlogits):
    caches, lnf, lnfc = cache
    B, T = ids.shape
    g = {k: np.zeros_like(v) for k, v in p.items()}
    g["wte.weight"] += dlogits.reshape(-1, dlogits.shape[-1]).T @ lnf.reshape(-1, lnf.shape[-1])
    dx = dlogits @ p["wte.weight"]
    dx, g["ln_f.weight"], g["ln_f.bias"] = layernorm_backward(dx, lnfc)
    for i in reversed(range(cfg["n_layer"])):
        h = f"h.{i}."
        ln1, ln1c, atty, attc, ln2, ln2c, fch, fcg = caches[i]
        # MLP branch: x = x2 + c_proj(gelu(c_fc(ln_2(x2))))
        dfcg, g[h + "mlp.c_proj.weight"], g[h + "mlp.c_proj.bias"] = matmul_backward(dx, fcg, p[h + "mlp.c_proj.weight"])
        dfch = gelu_backward(dfcg, fch)
        dln2, g[h + "mlp.c_fc.weight"], g[h + "mlp.c_fc.bias"] = matmul_backward(dfch, ln2, p[h + "mlp.c_fc.weight"])
        dln2x, g[h + "ln_2.weight"], g[h + "ln_2.bias"] = layernorm_backward(dln2, ln2c)
        dx = dx + dln2x
        # attention branch: x2 = x + c_proj(attn(c_attn(ln_1(x))))
        datty, g[h + "attn.c_proj.weight"], g[h + "attn.c_proj.bias"] = matmul_backward(dx, atty, p[h + "attn.c_proj.weight"])
        dqkv = attention_backward(datty, attc)
        dln1, g[h + "attn.c_attn.weight"], g[h + "attn.c_attn.bias"] = matmul_backward(dqkv, ln1, p[h + "attn.c_attn.weight"])
        dln1x, g[h + "ln_1.weight"], g[h + "ln_1.bias"] = layernorm_backward(dln1, ln1c)
        dx = dx + dln1x
    np.add.at(g["wte.weight"], ids.reshape(-1), dx.reshape(-1, dx.shape[-1]))
    g["wpe.weight"][:T] += dx.sum(0)
    return g


def loss_and_grads(p, cfg, ids, targets):
    logits, cache = gpt2_forward(p, cfg, ids)
    loss, probs = crossentropy_forward(logits, targets)
    grads = gpt2_backward(p, cfg, ids, cache, crossentropy_backward(probs, targets))
    return logits, loss, grads


def greedy(p, cfg, prompt, steps):
    """Greedy continuation, full forward every step (no cache). Returns tokens and top1-top2 margins."""
    seq, margins = list(prompt), []
    for _ in range(steps):
        logits, _ = gpt2_forward(p, cfg, np.array([seq]))
        last = np.sort(logits[0, -1])
        seq.append(int(np.argmax(logits[0, -1])))
        margins.append(last[-1] - last[-2])
    return np.array(seq[len(prompt):]), np.array(margins)


# ----------------------------------------------------------------------------- finite differences

def finite_difference_check(p, cfg, ids, targets, grads, full, rng):
    """Central differences in float64. Per tensor: 3 random directional derivatives over the whole
    tensor, plus single entries (all of them with --full-fd, else 12 random ones). The error of an
    entry is |fd - analytic| / max(|analytic| over the tensor), so tiny entries do not blow it up."""
    eps = 1e-5
    loss_at = lambda q: crossentropy_forward(gpt2_forward(q, cfg, ids)[0], targets)[0]
    worst = 0.0
    for name in p:
        w0, scale = p[name], max(np.abs(grads[name]).max(), 1e-12)
        errs = []
        for _ in range(3):
            d = rng.standard_normal(w0.shape)
            q = dict(p)
            q[name] = w0 + eps * d
            lp = loss_at(q)
            q[name] = w0 - eps * d
            lm = loss_at(q)
            fd, an = (lp - lm) / (2 * eps), (grads[name] * d).sum()
            errs.append(abs(fd - an) / max(abs(fd), abs(an), 1e-12))
        flat = np.arange(w0.size) if full else rng.choice(w0.size, min(12, w0.size), replace=False)
        for j in flat:
            q = dict(p)
            w = w0.copy().reshape(-1)
            w[j] += eps
            q[name] = w.reshape(w0.shape)
            lp = loss_at(q)
            w[j] -= 2 * eps
            lm = loss_at(q)
            errs.append(abs((lp - lm) / (2 * eps) - grads[name].reshape(-1)[j]) / scale)
        worst = max(worst, max(errs))
        print(f"  {name:28s} {str(w0.shape):12s} max rel err {max(errs):.2e}")
    return worst


# ----------------------------------------------------------------------------- main

def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--full-fd", action="store_true", help="finite-difference every parameter entry (slow)")
    args = ap.parse_args()

    rng = np.random.default_rng(SEED)
    cfg = CONFIG
    V, P = cfg["vocab_size"], cfg["n_positions"]
    p = make_params(rng, cfg)
    ids = rng.integers(0, V, size=(2, 8))
    targets = rng.integers(0, V, size=(2, 8))
    ids_full = rng.integers(0, V, size=(1, P))
    prompt = rng.integers(0, V, size=(4,))

    logits, loss, grads = loss_and_grads(p, cfg, ids, targets)
    logits_full, _ = gpt2_forward(p, cfg, ids_full)
    gen, margins = greedy(p, cfg, prompt, 8)
    _, (caches, _, _) = gpt2_forward(p, cfg, ids)
    maxatt = np.mean([c[3][3].max(-1).mean() for c in caches])
    print(f"loss {loss:.6f}  logits std {logits.std():.3f}  mean max attention prob {maxatt:.3f}")
    print(f"greedy {gen.tolist()}  min top1-top2 margin {margins.min():.4f}")

    print("finite-difference check (float64):")
    worst = finite_difference_check(p, cfg, ids, targets, grads, args.full_fd, np.random.default_rng(SEED + 1))
    print(f"max rel error over all parameters: {worst:.2e}")
    assert worst < 1e-6, "numpy backward disagrees with finite differences"
    assert margins.min() > 1e-3, "greedy margin too small to be a robust fp32 test; change the seed"

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    save_file({k: f32(v) for k, v in p.items()}, os.path.join(OUT, "model.safetensors"), metadata={"format": "pt"})
    ref = {
        "input_ids": ids.astype(np.int32),
        "targets": targets.astype(np.int32),
        "logits": f32(logits),
        "loss": f32([loss]),
        "input_ids_full": ids_full.astype(np.int32),
        "logits_full": f32(logits_full),
    }
    ref.update({"grad." + k: f32(v) for k, v in grads.items()})
    save_file(ref, os.path.join(OUT, "reference.safetensors"), metadata={"format": "pt"})
    save_file({"prompt": prompt.astype(np.int32), "generated": gen.astype(np.int32), "margins": f32(margins)},
              os.path.join(OUT, "greedy.safetensors"), metadata={"format": "pt"})
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
