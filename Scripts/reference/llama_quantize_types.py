#!/usr/bin/env python3
"""Writes Tests/QuillFormatsTests/Fixtures/llama-quantize-types.json: for every tensor of a GGUF model
(in the file's own order) its dimensions, its type, and the type llama.cpp's llama-quantize gives it
for each mixture. GGUFQuantizationPlanTests rebuilds the tensor list and checks Quill's plan.

Run (llama-quantize from the llama-cpp-python sdist's llama.cpp, built with
`cmake --build build --target llama-quantize`):
  /work/venv-ref/bin/python Scripts/reference/llama_quantize_types.py \
      --llama-quantize /work/peers/llama_cpp_python-0.3.36/vendor/llama.cpp/build/bin/llama-quantize \
      .assets/SmolLM2-135M-Instruct.Q4_1.gguf Tests/QuillFormatsTests/Fixtures/llama-quantize-types.json
"""
import argparse
import json
import os
import subprocess
import tempfile

import gguf

MIXTURES = ["Q4_K_M", "Q5_K_M", "Q6_K"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama-quantize", required=True)
    ap.add_argument("model")
    ap.add_argument("output")
    args = ap.parse_args()
    source = gguf.GGUFReader(args.model)
    arch = bytes(source.fields["general.architecture"].parts[-1]).decode()
    meta = {}
    for key in ["block_count", "attention.head_count", "attention.head_count_kv"]:
        field = source.fields[f"{arch}.{key}"]
        meta[f"{arch}.{key}"] = int(field.parts[-1][0])
    result = {"architecture": arch, "metadata": meta,
              "tensors": [{"name": t.name, "dims": [int(d) for d in t.shape], "type": t.tensor_type.name}
                          for t in source.tensors],
              "mixtures": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for mixture in MIXTURES:
            out = os.path.join(tmp, f"{mixture}.gguf")
            subprocess.run([args.llama_quantize, "--allow-requantize", args.model, out, mixture, "2"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            result["mixtures"][mixture] = {t.name: t.tensor_type.name for t in gguf.GGUFReader(out).tensors}
    with open(args.output, "w") as f:
        json.dump(result, f, separators=(",", ":"), sort_keys=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
