# Reference outputs and gradients of torch.nn.RNN (tanh), nn.LSTM and nn.GRU over whole sequences, for
# Quill's recurrent op tests (Tests/QuillTensorTests/RecurrentReferenceTests.swift). For fixed random
# weights, inputs, initial states and output weightings r it stores the outputs, final states and the
# gradient of L = Σ output·r_output + Σ h_T·r_hidden (+ Σ c_T·r_cell) for every input, weight, bias and
# initial state. Computed in float64 (stored as float32) so the tolerance measures Quill's rounding only.
#   /work/venv-ref/bin/python Scripts/reference/recurrent_reference.py
# Writes Tests/QuillTensorTests/Fixtures/recurrent_reference.safetensors.
import os

import numpy as np
import torch
from safetensors.numpy import save_file

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "QuillTensorTests", "Fixtures", "recurrent_reference.safetensors")

# name: (B, T, I, H, with biases, with initial state)
CASES = {
    "full": (3, 5, 4, 6, True, True),
    "bare": (2, 7, 3, 5, False, False),
    "single": (1, 1, 4, 3, True, True),
}
STATES = {"h0", "c0", "hidden", "cell", "r_hidden", "r_cell"}
CELLS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def case(cell, name, B, T, I, H, bias, initial, seed):
    torch.manual_seed(seed)
    layer = CELLS[cell](I, H, batch_first=True, bias=bias).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.uniform_(-0.6, 0.6)          # wider than the default ±1/√H, so gates leave their linear range
    x = (torch.randn(B, T, I, dtype=torch.float64) * 1.5).requires_grad_()
    h0 = (torch.randn(1, B, H, dtype=torch.float64) * 0.8).requires_grad_() if initial else None
    c0 = (torch.randn(1, B, H, dtype=torch.float64) * 0.8).requires_grad_() if initial and cell == "lstm" else None
    if cell == "lstm":
        output, (hn, cn) = layer(x, (h0, c0)) if initial else layer(x)
    else:
        output, hn = layer(x, h0) if initial else layer(x)
        cn = None
    r_output = torch.randn_like(output)
    r_hidden = torch.randn_like(hn)
    loss = (output * r_output).sum() + (hn * r_hidden).sum()
    r_cell = None
    if cn is not None:
        r_cell = torch.randn_like(cn)
        loss = loss + (cn * r_cell).sum()
    loss.backward()

    p = f"{cell}.{name}."
    out = {}
    def put(key, t):
        t = t.detach()
        if t.dim() == 3 and t.shape[0] == 1 and key.split(".")[-1] in STATES:
            t = t[0]                        # PyTorch's (layers=1, B, H) states as Quill's (B, H)
        out[p + key] = np.ascontiguousarray(t.numpy(), dtype=np.float32)
    put("x", x); put("output", output); put("hidden", hn); put("r_output", r_output); put("r_hidden", r_hidden)
    put("grad.x", x.grad)
    for key in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if bias else ()):
        param = getattr(layer, key + "_l0")
        put(key, param); put("grad." + key, param.grad)
    if initial:
        put("h0", h0); put("grad.h0", h0.grad)
    if cn is not None:
        put("cell", cn); put("r_cell", r_cell)
        if initial:
            put("c0", c0); put("grad.c0", c0.grad)
    out[p + "shape"] = np.array([B, T, I, H], dtype=np.int32)
    return out


def main():
    tensors = {}
    for k, cell in enumerate(CELLS):
        for j, (name, (B, T, I, H, bias, initial)) in enumerate(CASES.items()):
            tensors.update(case(cell, name, B, T, I, H, bias, initial, seed=100 * k + j))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file(tensors, OUT, metadata={"torch": torch.__version__})
    print(f"wrote {len(tensors)} tensors to {OUT}")


if __name__ == "__main__":
    main()
