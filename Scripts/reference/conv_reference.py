# Reference outputs and gradients of torch.nn.functional.conv2d, max_pool2d, avg_pool2d and batch_norm
# (training with running-average updates, and evaluation) for Quill's image-op tests
# (Tests/QuillTensorTests/ConvReferenceTests.swift). For fixed random inputs and an output weighting r
# it stores each output and the gradients of L = Σ output·r, computed in float64 (stored as float32).
#   /work/venv-ref/bin/python Scripts/reference/conv_reference.py
# Writes Tests/QuillTensorTests/Fixtures/conv_reference.safetensors.
import os

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "QuillTensorTests", "Fixtures", "conv_reference.safetensors")

# name: (N, C, H, W, O, kernel, stride, padding, dilation, bias)
CONVS = {
    "plain": (2, 3, 7, 6, 4, (3, 3), (1, 1), (0, 0), (1, 1), True),
    "strided": (2, 2, 9, 8, 3, (3, 3), (2, 2), (1, 1), (1, 1), True),
    "mixed": (1, 3, 8, 9, 2, (3, 2), (1, 2), (2, 1), (2, 1), False),
    "pointwise": (3, 4, 5, 5, 6, (1, 1), (1, 1), (0, 0), (1, 1), True),
}
# name: (kind, N, C, H, W, kernel, stride, padding, count_include_pad)
POOLS = {
    "max2": ("max", 2, 3, 6, 8, (2, 2), (2, 2), (0, 0), True),
    "max3": ("max", 2, 2, 7, 7, (3, 3), (2, 2), (1, 1), True),
    "avg2": ("avg", 2, 3, 6, 8, (2, 2), (2, 2), (0, 0), True),
    "avg3pad": ("avg", 2, 2, 7, 7, (3, 3), (2, 2), (1, 1), True),
    "avg3inside": ("avg", 2, 2, 7, 7, (3, 3), (2, 2), (1, 1), False),
}


def array(t):
    return np.ascontiguousarray(t.detach().numpy(), dtype=np.float32)


def conv_case(name, N, C, H, W, O, k, s, p, d, bias):
    x = torch.randn(N, C, H, W, dtype=torch.float64, requires_grad=True)
    w = (torch.randn(O, C, *k, dtype=torch.float64) * 0.5).requires_grad_()
    b = torch.randn(O, dtype=torch.float64, requires_grad=True) if bias else None
    y = F.conv2d(x, w, b, stride=s, padding=p, dilation=d)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    out = {f"conv.{name}.{key}": array(v) for key, v in
           [("x", x), ("weight", w), ("output", y), ("r", r), ("grad.x", x.grad), ("grad.weight", w.grad)]}
    if bias:
        out[f"conv.{name}.bias"] = array(b)
        out[f"conv.{name}.grad.bias"] = array(b.grad)
    out[f"conv.{name}.geometry"] = np.array([*s, *p, *d], dtype=np.int32)
    return out


def pool_case(name, kind, N, C, H, W, k, s, p, include_pad):
    # Distinct values a fixed distance apart, so max pooling has no ties for the finite differences.
    x = (torch.randperm(N * C * H * W, dtype=torch.float64) * 0.1 - 3).reshape(N, C, H, W).requires_grad_()
    if kind == "max":
        y = F.max_pool2d(x, k, s, p)
    else:
        y = F.avg_pool2d(x, k, s, p, count_include_pad=include_pad)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    out = {f"pool.{name}.{key}": array(v) for key, v in [("x", x), ("output", y), ("r", r), ("grad.x", x.grad)]}
    out[f"pool.{name}.geometry"] = np.array([*k, *s, *p, int(include_pad)], dtype=np.int32)
    return out


def batchnorm_cases():
    out = {}
    N, C, H, W = 3, 4, 5, 2
    for mode in ("train", "eval"):
        x = (torch.randn(N, C, H, W, dtype=torch.float64) * 2 + 1).requires_grad_()
        gamma = (torch.rand(C, dtype=torch.float64) + 0.5).requires_grad_()
        beta = torch.randn(C, dtype=torch.float64, requires_grad=True)
        mean0, var0 = torch.randn(C, dtype=torch.float64), torch.rand(C, dtype=torch.float64) + 0.5
        mean, var = mean0.clone(), var0.clone()
        y = F.batch_norm(x, mean, var, gamma, beta, training=mode == "train", momentum=0.1, eps=1e-5)
        r = torch.randn_like(y)
        (y * r).sum().backward()
        p = f"batchnorm.{mode}."
        for key, v in [("x", x), ("weight", gamma), ("bias", beta), ("running_mean", mean0), ("running_var", var0),
                       ("output", y), ("r", r), ("grad.x", x.grad), ("grad.weight", gamma.grad), ("grad.bias", beta.grad),
                       ("running_mean_after", mean), ("running_var_after", var)]:
            out[p + key] = array(v)
    return out


def main():
    torch.manual_seed(2024)
    tensors = {}
    for name, spec in CONVS.items():
        tensors.update(conv_case(name, *spec))
    for name, spec in POOLS.items():
        tensors.update(pool_case(name, *spec))
    tensors.update(batchnorm_cases())
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file(tensors, OUT, metadata={"torch": torch.__version__})
    print(f"wrote {len(tensors)} tensors to {OUT}")


if __name__ == "__main__":
    main()
