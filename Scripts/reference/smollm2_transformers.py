# Reference logits of SmolLM2-135M-Instruct from Hugging Face transformers (LlamaForCausalLM, float32),
# with the Q4_1 GGUF dequantized by transformers' own GGUF loader (gguf-py), on the same prompt ids as
# the llama.cpp fixture. Quill computes its products with int8 activations as llama.cpp does, so this
# is the float oracle: the same model without activation rounding.
#   /work/venv-ref/bin/python Scripts/reference/smollm2_transformers.py    (needs torch, transformers, gguf)
# Reads  Tests/QuillModelsTests/Fixtures/smollm2/llamacpp_reference.safetensors (prompt ids)
# Writes Tests/QuillModelsTests/Fixtures/smollm2/transformers_reference.safetensors
import json
import os

import numpy as np
import torch
from safetensors.numpy import load_file, save_file
from transformers import AutoModelForCausalLM

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ASSETS = os.path.join(ROOT, ".assets")
FIXTURES = os.path.join(ROOT, "Tests", "QuillModelsTests", "Fixtures", "smollm2")
NEW_TOKENS = 64


def main():
    torch.set_num_threads(2)
    ref = load_file(os.path.join(FIXTURES, "llamacpp_reference.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(ASSETS, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
                                                 torch_dtype=torch.float32)
    model.eval()
    out = {}
    for key in sorted(k for k in ref if k.endswith(".prompt_ids")):
        name = key[: -len(".prompt_ids")]
        ids = torch.tensor(ref[key].astype(np.int64))[None]
        with torch.no_grad():
            logits = model(ids).logits[0].float().numpy()                       # (T, V)
            greedy = model.generate(ids, max_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=2,
                                    pad_token_id=2)[0, ids.shape[1]:].numpy()
        top = np.argsort(-logits, axis=1, kind="stable")[:, :64]
        out[f"{name}.top_ids"] = top.astype(np.int32)
        out[f"{name}.top_logits"] = np.take_along_axis(logits, top, axis=1)
        out[f"{name}.last_logits"] = logits[-1].astype(np.float16)
        out[f"{name}.greedy_ids"] = greedy.astype(np.int32)
        print(name, "greedy agrees with llama.cpp for",
              next((i for i, (a, b) in enumerate(zip(greedy, ref[f"{name}.greedy_ids"])) if a != b), len(greedy)), "tokens")
    save_file(out, os.path.join(FIXTURES, "transformers_reference.safetensors"),
              metadata={"transformers": __import__("transformers").__version__, "torch": torch.__version__})
    print("wrote", os.path.join(FIXTURES, "transformers_reference.safetensors"))


if __name__ == "__main__":
    main()
