#!/usr/bin/env python3
"""Writes Tests/QuillFormatsTests/Fixtures/quant-blocks.gguf: reference data for every GGUF block
format Quill runs, from two independent implementations.

  blocks.<type>          random but valid blocks (random bytes, finite fp16 scales)
  blocks.<type>.dequant  gguf-py's gguf.quants.dequantize of those blocks (float32)
  input                  4 x 512 float32 values (normal, with an all-zero block, a constant block,
                         large magnitudes and a block of exact half-way cases)
  quant.<type>           ggml's own quantizer (libggml-base.so's ggml_quantize_chunk, no imatrix:
                         the reference path llama-quantize runs) applied to `input`
  q8k                    ggml's quantize_row_q8_K_ref of `input` (the k-quants' activation side),
                         its 292-byte blocks stored as an I8 tensor

gguf-py's quantizers (Q4_0/Q4_1/Q5_0/Q5_1/Q8_0) are checked against ggml's here, and ggml's
dequantizers against gguf-py's, so a fixture is only written when both references agree.

Run (needs numpy and gguf, and the llama.cpp build from Scripts/setup/llamacpp_venv.sh):
  /work/venv-ref/bin/python Scripts/reference/quant_blocks.py \
      --ggml /work/peers/llama_cpp_python-0.3.36/vendor/llama.cpp/build/bin/libggml-base.so \
      Tests/QuillFormatsTests/Fixtures/quant-blocks.gguf
"""
import argparse
import ctypes
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q

TYPES = [Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q8_0, Q.IQ4_NL, Q.Q2_K, Q.Q3_K, Q.Q4_K, Q.Q5_K, Q.Q6_K]
# Byte offsets of the fp16 fields in each block (ggml-common.h), overwritten with finite values.
HALVES = {
    Q.Q4_0: [0], Q.Q4_1: [0, 2], Q.Q5_0: [0], Q.Q5_1: [0, 2], Q.Q8_0: [0], Q.IQ4_NL: [0],
    Q.Q2_K: [80, 82], Q.Q3_K: [108], Q.Q4_K: [0, 2], Q.Q5_K: [0, 2], Q.Q6_K: [208],
}


def random_blocks(rng, qtype, n_blocks):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for off in HALVES[qtype]:
        h = (rng.standard_normal(n_blocks) * 0.05).astype(np.float16)
        h[0] = 0.0                                   # a zero scale
        h[1] = np.float16(-1.5)                      # a negative one
        if n_blocks > 2:
            h[2] = np.float16(6e-6)                  # a subnormal
        raw[:, off:off + 2] = h.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(1, -1)


def input_values(rng):
    x = rng.standard_normal((4, 512)).astype(np.float32)
    x[0, :32] = 0.0                                  # all-zero block
    x[0, 32:64] = 0.75                               # constant block
    x[1, 256:] *= 1000.0                             # large magnitudes
    x[2, :32] = (np.arange(32, dtype=np.float32) - 16) / 2   # half-way cases
    x[3, 100] = -40.0                                # one outlier, negative extreme
    return x


class GGML:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.lib.ggml_quantize_chunk.restype = ctypes.c_size_t
        self.lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                                 ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
        self.lib.quantize_row_q8_K_ref.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]

    def quantize(self, qtype, x):
        rows, n = x.shape
        block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
        out = np.zeros(rows * n // block_size * type_size, dtype=np.uint8)
        src = np.ascontiguousarray(x, dtype=np.float32)
        self.lib.ggml_quantize_chunk(int(qtype), src.ctypes.data, out.ctypes.data, 0, rows, n, None)
        return out.reshape(rows, -1)

    def dequantize(self, qtype, blocks, count):
        name = "dequantize_row_" + qtype.name.lower().replace("_k", "_K")
        fn = getattr(self.lib, name)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        out = np.zeros(count, dtype=np.float32)
        src = np.ascontiguousarray(blocks)
        fn(src.ctypes.data, out.ctypes.data, count)
        return out

    def q8k(self, x):
        flat = np.ascontiguousarray(x.reshape(-1), dtype=np.float32)
        out = np.zeros(flat.size // 256 * 292, dtype=np.uint8)
        self.lib.quantize_row_q8_K_ref(flat.ctypes.data, out.ctypes.data, flat.size)
        # ggml leaves bsums unset for an all-zero block; Quill writes zeros there.
        blocks = out.reshape(-1, 292)
        for b in range(blocks.shape[0]):
            if not flat[b * 256:(b + 1) * 256].any():
                blocks[b, 260:] = 0
        return out.view(np.int8).reshape(1, -1)      # stored as I8: the raw bytes of the blocks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ggml", required=True, help="path to libggml-base.so")
    ap.add_argument("output")
    args = ap.parse_args()
    ggml = GGML(args.ggml)
    rng = np.random.default_rng(20250107)
    w = gguf.GGUFWriter(args.output, arch="quilltest")
    x = input_values(rng)
    w.add_tensor("input", x)
    for qtype in TYPES:
        name = qtype.name.lower()
        block_size, _ = gguf.GGML_QUANT_SIZES[qtype]
        n_blocks = 24 if block_size == 32 else 6
        blocks = random_blocks(rng, qtype, n_blocks)
        reference = gguf.quants.dequantize(blocks, qtype).astype(np.float32).reshape(-1)
        theirs = ggml.dequantize(qtype, blocks, reference.size)
        if not np.array_equal(reference.view(np.uint32), theirs.view(np.uint32)):
            bad = int(np.sum(reference.view(np.uint32) != theirs.view(np.uint32)))
            print(f"note: {qtype.name}: ggml's dequantizer differs from gguf-py in {bad} of {reference.size} values "
                  "(fused multiply-add); the fixture keeps gguf-py's", file=sys.stderr)
        w.add_tensor(f"blocks.{name}", blocks, raw_dtype=qtype)
        w.add_tensor(f"blocks.{name}.dequant", reference.reshape(1, -1))
        q = ggml.quantize(qtype, x)
        if qtype in (Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q8_0):
            py = gguf.quants.quantize(x, qtype)
            if not np.array_equal(py, q):
                sys.exit(f"{qtype.name}: gguf-py and ggml quantize differently; not writing a fixture")
        w.add_tensor(f"quant.{name}", q, raw_dtype=qtype)
    w.add_tensor("q8k", ggml.q8k(x))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
