// GGUF block layouts (ggml's block_q8_0 / block_q4_0) and the SIMD dot products of
// kernels_quant_x86.c, shared with kernels_quant.c. Internal to CQuillKernels.
#ifndef QK_QUANT_H
#define QK_QUANT_H
#include "QuillKernels.h"
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__clang__)
#define QK_X86 1
#else
#define QK_X86 0
#endif

#define QK 32
#define QK_K 256
#define QK_MULTI 8   // activations per multi-activation (batched decode) kernel call
#define QK_PACKED __attribute__((packed))
// 32-element blocks. Nibble formats: byte j holds element j (low nibble) and element j + 16 (high);
// qh bit j is bit 4 of element j. IQ4_NL is Q4_0's layout with nibbles indexing qk_iq4nl_values.
typedef struct { uint16_t d; int8_t qs[QK]; } QK_PACKED qk_block_q8_0;                      // 34 bytes
typedef struct { uint16_t d; uint8_t qs[QK / 2]; } QK_PACKED qk_block_q4_0;                 // 18 bytes
typedef struct { uint16_t d, m; uint8_t qs[QK / 2]; } QK_PACKED qk_block_q4_1;              // 20 bytes
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QK / 2]; } QK_PACKED qk_block_q5_0;  // 22 bytes
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QK / 2]; } QK_PACKED qk_block_q5_1; // 24 bytes
// 256-element super-blocks (ggml's k-quants), field order as in ggml-common.h.
typedef struct { uint8_t scales[16]; uint8_t qs[64]; uint16_t d, dmin; } QK_PACKED qk_block_q2_K;           // 84
typedef struct { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint16_t d; } QK_PACKED qk_block_q3_K; // 110
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } QK_PACKED qk_block_q4_K;          // 144
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } QK_PACKED qk_block_q5_K; // 176
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } QK_PACKED qk_block_q6_K;   // 210
// The k-quants' activation side: d = max|x|/127 (sign from the extreme), |q| ≤ 127, bsums = Σq per 16.
typedef struct { float d; int8_t qs[QK_K]; int16_t bsums[QK_K / 16]; } qk_block_q8_K;                       // 292

/// IQ4_NL's 16 non-linear levels (ggml's kvalues_iq4nl).
static const int8_t qk_iq4nl_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/// Whether `type` is one of the 256-element k-quants (whose dot products take Q8_K activations).
static inline int qk_is_k_type(int type) { return type >= 10 && type <= 14; }

/// One k-quant super-block in a common form for the portable kernels: element e is
/// d·sc[e/16]·u[e] − dmin·mo[e/16], with u ≥ 0. Offset formats (Q3_K, Q6_K: element = d·sc·(u − offset))
/// set dmin = d, mo = offset·sc and `offset` > 0, so the two integer sums combine before scaling.
typedef struct { uint8_t u[QK_K]; int16_t sc[16], mo[16]; float d, dmin; int offset; } qk_kblock;
void qk_unpack_kblock(qk_kblock *out, const void *block, int type);
/// Bytes per 256-element block of a k-quant.
size_t qk_k_block_bytes(int type);

// kernels_quant_32.c / kernels_quant_k.c / kernels_quantize_k.c: n elements (whole blocks) of one family.
void qk_quantize_blocks32(void *dst, const float *src, int type, size_t n);
void qk_dequantize_blocks32(float *dst, const void *src, int type, size_t n);
float qk_dot_blocks32_scalar(const void *w, int type, const int8_t *aq, const float *ad, const int32_t *corr,
                             size_t nb);
void qk_quantize_k(void *dst, const float *src, int type, size_t n);
void qk_dequantize_k(float *dst, const void *src, int type, size_t n);
/// Row · Q8_K activation over nb super-blocks: exact integer sums per block, scaled in float.
float qk_dot_k_scalar(const void *w, int type, const qk_block_q8_K *a, size_t nb);

