// Int8 GEMM for Q8_0 / Q4_0 prefill: y (M, N) = x (M, K) · Wᵀ with x quantized per 32-block (as the
// decode path does) and exact int32 block dots scaled by the two block scales, as in ggml's
// vec_dot_q8_0_q8_0 but register-tiled over (activation rows × weight rows). This file holds the
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
    return nb * QK_GEMM_NR * QK + nb * QK_GEMM_NR * sizeof(float) + 64;
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

// One weight block as 32 signed values (Q4_0: nibble − 8) and its scale.
static inline float decode_block(int8_t v[QK], const void *row, int type, size_t b) {
    if (type == QK_TYPE_Q8_0) {
        const qk_block_q8_0 *x = (const qk_block_q8_0 *)row + b;
        memcpy(v, x->qs, QK);
        return qk_fp16_to_fp32(x->d);
    }
    const qk_block_q4_0 *x = (const qk_block_q4_0 *)row + b;
    for (int j = 0; j < QK / 2; j++) {
        v[j] = (int8_t)((x->qs[j] & 0x0F) - 8);
        v[j + QK / 2] = (int8_t)((x->qs[j] >> 4) - 8);
    }
    return qk_fp16_to_fp32(x->d);
}

// Blocks b0..<b0+nb of a strip of up to QK_GEMM_NR weight rows → the SIMD kernels' layout. Per block b: bytes
// pw[b][g][n][0..3] = elements 4g..4g+3 of row n (g < 8, n < NR), xor `flip` (0x80 turns a signed
// value into value + 128 unsigned), and scales ps[b][n]. Missing rows get zero weights and scales.
void qk_gemm_repack_strip(uint8_t *pw, float *ps, const void *w, int type, size_t rb, size_t rows,
                          size_t b0, size_t nb, uint8_t flip) {
    int8_t v[QK];
    for (size_t n = 0; n < QK_GEMM_NR; n++) {
        const void *row = (const char *)w + n * rb;
        for (size_t b = 0; b < nb; b++) {
            float d = 0.0f;
            if (n < rows) d = decode_block(v, row, type, b0 + b);
            else memset(v, 0, QK);
            ps[b * QK_GEMM_NR + n] = d;
            uint8_t *dst = pw + b * QK_GEMM_NR * QK + n * 4;
            for (int g = 0; g < QK / 4; g++)
                for (int j = 0; j < 4; j++) dst[g * QK_GEMM_NR * 4 + j] = (uint8_t)v[4 * g + j] ^ flip;
        }
    }
}

// Portable reference: for each (i, r) the exact int32 block sums, scaled and summed in block order.
static void gemm_q8_scalar(float *y, size_t ldy, const void *w, int type, size_t rows, size_t K,
                           const int8_t *aq, const float *ad, size_t M) {
    size_t rb = qk_row_bytes(type, K), nb = K / QK;
    int8_t v[QK];
    for (size_t r = 0; r < rows; r++) {
        const void *row = (const char *)w + r * rb;
        for (size_t i = 0; i < M; i++) {
            float s = 0.0f;
            for (size_t b = 0; b < nb; b++) {
                float dw = decode_block(v, row, type, b);
                const int8_t *a = aq + i * K + b * QK;
                int32_t isum = 0;
                for (int j = 0; j < QK; j++) isum += (int32_t)v[j] * a[j];
                s += (dw * ad[i * nb + b]) * (float)isum;
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
        size_t rb = qk_row_bytes(type, K), nbr = K / QK;
        uint8_t *pw = (uint8_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
        float *ps = (float *)(pw + (nbr < QK_GEMM_KC ? nbr : QK_GEMM_KC) * QK_GEMM_NR * QK);
        // K chunks outermost so each chunk of the activation rows is reused from L2 by every strip;
        // chunks after the first add into y.
        for (size_t b0 = 0; b0 < nbr; b0 += QK_GEMM_KC) {
            size_t nb = nbr - b0 < QK_GEMM_KC ? nbr - b0 : QK_GEMM_KC;
            const int8_t *a = aq + b0 * QK;
            for (size_t r0 = 0; r0 < rows; r0 += QK_GEMM_NR) {
                size_t nr = rows - r0 < QK_GEMM_NR ? rows - r0 : QK_GEMM_NR;
                const void *strip = (const char *)w + r0 * rb;
                if (isa == QK_ISA_AVX512) {
                    qk_gemm_repack_strip_avx512(pw, ps, strip, type, rb, nr, b0, nb, 0x80);
                    qk_gemm_strip_avx512(y + r0, ldy, pw, ps, nr, K, nb, a, ad + b0, corr + b0, M, b0 > 0);
                } else {
                    qk_gemm_repack_strip(pw, ps, strip, type, rb, nr, b0, nb, 0x00);
                    qk_gemm_strip_avx2(y + r0, ldy, pw, ps, nr, K, nb, a, ad + b0, M, b0 > 0);
                }
            }
        }
        return;
    }
#endif
    (void)corr; (void)scratch;
    gemm_q8_scalar(y, ldy, w, type, rows, K, aq, ad, M);
}
