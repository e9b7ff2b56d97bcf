#!/usr/bin/env python3
"""llama.cpp's pp/tg speed on a GGUF through llama-cpp-python, measured as llama-bench does: the
prompt in one batch from an empty cache, then single-token steps from an empty cache. Prints JSON
with the same keys as `quill bench generate --json`.
Usage: llamacpp_bench.py MODEL.gguf --threads N [--prompt-tokens 512] [--gen-tokens 128] [--repetitions 3]"""
import argparse, json, random, statistics, time
from llama_cpp import Llama

p = argparse.ArgumentParser()
p.add_argument("model"); p.add_argument("--threads", type=int, required=True)
p.add_argument("--prompt-tokens", type=int, default=512); p.add_argument("--gen-tokens", type=int, default=128)
p.add_argument("--repetitions", type=int, default=3)
a = p.parse_args()
llm = Llama(model_path=a.model, n_ctx=1024, n_batch=512, n_ubatch=512, n_threads=a.threads,
            n_threads_batch=a.threads, verbose=False)
rng = random.Random(7)
prompt = [rng.randrange(llm.n_vocab()) for _ in range(a.prompt_tokens)]
llm.reset(); llm.eval(prompt[:16])                       # warm-up
pp, tg = [], []
for _ in range(a.repetitions):
    llm.reset(); t = time.perf_counter(); llm.eval(prompt); pp.append(a.prompt_tokens / (time.perf_counter() - t))
    llm.reset(); t = time.perf_counter()
    for i in range(a.gen_tokens): llm.eval([prompt[i % len(prompt)]])
    tg.append(a.gen_tokens / (time.perf_counter() - t))
sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
print(json.dumps({"threads": a.threads, "prefill_tokens_per_second": statistics.mean(pp),
                  "decode_tokens_per_second": statistics.mean(tg), "prefill_stddev": sd(pp), "decode_stddev": sd(tg)}))
