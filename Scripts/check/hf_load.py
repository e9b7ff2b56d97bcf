# Loads a causal-LM model directory (config.json + model.safetensors, e.g. a GPT-2 Quill wrote) with
# Hugging Face transformers, unchanged (AutoModelForCausalLM: GPT2LMHeadModel for model_type gpt2,
# LlamaForCausalLM, Qwen2ForCausalLM), and compares its logits with a
# reference.safetensors-style file (input_ids -> logits, input_ids_full -> logits_full, and when
# targets and grad.* are present, the mean cross-entropy loss and every parameter gradient).
# Without a reference file it prints the logits for --ids. Follows the fixture layout that
# Scripts/reference/gpt2_reference.py writes.
#
# Run:  .venv-ref/bin/python Scripts/check/hf_load.py Tests/QuillModelsTests/Fixtures/gpt2_tiny
#       .venv-ref/bin/python Scripts/check/hf_load.py DIR --reference OTHER/reference.safetensors
#       .venv-ref/bin/python Scripts/check/hf_load.py DIR --ids 1,2,3
# Exits 1 if any compared tensor differs by more than --tol (max abs; default 1e-4).
# Needs: pip install torch transformers (CPU build is enough).

import argparse
import os
import sys

import numpy as np
import torch
from safetensors.numpy import load_file
from transformers import AutoModelForCausalLM


def max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def main():
    ap = argparse.ArgumentParser(description="Load a GPT-2 / Llama / Qwen2 directory in transformers and compare logits.")
    ap.add_argument("model_dir")
    ap.add_argument("--reference", help="reference.safetensors (default: MODEL_DIR/reference.safetensors if present)")
    ap.add_argument("--ids", help="comma-separated token ids to print logits for")
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()

    torch.manual_seed(0)
    model, info = AutoModelForCausalLM.from_pretrained(args.model_dir, dtype=torch.float32, output_loading_info=True)
    # transformers only warns about missing tensors (and initialises them randomly): treat it as failure.
    bad = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    if bad:
        print(f"FAILED: {args.model_dir} does not load unchanged: {bad}")
        return 1
    model.eval()
    tied = model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    print(f"loaded {args.model_dir} as {type(model).__name__}: "
          f"{sum(p.numel() for p in model.parameters())} parameters, tied head: {tied}")

    if args.ids:
        ids = torch.tensor([[int(t) for t in args.ids.split(",")]])
        with torch.no_grad():
            logits = model(ids).logits[0].numpy()
        np.set_printoptions(precision=6, suppress=True, linewidth=160)
        print(logits)
        print("argmax:", logits.argmax(-1).tolist())

    ref_path = args.reference or os.path.join(args.model_dir, "reference.safetensors")
    if not os.path.exists(ref_path):
        return 0
    ref = load_file(ref_path)
    failures = []

    def check(name, got, want):
        err = max_abs(got, want)
        ok = err <= args.tol
        print(f"  {name:36s} max abs err {err:.2e} {'ok' if ok else 'FAIL'}")
        if not ok:
            failures.append(name)

    for ids_key, logits_key in (("input_ids", "logits"), ("input_ids_full", "logits_full")):
        if ids_key in ref and logits_key in ref:
            with torch.no_grad():
                got = model(torch.from_numpy(ref[ids_key].astype(np.int64))).logits.numpy()
            check(logits_key, got, ref[logits_key])

    if "targets" in ref:
        # Mean cross-entropy over all B*T positions, targets given explicitly (no label shift).
        model.zero_grad()
        logits = model(torch.from_numpy(ref["input_ids"].astype(np.int64))).logits
        targets = torch.from_numpy(ref["targets"].astype(np.int64))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        check("loss", [loss.item()], ref["loss"])
        for name, param in model.named_parameters():
            key = "grad." + name.removeprefix("transformer.")
            if name == "lm_head.weight" and tied:
                continue  # tied: its gradient is already in wte.weight
            if key in ref:
                check(key, param.grad.numpy(), ref[key])
            else:
                print(f"  {key:36s} not in reference")

    greedy_path = os.path.join(os.path.dirname(ref_path), "greedy.safetensors")
    if os.path.exists(greedy_path):
        # transformers' generate decodes with its KV cache: an independent check of the no-cache greedy.
        g = load_file(greedy_path)
        model.generation_config.eos_token_id = None
        prompt = torch.from_numpy(g["prompt"].astype(np.int64))[None]
        with torch.no_grad():
            out = model.generate(prompt, max_new_tokens=len(g["generated"]), do_sample=False,
                                 pad_token_id=0)[0, prompt.shape[1]:].numpy()
        same = out.tolist() == g["generated"].tolist()
        print(f"  greedy {out.tolist()} {'ok' if same else 'FAIL, want ' + str(g['generated'].tolist())}")
        if not same:
            failures.append("greedy")

    print("OK" if not failures else f"FAILED: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
