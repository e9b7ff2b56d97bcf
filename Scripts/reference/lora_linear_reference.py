# PyTorch/PEFT oracle for Quill's LoRA op (Sources/QuillNN/LoRA.swift): a Linear (out 6, in 5, with
# bias) wrapped by PEFT's LoRA layer (r 3, alpha 6, plain and rsLoRA), with fixed nonzero A and B, run
# on a fixed x; dumps the outputs and the gradients of x, lora_A and lora_B for L = Σ y·g (g fixed).
# PEFT (when installed) computes the reference; without it the same formula in plain torch does.
#
# Run:  /work/venv-finetune/bin/pip install torch==2.13.0+cpu safetensors numpy peft
#       /work/venv-finetune/bin/python Scripts/reference/lora_linear_reference.py
# Writes Tests/QuillTrainingTests/Fixtures/lora_linear/reference.safetensors.

import os

import numpy as np
import torch
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "Tests", "QuillTrainingTests", "Fixtures", "lora_linear")
N, IN, OUTF, R, ALPHA = 4, 5, 6, 3, 6.0


def lora_output(w, bias, a, b, x, rs):
    """y for x through PEFT's LoRA Linear (or the formula when PEFT is absent); returns y, the tensors
    holding A's and B's gradients after backward, and the source."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError:
        s = ALPHA / (R ** 0.5 if rs else R)
        return x @ w.T + bias + s * (x @ a.T) @ b.T, a, b, "formula"
    base = torch.nn.Sequential()
    base.add_module("proj", torch.nn.Linear(IN, OUTF))
    with torch.no_grad():
        base.proj.weight.copy_(w)
        base.proj.bias.copy_(bias)
    model = get_peft_model(base, LoraConfig(r=R, lora_alpha=ALPHA, target_modules=["proj"], lora_dropout=0.0,
                                            use_rslora=rs))
    layer = model.base_model.model.proj
    with torch.no_grad():
        layer.lora_A["default"].weight.copy_(a)
        layer.lora_B["default"].weight.copy_(b)
    return model(x), layer.lora_A["default"].weight, layer.lora_B["default"].weight, "peft"


def main():
    rng = np.random.default_rng(3)
    f = lambda *s: torch.tensor(rng.standard_normal(s), dtype=torch.float32)  # noqa: E731
    w, bias, x, g = f(OUTF, IN), f(OUTF), f(N, IN), f(N, OUTF)
    a0, b0 = f(R, IN), f(OUTF, R)
    tensors = {"w": w.numpy(), "bias": bias.numpy(), "x": x.numpy(), "g": g.numpy(), "a": a0.numpy(), "b": b0.numpy()}
    for tag, rs in (("plain", False), ("rs", True)):
        a, b, xx = a0.clone().requires_grad_(), b0.clone().requires_grad_(), x.clone().requires_grad_()
        y, pa, pb, source = lora_output(w, bias, a, b, xx, rs)
        (y * g).sum().backward()
        print(tag, "via", source)
        tensors[f"{tag}.y"] = y.detach().numpy()
        tensors[f"{tag}.dx"] = xx.grad.numpy()
        tensors[f"{tag}.da"] = pa.grad.numpy()
        tensors[f"{tag}.db"] = pb.grad.numpy()
    os.makedirs(OUT, exist_ok=True)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
              os.path.join(OUT, "reference.safetensors"),
              metadata={"rank": str(R), "alpha": repr(ALPHA), "source": source, "torch": torch.__version__})
    print("wrote", os.path.join(OUT, "reference.safetensors"))


if __name__ == "__main__":
    main()
