# Forward + backward of torch.nn.LSTM / GRU / RNN (and conv2d) beside `quill bench ops` on the same
# shapes and thread count, in one run, printing each side's median milliseconds and the ratio.
# Rough numbers on a shared host; run on a quiet machine for figures worth quoting.
#   swift build -c release --product quill
#   /work/venv-ref/bin/python Scripts/bench/ops_bench.py --threads 2 [--op lstm --batch 32 --time 128 ...]
import argparse
import json
import os
import statistics
import subprocess
import time

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def torch_ms(args):
    torch.manual_seed(0)
    B, T, I, H = args.batch, args.time, args.input, args.hidden
    if args.op in ("lstm", "gru", "rnn"):
        layer = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[args.op](I, H, batch_first=True)
        x = torch.randn(B, T, I, requires_grad=True)
        def step():
            out, _ = layer(x)
            out.backward(torch.full_like(out, 1e-3))
    else:
        conv = torch.nn.Conv2d(I, H, args.kernel, padding=args.kernel // 2)
        x = torch.randn(B, I, args.size, args.size, requires_grad=True)
        def step():
            out = conv(x)
            out.backward(torch.full_like(out, 1e-3))
    step()
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def quill_ms(args):
    binary = os.path.join(ROOT, ".build", "release", "quill")
    cmd = [binary, "bench", "ops", "--op", args.op, "--batch", str(args.batch), "--time", str(args.time),
           "--input", str(args.input), "--hidden", str(args.hidden), "--size", str(args.size),
           "--kernel", str(args.kernel), "--repeats", str(args.repeats), "--threads", str(args.threads)]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)["ms"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--op", default="lstm", choices=["lstm", "gru", "rnn", "conv2d"])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--time", type=int, default=128)
    p.add_argument("--input", type=int, default=256)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--size", type=int, default=28)
    p.add_argument("--kernel", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    t = torch_ms(args)
    q = quill_ms(args)
    print(json.dumps({"op": args.op, "threads": args.threads, "torch_ms": round(t, 2), "quill_ms": round(q, 2),
                      "speedup": round(t / q, 2)}))


if __name__ == "__main__":
    main()
