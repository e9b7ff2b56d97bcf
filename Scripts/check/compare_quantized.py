#!/usr/bin/env python3
"""Compares two GGUF files tensor by tensor: type, shape and bytes (e.g. `quill quantize` against
llama.cpp's llama-quantize on the same input). Exit status 1 when any tensor differs.

  llama-quantize --allow-requantize in.gguf ll.gguf Q4_K_M
  quill quantize --type q4_k_m in.gguf quill.gguf
  /work/venv-ref/bin/python Scripts/check/compare_quantized.py ll.gguf quill.gguf
"""
import sys

import numpy as np
import gguf


def tensors(path):
    return {t.name: t for t in gguf.GGUFReader(path).tensors}


def main():
    a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
    bad = 0
    if set(a) != set(b):
        print("tensor names differ:", sorted(set(a) ^ set(b)))
        bad += 1
    counts = {}
    for name in a:
        if name not in b:
            continue
        ta, tb = a[name], b[name]
        counts[ta.tensor_type.name] = counts.get(ta.tensor_type.name, 0) + 1
        if ta.tensor_type != tb.tensor_type or list(ta.shape) != list(tb.shape):
            print(f"{name}: {ta.tensor_type.name} {list(ta.shape)} vs {tb.tensor_type.name} {list(tb.shape)}")
            bad += 1
        elif not np.array_equal(np.asarray(ta.data).view(np.uint8), np.asarray(tb.data).view(np.uint8)):
            print(f"{name}: {ta.tensor_type.name}, same type, bytes differ")
            bad += 1
    print(", ".join(f"{k} x{v}" for k, v in sorted(counts.items())), f"- {bad} difference(s)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
