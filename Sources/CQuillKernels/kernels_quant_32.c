// The 32-element block formats beyond Q8_0 / Q4_0: Q4_1, Q5_0, Q5_1 and IQ4_NL (layouts in qk_quant.h).
// Quantizers follow ggml-quants.c's reference (no importance matrix) value for value; dequantizers use
// gguf-py's float operations (multiply, then add; never fused); the portable dot product is the
// reference the SIMD kernels in kernels_quant_32_x86.c are tested against.
#include "QuillKernels.h"
#include "qk_quant.h"
#include <math.h>
#include <string.h>

// ---- Quantizers (ggml's quantize_row_*_ref; IQ4_NL as quantize_iq4_nl with 7 tries)

static void min_max(const float *x, float *lo, float *hi) {
    float mn = 3.402823466e+38f, mx = -3.402823466e+38f;
    for (int j = 0; j < QK; j++) {
        if (x[j] < mn) mn = x[j];
        if (x[j] > mx) mx = x[j];
    }
    *lo = mn; *hi = mx;
}

// The element of largest magnitude (the first one on ties), with its sign.
static float signed_extreme(const float *x, int n) {
    float amax = 0.0f, extreme = 0.0f;
    for (int j = 0; j < n; j++)
        if (amax < fabsf(x[j])) { amax = fabsf(x[j]); extreme = x[j]; }
    return extreme;
}

// trunc(v) clamped to 0...hi, as ggml's (int8_t) / (uint8_t) casts give for in-range values (NaN → 0).
static inline uint8_t level(float v, int hi) {
    if (!(v >= 0.0f)) return 0;
    int q = (int)v;
    return (uint8_t)(q > hi ? hi : q);
}

static void quantize_q4_1(qk_block_q4_1 *y, const float *x) {
    float mn, mx;
    min_max(x, &mn, &mx);
    float d = (mx - mn) / 15.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    y->d = qk_fp32_to_fp16(d);
    y->m = qk_fp32_to_fp16(mn);
    for (int j = 0; j < QK / 2; j++) {
        uint8_t lo = level((x[j] - mn) * id + 0.5f, 15), hi = level((x[j + QK / 2] - mn) * id + 0.5f, 15);
        y->qs[j] = lo | (uint8_t)(hi << 4);
    }
}

// Five-bit levels q[0..31] → 16 bytes of low nibbles and the 32-bit mask of fifth bits.
static void pack_q5(uint8_t qs[QK / 2], uint8_t qh[4], const uint8_t q[QK]) {
    uint32_t h = 0;
    for (int j = 0; j < QK / 2; j++) {
        qs[j] = (q[j] & 0x0F) | (uint8_t)((q[j + QK / 2] & 0x0F) << 4);
        h |= (uint32_t)(q[j] >> 4) << j;
        h |= (uint32_t)(q[j + QK / 2] >> 4) << (j + QK / 2);
    }
    for (int i = 0; i < 4; i++) qh[i] = (uint8_t)(h >> (8 * i));
}

static void quantize_q5_0(qk_block_q5_0 *y, const float *x) {
    float d = signed_extreme(x, QK) / -16.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t q[QK];
    for (int j = 0; j < QK; j++) q[j] = level(x[j] * id + 16.5f, 31);
    y->d = qk_fp32_to_fp16(d);
    pack_q5(y->qs, y->qh, q);
}

static void quantize_q5_1(qk_block_q5_1 *y, const float *x) {
    float mn, mx;
    min_max(x, &mn, &mx);
    float d = (mx - mn) / 31.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t q[QK];
    for (int j = 0; j < QK; j++) q[j] = level((x[j] - mn) * id + 0.5f, 31);
    y->d = qk_fp32_to_fp16(d);
    y->m = qk_fp32_to_fp16(mn);
    pack_q5(y->qs, y->qh, q);
}

// Index of the IQ4_NL level nearest to v (the lower one on a tie), by bisection as ggml does.
static int nearest_iq4nl(float v) {
    const int8_t *t = qk_iq4nl_values;
    if (v <= t[0]) return 0;
    if (v >= t[15]) return 15;
    int lo = 0, hi = 15;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (v < t[mid]) hi = mid; else lo = mid;
    }
    return v - t[hi - 1] < t[hi] - v ? hi - 1 : hi;
}

