# PyTorch oracle for Quill's training loop on a Llama-family model: takes the tiny Llama fixture
# (Tests/QuillModelsTests/Fixtures/llama_tiny), runs STEPS optimiser steps on fixed batches with
# gradient accumulation, global-norm clipping (torch.nn.utils.clip_grad_norm_), torch.optim.AdamW
# (weight decay on matrices only, as nanoGPT's param groups) and a warmup + cosine schedule, in float32,
# and dumps per-step losses, gradient norms, learning rates and every final weight.
#
# Run:  python3 -m venv /work/venv-ref && /work/venv-ref/bin/pip install torch==2.13.0+cpu safetensors numpy
#       /work/venv-ref/bin/python Scripts/reference/llama_train_reference.py
# Writes Tests/QuillTrainingTests/Fixtures/llama_train/reference.safetensors (same seed => same batches).
#
# The forward is written here from the HF LlamaForCausalLM graph (RMSNorm, rotate_half RoPE, repeat_kv
# grouped-query attention, SwiGLU MLP, untied lm_head); Scripts/reference/llama_reference.py documents
# the conventions. Legend: B batch, T time, C hidden, NH query heads, NKV kv heads, HD head dim.

import json
import math
import os

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MODEL = os.path.join(ROOT, "Tests", "QuillModelsTests", "Fixtures", "llama_tiny")
OUT = os.path.join(ROOT, "Tests", "QuillTrainingTests", "Fixtures", "llama_train")

# The run (the Swift test reads these from the fixture's metadata).
STEPS, ACCUMULATION, B, T = 8, 2, 2, 12
MAX_LR, MIN_LR, WARMUP = 3e-3, 3e-4, 2
BETA1, BETA2, EPS, WEIGHT_DECAY = 0.9, 0.95, 1e-8, 0.1
CLIP = 5.6
SEED = 11


def learning_rate(step):
    """Linear warmup to MAX_LR over WARMUP steps, then cosine decay to MIN_LR at STEPS (GPT-3 / nanoGPT)."""
    if step < WARMUP:
        return MAX_LR * (step + 1) / WARMUP
    if step >= STEPS:
        return MIN_LR
    progress = (step - WARMUP) / max(1, STEPS - WARMUP)
    return MIN_LR + 0.5 * (1 + math.cos(math.pi * progress)) * (MAX_LR - MIN_LR)


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def forward(p, cfg, ids):
    """ids (B, T) int64 -> logits (B, T, V)."""
    Bn, Tn = ids.shape
    NH, NKV, HD = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, HD, 2, dtype=torch.float64) / HD))
    angles = torch.arange(Tn, dtype=torch.float64)[:, None] * inv_freq[None, :]        # (T, HD/2)
    cos = torch.cat([angles.cos(), angles.cos()], -1).float()                          # (T, HD)
    sin = torch.cat([angles.sin(), angles.sin()], -1).float()
    mask = torch.full((Tn, Tn), float("-inf")).triu(1)
    x = p["model.embed_tokens.weight"][ids]                                            # (B, T, C)
    for i in range(cfg["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        h = rms_norm(x, p[pre + "input_layernorm.weight"], eps)
        q = (h @ p[pre + "self_attn.q_proj.weight"].T).view(Bn, Tn, NH, HD).transpose(1, 2)   # (B, NH, T, HD)
        k = (h @ p[pre + "self_attn.k_proj.weight"].T).view(Bn, Tn, NKV, HD).transpose(1, 2)  # (B, NKV, T, HD)
        v = (h @ p[pre + "self_attn.v_proj.weight"].T).view(Bn, Tn, NKV, HD).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(NH // NKV, dim=1)                                       # repeat_kv
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HD) + mask, dim=-1)     # (B, NH, T, T)
        a = (att @ v).transpose(1, 2).reshape(Bn, Tn, NH * HD)
        x = x + a @ p[pre + "self_attn.o_proj.weight"].T
        m = rms_norm(x, p[pre + "post_attention_layernorm.weight"], eps)
        gate = m @ p[pre + "mlp.gate_proj.weight"].T
        up = m @ p[pre + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ p[pre + "mlp.down_proj.weight"].T
    x = rms_norm(x, p["model.norm.weight"], eps)
    return x @ p["lm_head.weight"].T


def main():
    torch.manual_seed(0)
    with open(os.path.join(MODEL, "config.json")) as f:
        cfg = json.load(f)
    weights = load_file(os.path.join(MODEL, "model.safetensors"))
    params = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in weights.items()}
    names = sorted(params)
    rng = np.random.default_rng(SEED)
    V = cfg["vocab_size"]
    # Each sample is T+1 tokens: inputs the first T, targets the last T (the DataLoader's windows).
    windows = rng.integers(0, V, size=(STEPS, ACCUMULATION, B, T + 1))
    inputs, targets = windows[..., :-1], windows[..., 1:]
    decay = [params[n] for n in names if params[n].dim() >= 2]
    no_decay = [params[n] for n in names if params[n].dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=MAX_LR, betas=(BETA1, BETA2), eps=EPS)
    losses, norms, lrs = [], [], []
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for micro in range(ACCUMULATION):
            ids = torch.tensor(inputs[step, micro], dtype=torch.int64)
            tgt = torch.tensor(targets[step, micro], dtype=torch.int64)
            logits = forward(params, cfg, ids)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1))
            (loss / ACCUMULATION).backward()
            total += loss.item()
        norm = torch.nn.utils.clip_grad_norm_([params[n] for n in names], max_norm=CLIP)
        lr = learning_rate(step)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        losses.append(total / ACCUMULATION)
        norms.append(norm.item())
        lrs.append(lr)
        print(f"step {step + 1}: loss {losses[-1]:.6f}  grad norm {norms[-1]:.4f}  lr {lr:.3e}"
              + ("  (clipped)" if norms[-1] > CLIP else ""))
    tensors = {
        "inputs": inputs.astype(np.int32), "targets": targets.astype(np.int32),
        "losses": np.array(losses, dtype=np.float32), "gradient_norms": np.array(norms, dtype=np.float32),
        "learning_rates": np.array(lrs, dtype=np.float32),
    }
    for n in names:
        tensors["final." + n] = params[n].detach().numpy().astype(np.float32)
    metadata = {"steps": str(STEPS), "accumulation": str(ACCUMULATION), "batch": str(B), "time": str(T),
                "max_lr": repr(MAX_LR), "min_lr": repr(MIN_LR), "warmup": str(WARMUP), "beta1": repr(BETA1),
                "beta2": repr(BETA2), "epsilon": repr(EPS), "weight_decay": repr(WEIGHT_DECAY), "clip": repr(CLIP),
                "torch": torch.__version__}
    os.makedirs(OUT, exist_ok=True)
    save_file(tensors, os.path.join(OUT, "reference.safetensors"), metadata=metadata)
    print("wrote", os.path.join(OUT, "reference.safetensors"))


if __name__ == "__main__":
    main()
