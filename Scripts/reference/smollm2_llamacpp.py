# Reference logits and greedy continuations of SmolLM2-135M-Instruct (Q4_1 GGUF) from llama.cpp itself,
# for Quill's parity test (Tests/QuillModelsTests/SmolLM2ParityTests.swift). For a few prompts it writes
# the prompt ids (llama.cpp's own tokenization), the top logits of every prompt position, the whole last
# row (float16) and llama.cpp's 64
# greedy tokens (argmax at each step, batch of one, the same as temperature 0).
#
# llama-cpp-python drives the libllama.so built from the llama-cpp-python 0.3.36 sdist's vendored source
# (Scripts/setup or by hand: cmake -B build -DGGML_NATIVE=ON -DLLAMA_CURL=OFF && cmake --build build -j2), so no
# second compile is needed:
#   python3 -m venv /work/venv-llama
#   CMAKE_ARGS="-DLLAMA_BUILD=OFF -DLLAVA_BUILD=OFF" /work/venv-llama/bin/pip install llama_cpp_python-0.3.36.tar.gz numpy safetensors
#   LLAMA_CPP_LIB_PATH=<llama.cpp>/build/bin /work/venv-llama/bin/python Scripts/reference/smollm2_llamacpp.py
# Writes Tests/QuillModelsTests/Fixtures/smollm2/llamacpp_reference.safetensors.
import argparse
import hashlib
import json
import os

import llama_cpp
import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(ROOT, ".assets", "SmolLM2-135M-Instruct.Q4_1.gguf")
OUT = os.path.join(ROOT, "Tests", "QuillModelsTests", "Fixtures", "smollm2", "llamacpp_reference.safetensors")

SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
PROMPTS = [
    ("chat", f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n", True),
    ("chat_code", f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nWrite a Python function that reverses a string.<|im_end|>\n<|im_start|>assistant\n", True),
    ("plain", "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village by the sea,", False),
]
NEW_TOKENS = 64


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=MODEL)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    tensors, meta = {}, {}
    for name, text, special in PROMPTS:
        llm = llama_cpp.Llama(args.model, logits_all=True, verbose=False, n_ctx=512, n_threads=2, n_batch=512)
        ids = llm.tokenize(text.encode(), add_bos=False, special=special)
        llm.eval(ids)
        logits = np.array(llm.scores[: len(ids)], dtype=np.float32)          # (T, V)
        # Greedy, one token per eval as a chat client decodes.
        generated = []
        last = logits[-1]
        for _ in range(NEW_TOKENS):
            token = int(np.argmax(last))
            generated.append(token)
            if token in (2,):                                               # <|im_end|>
                break
            llm.eval([token])
            last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        tensors[f"{name}.prompt_ids"] = np.array(ids, dtype=np.int32)
        # Every position's 64 largest logits (ids and values) and the last position's whole row: what
        # the test compares, in 0.3 MB instead of 10.
        top = np.argsort(-logits, axis=1, kind="stable")[:, :64]
        tensors[f"{name}.top_ids"] = top.astype(np.int32)                       # (T, 64)
        tensors[f"{name}.top_logits"] = np.take_along_axis(logits, top, axis=1)  # (T, 64)
        tensors[f"{name}.last_logits"] = logits[-1].astype(np.float16)          # (V,)
        tensors[f"{name}.greedy_ids"] = np.array(generated, dtype=np.int32)
        meta[name] = text
        print(name, len(ids), "prompt ids;", len(generated), "greedy:", repr(llm.detokenize(generated).decode(errors="replace")))
    with open(args.model, "rb") as f:
        meta["model_sha256"] = hashlib.sha256(f.read()).hexdigest()
    meta["llama_cpp_python"] = llama_cpp.__version__
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    save_file(tensors, args.out, metadata={"prompts": json.dumps(meta)})
    print("wrote", args.out)


if __name__ == "__main__":
    main()