// Σ w·q·x and Σ w·q² (w = x²) for the levels nearest to id·x.
static void iq4nl_sums(const float *x, float id, float *sqx, float *sq2) {
    float a = 0.0f, b = 0.0f;
    for (int j = 0; j < QK; j++) {
        float q = qk_iq4nl_values[nearest_iq4nl(id * x[j])], w = x[j] * x[j];
        a += w * q * x[j];
        b += w * q * q;
    }
    *sqx = a; *sq2 = b;
}

// Least-squares scale over 15 trial inverse scales around the extreme (quantize_iq4_nl, ntry = 7).
static void quantize_iq4_nl(qk_block_q4_0 *y, const float *x) {
    const int ntry = 7;
    float extreme = signed_extreme(x, QK), d = 0.0f;
    if (fabsf(extreme) >= 1e-15f) {
        float sqx, sq2;
        iq4nl_sums(x, 1.0f / (-extreme / qk_iq4nl_values[0]), &sqx, &sq2);
        d = sq2 > 0.0f ? sqx / sq2 : 0.0f;
        float best = d * sqx;
        for (int t = -ntry; t <= ntry; t++) {
            iq4nl_sums(x, (float)(t + qk_iq4nl_values[0]) / extreme, &sqx, &sq2);
            if (sq2 > 0.0f && sqx * sqx > best * sq2) { d = sqx / sq2; best = d * sqx; }
        }
    }
    y->d = qk_fp32_to_fp16(d);
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < QK / 2; j++)
        y->qs[j] = (uint8_t)nearest_iq4nl(id * x[j]) | (uint8_t)(nearest_iq4nl(id * x[j + QK / 2]) << 4);
}

void qk_quantize_blocks32(void *dst, const float *src, int type, size_t n) {
    for (size_t b = 0; b < n / QK; b++) {
        const float *x = src + b * QK;
        switch (type) {
        case QK_TYPE_Q4_1: quantize_q4_1((qk_block_q4_1 *)dst + b, x); break;
        case QK_TYPE_Q5_0: quantize_q5_0((qk_block_q5_0 *)dst + b, x); break;
        case QK_TYPE_Q5_1: quantize_q5_1((qk_block_q5_1 *)dst + b, x); break;
        case QK_TYPE_IQ4_NL: quantize_iq4_nl((qk_block_q4_0 *)dst + b, x); break;
        }
    }
}

// ---- Dequantizers: x = d·v (+ m), each product rounded before the add, as gguf-py computes it.

void qk_dequantize_blocks32(float *dst, const void *src, int type, size_t n) {
#pragma clang fp contract(off)
    int8_t v[QK];
    for (size_t b = 0; b < n / QK; b++) {
        float m, d = qk_decode_block32(v, &m, src, type, b);
        float *y = dst + b * QK;
        if (type == QK_TYPE_Q4_1 || type == QK_TYPE_Q5_1) {
            for (int j = 0; j < QK; j++) { float t = d * (float)v[j]; y[j] = t + m; }
        } else {
            for (int j = 0; j < QK; j++) y[j] = d * (float)v[j];
        }
    }
}

// ---- Portable dot product with a quantized activation (qk_quantize_activation): per block the exact
// integer Σ v·a, scaled by d·da, plus m·(da·Σa) for the formats with an offset.

float qk_dot_blocks32_scalar(const void *w, int type, const int8_t *aq, const float *ad, const int32_t *corr,
                             size_t nb) {
    int8_t v[QK];
    float s = 0.0f;
    for (size_t b = 0; b < nb; b++) {
        float m, d = qk_decode_block32(v, &m, w, type, b);
        int32_t isum = 0;
        for (int j = 0; j < QK; j++) isum += (int32_t)v[j] * aq[b * QK + j];
        s += (d * ad[b]) * (float)isum;
        if (m != 0.0f) s += m * (ad[b] * (float)(-corr[b * 8]));
    }
    return s;
}
