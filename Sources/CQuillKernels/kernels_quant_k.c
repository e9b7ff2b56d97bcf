// ggml's k-quants Q2_K … Q6_K (256-element super-blocks, layouts in qk_quant.h) and their activation
// side Q8_K: the common unpacked form (qk_kblock), dequantizers with gguf-py's float operations, the
// Q8_K activation quantizer (ggml's quantize_row_q8_K_ref) and the portable dot product that every
// SIMD kernel in kernels_quant_k_x86.c is tested against.
#include "QuillKernels.h"
#include "qk_math.h"
#include "qk_quant.h"
#include <math.h>
#include <string.h>

size_t qk_k_block_bytes(int type) {
    switch (type) {
    case QK_TYPE_Q2_K: return sizeof(qk_block_q2_K);
    case QK_TYPE_Q3_K: return sizeof(qk_block_q3_K);
    case QK_TYPE_Q4_K: return sizeof(qk_block_q4_K);
    case QK_TYPE_Q5_K: return sizeof(qk_block_q5_K);
    case QK_TYPE_Q6_K: return sizeof(qk_block_q6_K);
    case QK_TYPE_Q8_K: return sizeof(qk_block_q8_K);
    default: return 0;
    }
}

// Q4_K / Q5_K: eight 6-bit scales and mins packed in 12 bytes (bytes 0-3: scales 0-3 and the top two
// bits of scales 4-7; bytes 4-7: mins 0-3 and the top bits of mins 4-7; bytes 8-11: the low nibbles).
static inline void scale_min_k4(int j, const uint8_t *q, int *sc, int *m) {
    if (j < 4) { *sc = q[j] & 63; *m = q[j + 4] & 63; }
    else { *sc = (q[j + 4] & 0x0F) | (q[j - 4] >> 6) << 4; *m = (q[j + 4] >> 4) | (q[j] >> 6) << 4; }
}

// Q3_K: sixteen 6-bit scales (bias 32): low nibbles in bytes 0-7 (two per byte), top two bits in 8-11.
static inline int scale_q3(int j, const uint8_t *b) {
    int lo = j < 8 ? b[j] & 0x0F : b[j - 8] >> 4;
    return (lo | ((b[8 + j % 4] >> (2 * (j / 4))) & 3) << 4) - 32;
}

