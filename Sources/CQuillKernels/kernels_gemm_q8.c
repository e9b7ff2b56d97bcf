// Int8 GEMM for the 32-block formats' prefill (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL): y (M, N) =
// x (M, K) · Wᵀ with x quantized per 32-block (as the decode path does) and exact int32 block dots
// scaled by the two block scales, as in ggml's vec_dot_q8_0_q8_0 but register-tiled over (activation
// rows × weight rows); Q4_1 / Q5_1 add their offset m·(da·Σa) per block. This file holds the
// activation quantizer, the weight-strip repack, the portable reference and the ISA dispatch.
#include "QuillKernels.h"
#include "qk_math.h"
#include "qk_quant.h"
#include <string.h>

// K is cut into chunks of this many blocks so a repacked strip chunk (1152 bytes per block) stays
// in L1 while the M activation rows' chunk (M × 32·KC bytes) stays in L2.
#ifndef QK_GEMM_KC
#define QK_GEMM_KC 16
#endif

size_t qk_gemm_q8_scratch_bytes(size_t K) {
    size_t nb = K / QK < QK_GEMM_KC ? K / QK : QK_GEMM_KC;
    return nb * QK_GEMM_NR * QK + 2 * nb * QK_GEMM_NR * sizeof(float) + 64;
}

// Activation rows: q = rint(x · 127 / max|x|) per block (|q| ≤ 127), d = max|x| / 127, and
// corr = −128 · Σq, the correction for the AVX-512 kernel's unsigned (w + 128) weights.
QK_CLONES void qk_quantize_activation_rows(int8_t *q, float *d, int32_t *corr, const float *x,
                                           size_t M, size_t K) {
#if QK_X86
    if (qk_quant_best_isa() == QK_ISA_AVX512) { qk_quantize_activation_rows_avx512(q, d, corr, x, M, K); return; }
#endif
    size_t nb = K / QK;
    for (size_t i = 0; i < M; i++) {
        for (size_t b = 0; b < nb; b++) {
            int32_t sum;
            d[i * nb + b] = qk_quantize_activation_block(q + i * K + b * QK, x + i * K + b * QK, &sum);
            corr[i * nb + b] = -128 * sum;
        }
    }
}

// Blocks b0..<b0+nb of a strip of up to QK_GEMM_NR weight rows → the SIMD kernels' layout. Per block b: bytes
// pw[b][g][n][0..3] = elements 4g..4g+3 of row n (g < 8, n < NR), xor `flip` (0x80 turns a signed
// value into value + 128 unsigned), scales ps[b][n] and offsets pm[b][n] (pm may be NULL for the
// formats without one). Missing rows get zero weights, scales and offsets.
void qk_gemm_repack_strip(uint8_t *pw, float *ps, float *pm, const void *w, int type, size_t rb, size_t rows,
                          size_t b0, size_t nb, uint8_t flip) {
    int8_t v[QK];
    for (size_t n = 0; n < QK_GEMM_NR; n++) {
        const void *row = (const char *)w + n * rb;
        for (size_t b = 0; b < nb; b++) {
            float d = 0.0f, m = 0.0f;
            if (n < rows) d = qk_decode_block32(v, &m, row, type, b0 + b);
            else memset(v, 0, QK);
            ps[b * QK_GEMM_NR + n] = d;
            if (pm) pm[b * QK_GEMM_NR + n] = m;
            uint8_t *dst = pw + b * QK_GEMM_NR * QK + n * 4;
            for (int g = 0; g < QK / 4; g++)
                for (int j = 0; j < 4; j++) dst[g * QK_GEMM_NR * 4 + j] = (uint8_t)v[4 * g + j] ^ flip;
        }
    }
}

// Portable reference: for each (i, r) the exact int32 block sums, scaled and summed in block order
// (the decode kernel's qk_dot_blocks32_scalar arithmetic, Σa read from corr = −128·Σa).
static void gemm_q8_scalar(float *y, size_t ldy, const void *w, int type, size_t rows, size_t K,
                           const int8_t *aq, const float *ad, const int32_t *corr, size_t M) {
    size_t rb = qk_row_bytes(type, K), nb = K / QK;
    int8_t v[QK];
    for (size_t r = 0; r < rows; r++) {
        const void *row = (const char *)w + r * rb;
        for (size_t i = 0; i < M; i++) {
            float s = 0.0f;
            for (size_t b = 0; b < nb; b++) {
                float m, dw = qk_decode_block32(v, &m, row, type, b);
                const int8_t *a = aq + i * K + b * QK;
                int32_t isum = 0;
                for (int j = 0; j < QK; j++) isum += (int32_t)v[j] * a[j];
                s += (dw * ad[i * nb + b]) * (float)isum;
                if (m != 0.0f) s += m * (ad[i * nb + b] * (float)(-corr[i * nb + b] / 128));
            }
            y[i * ldy + r] = s;
        }
    }
}

void qk_gemm_q8_rows(float *y, size_t ldy, const void *w, int type, size_t rows, size_t K,
                     const int8_t *aq, const float *ad, const int32_t *corr, size_t M, void *scratch,
                     int isa) {
    int best = qk_quant_best_isa();
    if (isa < 0 || isa > best) isa = best;
#if QK_X86
    if (isa != QK_ISA_SCALAR) {
        size_t rb = qk_row_bytes(type, K), nbr = K / QK, kc = nbr < QK_GEMM_KC ? nbr : QK_GEMM_KC;
        uint8_t *pw = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
        float *ps = (float *)(pw + kc * QK_GEMM_NR * QK);
        float *pm = type == QK_TYPE_Q4_1 || type == QK_TYPE_Q5_1 ? ps + kc * QK_GEMM_NR : NULL;
        int fast_repack = type == QK_TYPE_Q8_0 || type == QK_TYPE_Q4_0;
        // K chunks outermost so each chunk of the activation rows is reused from L2 by every strip;
        // chunks after the first add into y.
        for (size_t b0 = 0; b0 < nbr; b0 += QK_GEMM_KC) {
            size_t nb = nbr - b0 < QK_GEMM_KC ? nbr - b0 : QK_GEMM_KC;
            const int8_t *a = aq + b0 * QK;
            for (size_t r0 = 0; r0 < rows; r0 += QK_GEMM_NR) {
                size_t nr = rows - r0 < QK_GEMM_NR ? rows - r0 : QK_GEMM_NR;
                const void *strip = (const char *)w + r0 * rb;
                if (isa == QK_ISA_AVX512) {
                    if (fast_repack) qk_gemm_repack_strip_avx512(pw, ps, strip, type, rb, nr, b0, nb, 0x80);
                    else qk_gemm_repack_strip(pw, ps, pm, strip, type, rb, nr, b0, nb, 0x80);
                    qk_gemm_strip_avx512(y + r0, ldy, pw, ps, pm, nr, K, nb, a, ad + b0, corr + b0, M, b0 > 0);
                } else {
                    qk_gemm_repack_strip(pw, ps, pm, strip, type, rb, nr, b0, nb, 0x00);
                    qk_gemm_strip_avx2(y + r0, ldy, pw, ps, pm, nr, K, nb, a, ad + b0, corr + b0, M, b0 > 0);
                }
            }
        }
        return;
    }
#endif
    (void)scratch;
    gemm_q8_scalar(y, ldy, w, type, rows, K, aq, ad, corr, M);
}
