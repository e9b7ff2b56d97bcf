# PyTorch oracle for Quill's SFT data path and masked loss: builds fixed chat-like examples (token ids
# with a per-token assistant mask), packs them into rows of T positions by the rule documented in
# Sources/QuillTraining/SFTData.swift (greedy in order, cut at T+1 tokens, pads with ignored targets,
# examples without a trained target skipped), takes the tiny Llama fixture's cross-entropy with
# ignore_index=-100 (mean over assistant targets only) and dumps the packed rows, the loss and the
# gradient of every parameter.
#
# Run:  /work/venv-finetune/bin/python Scripts/reference/sft_masked_loss_reference.py
#       (any venv with torch==2.13.0+cpu safetensors numpy)
# Writes Tests/QuillTrainingTests/Fixtures/sft_masked/reference.safetensors.

import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_train_reference import MODEL, ROOT, forward  # noqa: E402  (the same HF Llama graph)

OUT = os.path.join(ROOT, "Tests", "QuillTrainingTests", "Fixtures", "sft_masked")
T, PAD, IGNORE, SEED = 12, 0, -100, 5


def make_examples(rng, vocab):
    """Prompt (masked) then reply (trained) segments; a few edge cases on purpose."""
    shapes = [(3, 4), (5, 2), (2, 3, 2, 2), (6, 9), (4, 0), (1, 12), (2, 2), (7, 3), (3, 3, 1, 2), (1, 1)]
    examples = []
    for shape in shapes:
        tokens, mask = [], []
        for j, n in enumerate(shape):          # alternating prompt / reply segments
            tokens += list(rng.integers(1, vocab, size=n))
            mask += [j % 2 == 1] * n
        examples.append((tokens, mask))
    return examples


def pack(examples):
    rows_x, rows_y, x, y = [], [], [], []
    for tokens, mask in examples:
        tokens, mask = tokens[:T + 1], mask[:T + 1]
        if len(tokens) < 2 or not any(mask[1:]):
            continue
        if len(x) + len(tokens) - 1 > T:
            rows_x.append(x + [PAD] * (T - len(x)))
            rows_y.append(y + [IGNORE] * (T - len(y)))
            x, y = [], []
        x += tokens[:-1]
        y += [t if m else IGNORE for t, m in zip(tokens[1:], mask[1:])]
        if len(x) == T:
            rows_x.append(x)
            rows_y.append(y)
            x, y = [], []
    if x:
        rows_x.append(x + [PAD] * (T - len(x)))
        rows_y.append(y + [IGNORE] * (T - len(y)))
    return np.array(rows_x), np.array(rows_y)


def main():
    with open(os.path.join(MODEL, "config.json")) as f:
        cfg = json.load(f)
    params = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True)
              for k, v in load_file(os.path.join(MODEL, "model.safetensors")).items()}
    V = cfg["vocab_size"]
    examples = make_examples(np.random.default_rng(SEED), V)
    inputs, targets = pack(examples)
    logits = forward(params, cfg, torch.tensor(inputs, dtype=torch.int64))
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), torch.tensor(targets.reshape(-1)),
                                             ignore_index=IGNORE)
    loss.backward()
    print(f"{inputs.shape[0]} rows of {T}, {int((targets != IGNORE).sum())} trained targets, loss {loss.item():.6f}")
    tensors = {
        "example_tokens": np.array([t for e in examples for t in e[0]], dtype=np.int32),
        "example_mask": np.array([m for e in examples for m in e[1]], dtype=np.int32),
        "example_lengths": np.array([len(e[0]) for e in examples], dtype=np.int32),
        "inputs": inputs.astype(np.int32), "targets": targets.astype(np.int32),
        "loss": np.array([loss.item()], dtype=np.float32),
    }
    for n, p in params.items():
        tensors["grad." + n] = p.grad.numpy().astype(np.float32)
    os.makedirs(OUT, exist_ok=True)
    save_file(tensors, os.path.join(OUT, "reference.safetensors"),
              metadata={"time": str(T), "pad": str(PAD), "ignore_index": str(IGNORE), "torch": torch.__version__})
    print("wrote", os.path.join(OUT, "reference.safetensors"))


if __name__ == "__main__":
    main()