void qk_unpack_kblock(qk_kblock *o, const void *block, int type) {
    o->offset = 0;
    switch (type) {
    case QK_TYPE_Q2_K: {
        const qk_block_q2_K *x = block;
        o->d = qk_fp16_to_fp32(x->d); o->dmin = qk_fp16_to_fp32(x->dmin);
        for (int g = 0; g < 16; g++) { o->sc[g] = x->scales[g] & 0x0F; o->mo[g] = x->scales[g] >> 4; }
        for (int n = 0; n < QK_K; n += 128)
            for (int j = 0; j < 4; j++)
                for (int l = 0; l < 32; l++) o->u[n + 32 * j + l] = (x->qs[n / 4 + l] >> (2 * j)) & 3;
        break;
    }
    case QK_TYPE_Q3_K: {
        const qk_block_q3_K *x = block;
        o->d = o->dmin = qk_fp16_to_fp32(x->d); o->offset = 4;
        for (int g = 0; g < 16; g++) { o->sc[g] = (int16_t)scale_q3(g, x->scales); o->mo[g] = (int16_t)(4 * o->sc[g]); }
        for (int n = 0; n < QK_K; n += 128)
            for (int j = 0; j < 4; j++) {
                uint8_t bit = (uint8_t)(1u << (4 * (n / 128) + j));
                for (int l = 0; l < 32; l++)
                    o->u[n + 32 * j + l] = (uint8_t)(((x->qs[n / 4 + l] >> (2 * j)) & 3) | (x->hmask[l] & bit ? 4 : 0));
            }
        break;
    }
    case QK_TYPE_Q4_K:
    case QK_TYPE_Q5_K: {
        const qk_block_q4_K *x4 = block;
        const qk_block_q5_K *x5 = block;
        const uint8_t *scales = type == QK_TYPE_Q4_K ? x4->scales : x5->scales;
        const uint8_t *qs = type == QK_TYPE_Q4_K ? x4->qs : x5->qs;
        o->d = qk_fp16_to_fp32(x4->d); o->dmin = qk_fp16_to_fp32(x4->dmin);
        for (int j = 0; j < 8; j++) {
            int sc, m;
            scale_min_k4(j, scales, &sc, &m);
            o->sc[2 * j] = o->sc[2 * j + 1] = (int16_t)sc;
            o->mo[2 * j] = o->mo[2 * j + 1] = (int16_t)m;
        }
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++) {
                uint8_t q = qs[32 * c + l], h0 = 0, h1 = 0;
                if (type == QK_TYPE_Q5_K) {
                    h0 = x5->qh[l] & (1u << (2 * c)) ? 16 : 0;
                    h1 = x5->qh[l] & (1u << (2 * c + 1)) ? 16 : 0;
                }
                o->u[64 * c + l] = (q & 0x0F) | h0;
                o->u[64 * c + 32 + l] = (q >> 4) | h1;
            }
        break;
    }
    case QK_TYPE_Q6_K: {
        const qk_block_q6_K *x = block;
        o->d = o->dmin = qk_fp16_to_fp32(x->d); o->offset = 32;
        for (int g = 0; g < 16; g++) { o->sc[g] = x->scales[g]; o->mo[g] = (int16_t)(32 * x->scales[g]); }
        for (int n = 0; n < 2; n++) {
            const uint8_t *ql = x->ql + 64 * n, *qh = x->qh + 32 * n;
            uint8_t *u = o->u + 128 * n;
            for (int l = 0; l < 32; l++) {
                u[l] = (ql[l] & 0x0F) | ((qh[l] >> 0) & 3) << 4;
                u[l + 32] = (ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4;
                u[l + 64] = (ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4;
                u[l + 96] = (ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4;
            }
        }
        break;
    }
    }
}

// ---- Dequantizers: (d·sc)·u − dmin·m for the formats with mins, (d·sc)·(u − offset) for the others;
// every product rounded on its own, as ggml's reference loops and gguf-py compute them.

void qk_dequantize_k(float *dst, const void *src, int type, size_t n) {
#pragma clang fp contract(off)
    size_t bytes = qk_k_block_bytes(type);
    qk_kblock kb;
    for (size_t b = 0; b < n / QK_K; b++) {
        qk_unpack_kblock(&kb, (const uint8_t *)src + b * bytes, type);
        float *y = dst + b * QK_K;
        for (int g = 0; g < 16; g++) {
            float dl = kb.d * (float)kb.sc[g];
            if (kb.offset) {
                for (int l = 0; l < 16; l++) y[16 * g + l] = dl * (float)((int)kb.u[16 * g + l] - kb.offset);
            } else {
                float ml = kb.dmin * (float)kb.mo[g];
                for (int l = 0; l < 16; l++) { float t = dl * (float)kb.u[16 * g + l]; y[16 * g + l] = t - ml; }
            }
        }
    }
}

// ---- Q8_K activation (ggml's quantize_row_q8_K_ref): iscale = −127 / (the signed extreme), q =
// nearest(iscale·x) ≤ 127, d = 1 / iscale. Every ISA runs this loop, so decode and prefill agree.

static inline int nearest_int(float f) {
    float v = f + 12582912.0f;   // 1.5 · 2^23: the float's low mantissa bits now hold round-half-even(f)
    int32_t i;
    memcpy(&i, &v, 4);
    return (i & 0x007FFFFF) - 0x00400000;
}

size_t qk_activation_q8k_bytes(size_t K) { return K / QK_K * sizeof(qk_block_q8_K); }

static void quantize_q8k_block(qk_block_q8_K *y, const float *x) {
    float amax = 0.0f, extreme = 0.0f;
    for (int j = 0; j < QK_K; j++)
        if (fabsf(x[j]) > amax) { amax = fabsf(x[j]); extreme = x[j]; }
    memset(y->bsums, 0, sizeof y->bsums);
    if (amax == 0.0f) { y->d = 0.0f; memset(y->qs, 0, QK_K); return; }
    float iscale = -127.0f / extreme;
    for (int j = 0; j < QK_K; j++) {
        int v = nearest_int(iscale * x[j]);
        y->qs[j] = (int8_t)(v < 127 ? v : 127);
    }
    for (int g = 0; g < 16; g++) {
        int s = 0;
        for (int l = 0; l < 16; l++) s += y->qs[16 * g + l];
        y->bsums[g] = (int16_t)s;
    }
    y->d = 1.0f / iscale;
}

void qk_quantize_activation_q8k(void *blocks, const float *x, size_t M, size_t K, int isa) {
    qk_block_q8_K *y = blocks;
    int best = qk_quant_best_isa();
    if (isa < 0 || isa > best) isa = best;
#if QK_X86
    if (isa == QK_ISA_AVX512) { qk_quantize_activation_q8k_avx512(y, x, M * (K / QK_K)); return; }
#endif
    for (size_t b = 0; b < M * (K / QK_K); b++) quantize_q8k_block(y + b, x + b * QK_K);
}

// ---- Portable dot product: per block S1 = Σ_g sc_g·Σ u·a and S2 = Σ_g mo_g·bsum_g in int32 (exact),
// then da·(d·S1 − dmin·S2), or da·d·(S1 − S2) for the offset formats.

float qk_dot_k_scalar(const void *w, int type, const qk_block_q8_K *a, size_t nb) {
    size_t bytes = qk_k_block_bytes(type);
    qk_kblock kb;
    float s = 0.0f;
    for (size_t b = 0; b < nb; b++) {
        qk_unpack_kblock(&kb, (const uint8_t *)w + b * bytes, type);
        int32_t s1 = 0, s2 = 0;
        for (int g = 0; g < 16; g++) {
            int32_t t = 0;
            for (int l = 0; l < 16; l++) t += (int32_t)kb.u[16 * g + l] * a[b].qs[16 * g + l];
            s1 += kb.sc[g] * t;
            s2 += kb.mo[g] * a[b].bsums[g];
        }
        if (kb.offset) s += (a[b].d * kb.d) * (float)(s1 - s2);
        else s += (a[b].d * kb.d) * (float)s1 - (a[b].d * kb.dmin) * (float)s2;
    }
    return s;
}