/// Block b of a row of a 32-element format as 32 integer levels (Q4_0: nibble − 8, Q4_1: nibble,
/// Q5_0: q − 16, Q5_1: q, Q8_0: q, IQ4_NL: its level); returns the scale d and writes the offset m
/// (Q4_1 / Q5_1; 0 otherwise): element j = d·v[j] + m.
static inline float qk_decode_block32(int8_t v[QK], float *m, const void *row, int type, size_t b) {
    *m = 0.0f;
    if (type == QK_TYPE_Q8_0) {
        const qk_block_q8_0 *x = (const qk_block_q8_0 *)row + b;
        for (int j = 0; j < QK; j++) v[j] = x->qs[j];
        return qk_fp16_to_fp32(x->d);
    }
    if (type == QK_TYPE_Q5_0 || type == QK_TYPE_Q5_1) {
        const uint8_t *qs, *h;
        float d;
        int offset = 0;
        if (type == QK_TYPE_Q5_0) {
            const qk_block_q5_0 *x = (const qk_block_q5_0 *)row + b;
            qs = x->qs; h = x->qh; d = qk_fp16_to_fp32(x->d); offset = 16;
        } else {
            const qk_block_q5_1 *x = (const qk_block_q5_1 *)row + b;
            qs = x->qs; h = x->qh; d = qk_fp16_to_fp32(x->d); *m = qk_fp16_to_fp32(x->m);
        }
        uint32_t qh = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
        for (int j = 0; j < QK / 2; j++) {
            v[j] = (int8_t)((int)((qs[j] & 0x0F) | ((qh >> j) & 1) << 4) - offset);
            v[j + QK / 2] = (int8_t)((int)((qs[j] >> 4) | ((qh >> (j + QK / 2)) & 1) << 4) - offset);
        }
        return d;
    }
    // Nibble formats: Q4_0, Q4_1, IQ4_NL.
    const uint8_t *qs;
    float d;
    if (type == QK_TYPE_Q4_1) {
        const qk_block_q4_1 *x = (const qk_block_q4_1 *)row + b;
        qs = x->qs; d = qk_fp16_to_fp32(x->d); *m = qk_fp16_to_fp32(x->m);
    } else {
        const qk_block_q4_0 *x = (const qk_block_q4_0 *)row + b;
        qs = x->qs; d = qk_fp16_to_fp32(x->d);
    }
    for (int j = 0; j < QK / 2; j++) {
        int lo = qs[j] & 0x0F, hi = qs[j] >> 4;
        if (type == QK_TYPE_IQ4_NL) { v[j] = qk_iq4nl_values[lo]; v[j + QK / 2] = qk_iq4nl_values[hi]; }
        else if (type == QK_TYPE_Q4_1) { v[j] = (int8_t)lo; v[j + QK / 2] = (int8_t)hi; }
        else { v[j] = (int8_t)(lo - 8); v[j + QK / 2] = (int8_t)(hi - 8); }
    }
    return d;
}

/// One 32-element block of an activation: q = rint(x · 127 / max|x|), so |q| ≤ 127; writes Σq to *sum
/// and returns the scale max|x| / 127 rounded to fp16, as ggml stores it in Q8_0/Q8_1 activation blocks
/// (this brought SmolLM2 logits from 1.7 to 1.16 of llama.cpp's). The decode and GEMM quantizers both call it, so a row quantizes
/// identically in prefill and decode.
static inline float qk_quantize_activation_block(int8_t *q, const float *x, int32_t *sum) {
    float amax = 0.0f;
    for (int j = 0; j < QK; j++) amax = __builtin_fmaxf(amax, __builtin_fabsf(x[j]));
    float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int32_t s = 0;
    for (int j = 0; j < QK; j++) {
        int32_t v = (int32_t)__builtin_rintf(x[j] * id);
        q[j] = (int8_t)v;
        s += v;
    }
    *sum = s;
    return (float)(_Float16)(amax / 127.0f);
}

#if QK_X86
// Row · vector for one weight row; aq/ad/corr are the quantized activation (qk_quantize_activation).
float qk_dot_f32_avx2(const float *w, const float *x, size_t K);
float qk_dot_f32_avx512(const float *w, const float *x, size_t K);
float qk_dot_f16_avx2(const uint16_t *w, const float *x, size_t K);
float qk_dot_f16_avx512(const uint16_t *w, const float *x, size_t K);
float qk_dot_q8_0_avx2(const void *w, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb);
float qk_dot_q8_0_avx512(const void *w, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb);
float qk_dot_q4_0_avx2(const void *w, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb);
float qk_dot_q4_0_avx512(const void *w, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb);
// ys[s][r] = row r · activation s for s < count ≤ QK_MULTI, each bit-identical to the one-activation kernel.
void qk_matvec_multi_q8_0_avx512(float *const *ys, const void *w, size_t rows, size_t rb, const int8_t *const *aq,
                                 const float *const *ad, const int32_t *const *corr, size_t nb, size_t count);
