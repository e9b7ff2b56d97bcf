# Loads a Quill-written LoRA adapter with PEFT over the same base model and compares logits.
# The directory must hold adapter_config.json + adapter_model.safetensors (LoRAFiles.save) and
# quill_logits.safetensors (ids, Quill's logits with the adapter on); LoRATrainingTests writes all
# three when QUILL_LORA_CHECK_DIR is set:
#
#   QUILL_LORA_CHECK_DIR=/tmp/lora swift test --skip-build --filter LoRATrainingTests
#   /work/venv-finetune/bin/pip install torch==2.13.0+cpu safetensors numpy peft transformers
#   /work/venv-finetune/bin/python Scripts/check/peft_adapter_check.py /tmp/lora [BASE_MODEL_DIR]
#
# BASE_MODEL_DIR defaults to the adapter's base_model_name_or_path. Passes when the largest logit
# difference is within TOLERANCE (float32 on both sides) and the adapter changes PEFT's logits.

import json
import os
import sys

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

TOLERANCE = 1e-4


def main():
    adapter = sys.argv[1]
    with open(os.path.join(adapter, "adapter_config.json")) as f:
        base_path = sys.argv[2] if len(sys.argv) > 2 else json.load(f)["base_model_name_or_path"]
    quill = load_file(os.path.join(adapter, "quill_logits.safetensors"))
    ids = quill["ids"].to(torch.int64)[None, :]
    base = AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)
    with torch.no_grad():
        plain = base(ids).logits[0]
    model = PeftModel.from_pretrained(base, adapter)
    model.eval()
    with torch.no_grad():
        logits = model(ids).logits[0]
    diff = (logits - quill["logits"]).abs().max().item()
    moved = (logits - plain).abs().max().item()
    print(f"PEFT vs Quill logits: largest difference {diff:.3e} (tolerance {TOLERANCE}); adapter moves logits by {moved:.3e}")
    if diff > TOLERANCE or moved < 100 * TOLERANCE:
        sys.exit(1)


if __name__ == "__main__":
    main()
