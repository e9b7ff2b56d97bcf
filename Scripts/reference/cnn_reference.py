# PyTorch reference for Quill's image encoder (Sources/QuillModels/ImageEncoder.swift), checked by
# Tests/QuillModelsTests/ImageEncoderReferenceTests.swift. Builds the same tiny CNN (conv 3×3 → BN →
# ReLU → max-pool, twice → linear → ReLU → linear; convolutions without bias) in float64 with fixed weights, and stores: the
# logits, cross-entropy and every parameter gradient of one training-mode step on a fixed batch; the
# parameters and batch-norm running averages after two AdamW steps (decay on ≥2-D tensors only, as
# QuillNN's AdamW); and evaluation-mode logits after them. Stored as float32.
#   /work/venv-vision/bin/python Scripts/reference/cnn_reference.py
# Writes Tests/QuillModelsTests/Fixtures/cnn_reference.safetensors.
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.numpy import save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "QuillModelsTests", "Fixtures", "cnn_reference.safetensors")

IMAGE, C1, C2, EMBED, CLASSES, BATCH = 8, 3, 4, 6, 5, 6
LR, BETAS, EPS, WD, STEPS = 1e-2, (0.9, 0.999), 1e-8, 0.05, 2


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, C1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(C1, eps=1e-5, momentum=0.1)
        self.conv2 = nn.Conv2d(C1, C2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(C2, eps=1e-5, momentum=0.1)
        self.embed = nn.Linear(C2 * (IMAGE // 4) ** 2, EMBED)
        self.classifier = nn.Linear(EMBED, CLASSES)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        h = F.max_pool2d(F.relu(self.bn2(self.conv2(h))), 2)
        return self.classifier(F.relu(self.embed(h.flatten(1))))


def main():
    torch.manual_seed(7)
    model = CNN().double()
    with torch.no_grad():   # non-trivial gains and biases so their gradients are exercised
        for bn in (model.bn1, model.bn2):
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.3, 0.3)
    x = torch.randn(BATCH, 1, IMAGE, IMAGE, dtype=torch.float64)
    labels = torch.tensor([0, 3, 1, 4, 2, 3], dtype=torch.int64)
    out = {}
    state = lambda: {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    for k, v in state().items():
        out["init." + k] = v.clone()
    out["x"], out["labels"] = x, labels

    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=BETAS, eps=EPS)
    model.train()
    for step in range(STEPS):
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        if step == 0:
            out["logits"], out["loss"] = logits.detach(), loss.detach().reshape(1)
            for name, p in model.named_parameters():
                out["grad." + name] = p.grad.clone()
        out[f"step{step + 1}.loss"] = loss.detach().reshape(1)
        opt.step()
    for k, v in state().items():
        out[f"after.{k}"] = v.clone()
    model.eval()
    with torch.no_grad():
        out["eval_logits"] = model(x)
    out["geometry"] = torch.tensor([IMAGE, C1, C2, EMBED, CLASSES, BATCH, STEPS], dtype=torch.int64)
    out["hyper"] = torch.tensor([LR, BETAS[0], BETAS[1], EPS, WD], dtype=torch.float64)
    arrays = {k: (v.numpy().astype(np.int64) if v.dtype == torch.int64 else v.numpy().astype(np.float32))
              for k, v in out.items()}
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, OUT)
    print(f"wrote {len(arrays)} tensors to {OUT}; loss {out['loss'].item():.6f}")


if __name__ == "__main__":
    main()
