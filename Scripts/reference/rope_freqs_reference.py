# Llama 3.1 RoPE scaling in its two stored forms, computed independently in numpy (float64):
#   - Hugging Face's rope_scaling {rope_type: llama3}: the scaled inverse frequencies
#     (transformers' _compute_llama3_parameters: long wavelengths divided by `factor`, short ones kept,
#     the band between blended linearly in original_context / wavelength);
#   - GGUF's rope_freqs.weight: one divisor per frequency pair, as llama.cpp's convert_hf_to_gguf.py
#     writes it (LlamaModel.generate_extra_tensors) and ggml's rope applies it (theta / freq_factor).
# Dividing the default frequencies by the GGUF divisors must give the HF frequencies.
#
# Run:  /work/venv-ref/bin/python Scripts/reference/rope_freqs_reference.py
# Writes Tests/QuillModelsTests/Fixtures/rope_freqs/reference.json; same inputs => same bytes.
import json
import math
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "QuillModelsTests", "Fixtures", "rope_freqs")

CASES = [
    # The llama_scaled_llama3 fixture: one frequency kept, one blended, two divided by 8.
    dict(name="llama_scaled_llama3", head_dim=8, theta=10000.0, factor=8.0, low=1.0, high=4.0, original=64),
    # Llama 3.1 8B / 70B.
    dict(name="llama3.1-8b", head_dim=128, theta=500000.0, factor=8.0, low=1.0, high=4.0, original=8192),
    # Llama 3.2 1B / 3B.
    dict(name="llama3.2-1b", head_dim=64, theta=500000.0, factor=32.0, low=1.0, high=4.0, original=8192),
]


def default_inverse_frequencies(head_dim, theta):
    exponents = np.arange(0, head_dim, 2, dtype=np.float64) / head_dim        # (head_dim / 2)
    return theta ** -exponents


def band(inv_freq, low, high, original):
    """Per frequency: 0 below the high-frequency wavelength, 1 above the low one, else the blend weight."""
    wavelength = 2 * math.pi / inv_freq
    short = wavelength < original / high
    long = wavelength > original / low
    smooth = (original / wavelength - low) / (high - low)                     # 1 at the short end
    return short, long, smooth


def hf_llama3(inv_freq, factor, low, high, original):
    short, long, smooth = band(inv_freq, low, high, original)
    blended = (1 - smooth) * inv_freq / factor + smooth * inv_freq
    return np.where(short, inv_freq, np.where(long, inv_freq / factor, blended))


def gguf_rope_freqs(inv_freq, factor, low, high, original):
    short, long, smooth = band(inv_freq, low, high, original)
    divisor_in_band = 1 / ((1 - smooth) / factor + smooth)
    return np.where(short, 1.0, np.where(long, factor, divisor_in_band))


def main():
    out = []
    for case in CASES:
        base = default_inverse_frequencies(case["head_dim"], case["theta"])
        args = (case["factor"], case["low"], case["high"], case["original"])
        hf = hf_llama3(base, *args)
        divisors = gguf_rope_freqs(base, *args)
        worst = float(np.max(np.abs(base / divisors - hf) / hf))
        assert worst < 1e-12, f"{case['name']}: the two forms disagree by {worst}"
        out.append(dict(case, default=base.tolist(), hf_inverse_frequencies=hf.tolist(),
                        rope_freqs=divisors.tolist(), rope_freqs_float32=divisors.astype(np.float32).tolist()))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", os.path.join(OUT, "reference.json"))


if __name__ == "__main__":
    main()
