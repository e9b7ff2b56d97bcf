# Linear baseline for the CNN image encoder: multinomial logistic regression (softmax, L2) on raw
# Fashion-MNIST pixels, numpy only, trained by mini-batch SGD with momentum; prints test accuracy and
# wall time. Compare with `quill vision train` (BENCHMARKS.md, "Fashion-MNIST CNN").
#   OPENBLAS_NUM_THREADS=2 /work/venv-vision/bin/python Scripts/bench/fashion_mnist_baseline.py \
#       --data .assets/fashion-mnist --epochs 10
# Reads the IDX files raw or gzipped (*.gz), as Scripts/setup/fetch_assets.sh or the Debian package has them.
import argparse
import gzip
import os
import struct
import time

import numpy as np


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, kind, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    values = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if values.size != int(np.prod(dims)):
        raise ValueError(f"{path}: dims {dims} need {int(np.prod(dims))} bytes, found {values.size}")
    return values.reshape(dims)


def load(directory, stem):
    for suffix in ("", ".gz"):
        p = os.path.join(directory, stem + suffix)
        if os.path.exists(p):
            return read_idx(p)
    raise FileNotFoundError(f"{directory}: no {stem} (run Scripts/setup/fetch_assets.sh)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=".assets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--learning-rate", type=float, default=0.05)
    ap.add_argument("--l2", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    xtr = load(a.data, "train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    ytr = load(a.data, "train-labels-idx1-ubyte").astype(np.int64)
    xte = load(a.data, "t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    yte = load(a.data, "t10k-labels-idx1-ubyte").astype(np.int64)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-3          # per-pixel standardisation from the training set
    xtr, xte = (xtr - mean) / std, (xte - mean) / std

    rng = np.random.default_rng(a.seed)
    w = np.zeros((784, 10), np.float32)
    b = np.zeros(10, np.float32)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    start = time.time()
    for epoch in range(1, a.epochs + 1):
        order = rng.permutation(len(xtr))
        lr = a.learning_rate * 0.5 * (1 + np.cos(np.pi * (epoch - 1) / a.epochs))   # cosine decay
        total = 0.0
        for i in range(0, len(order), a.batch_size):
            idx = order[i:i + a.batch_size]
            z = xtr[idx] @ w + b
            z -= z.max(1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(1, keepdims=True)
            total += -np.log(p[np.arange(len(idx)), ytr[idx]] + 1e-12).sum()
            p[np.arange(len(idx)), ytr[idx]] -= 1
            gw = xtr[idx].T @ p / len(idx) + a.l2 * w
            gb = p.mean(0)
            vw = 0.9 * vw + gw
            vb = 0.9 * vb + gb
            w -= lr * vw
            b -= lr * vb
        acc = float(((xte @ w + b).argmax(1) == yte).mean())
        print(f"epoch {epoch}  train loss {total / len(xtr):.4f}  test accuracy {100 * acc:.2f}%")
    print(f"logistic regression on raw pixels: test accuracy {100 * acc:.2f}%  ({time.time() - start:.1f}s)")


if __name__ == "__main__":
    main()