void qk_matvec_multi_q4_0_avx512(float *const *ys, const void *w, size_t rows, size_t rb, const int8_t *const *aq,
                                 const float *const *ad, const int32_t *const *corr, size_t nb, size_t count);
// The other 32-block formats (kernels_quant_32_x86.c) and the k-quants (kernels_quant_k_x86.c): the
// same operations as the portable dots, per row (AVX2) or over rows (AVX-512, multi-activation too).
float qk_dot_blocks32_avx2(const void *w, int type, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb);
void qk_matvec_blocks32_avx512(float *y, const void *w, int type, size_t rows, size_t rb, const int8_t *aq,
                               const float *ad, const int32_t *corr, size_t nb);
void qk_matvec_multi_blocks32_avx512(float *const *ys, const void *w, int type, size_t rows, size_t rb,
                                     const int8_t *const *aq, const float *const *ad, const int32_t *const *corr,
                                     size_t nb, size_t count);
float qk_dot_k_avx2(const void *w, int type, const qk_block_q8_K *a, size_t nb);
void qk_matvec_k_avx512(float *y, const void *w, int type, size_t rows, size_t rb, const qk_block_q8_K *a, size_t nb);
void qk_matvec_multi_k_avx512(float *const *ys, const void *w, int type, size_t rows, size_t rb,
                              const qk_block_q8_K *const *a, size_t nb, size_t count);
void qk_quantize_activation_q8k_avx512(qk_block_q8_K *y, const float *x, size_t nblocks);
// y[r] = row r · x for r < rows of K floats.
void qk_matvec_f32_avx512(float *y, const float *w, size_t rows, size_t K, const float *x);
// y[r] = row r · activation for r < rows (row stride rb), four blocks per step.
void qk_matvec_q8_0_avx512(float *y, const void *w, size_t rows, size_t rb, const int8_t *aq,
                           const float *ad, const int32_t *corr, size_t nb);
void qk_matvec_q4_0_avx512(float *y, const void *w, size_t rows, size_t rb, const int8_t *aq,
                           const float *ad, const int32_t *corr, size_t nb);
#endif

// Int8 GEMM (kernels_gemm_q8.c): weight rows per repacked strip, and the strip kernels.
#define QK_GEMM_NR 32
// Blocks b0..<b0+nb of up to QK_GEMM_NR rows (row stride rb) → pw, ps, pm (see kernels_gemm_q8.c).
void qk_gemm_repack_strip(uint8_t *pw, float *ps, float *pm, const void *w, int type, size_t rb, size_t rows,
                          size_t b0, size_t nb, uint8_t flip);
#if QK_X86
// Blocks 0..<nb of a strip (pw, ps, and pm for the formats with an offset, else NULL) times the same
// blocks of M activation rows of K elements; accumulate adds into y instead of overwriting it.
void qk_gemm_strip_avx512(float *y, size_t ldy, const uint8_t *pw, const float *ps, const float *pm, size_t rows,
                          size_t K, size_t nb, const int8_t *aq, const float *ad, const int32_t *corr,
                          size_t M, int accumulate);
void qk_gemm_strip_avx2(float *y, size_t ldy, const uint8_t *pw, const float *ps, const float *pm, size_t rows,
                        size_t K, size_t nb, const int8_t *aq, const float *ad, const int32_t *corr, size_t M,
                        int accumulate);
void qk_gemm_repack_strip_avx512(uint8_t *pw, float *ps, const void *w, int type, size_t rb,
                                 size_t rows, size_t b0, size_t nb, uint8_t flip);
void qk_quantize_activation_rows_avx512(int8_t *q, float *d, int32_t *corr, const float *x, size_t M, size_t K);
#endif

#endif
