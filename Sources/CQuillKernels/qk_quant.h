// GGUF block layouts (ggml's block_q8_0 / block_q4_0) and the SIMD dot products of
// kernels_quant_x86.c, shared with kernels_quant.c. Internal to CQuillKernels.
#ifndef QK_QUANT_H
#define QK_QUANT_H
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__clang__)
#define QK_X86 1
#else
#define QK_X86 0
#endif

#define QK 32
typedef struct { uint16_t d; int8_t qs[QK]; } __attribute__((packed)) qk_block_q8_0;      // 34 bytes
typedef struct { uint16_t d; uint8_t qs[QK / 2]; } __attribute__((packed)) qk_block_q4_0;  // 18 bytes

/// One 32-element block of an activation: q = rint(x · 127 / max|x|), so |q| ≤ 127; writes Σq to *sum
/// and returns the scale max|x| / 127. The decode and GEMM quantizers both call it, so a row quantizes
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
    return amax / 127.0f;
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
#define QK_MULTI 8
void qk_matvec_multi_q8_0_avx512(float *const *ys, const void *w, size_t rows, size_t rb, const int8_t *const *aq,
                                 const float *const *ad, const int32_t *const *corr, size_t nb, size_t count);
void qk_matvec_multi_q4_0_avx512(float *const *ys, const void *w, size_t rows, size_t rb, const int8_t *const *aq,
                                 const float *const *ad, const int32_t *const *corr, size_t nb, size_t count);
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
// Blocks b0..<b0+nb of up to QK_GEMM_NR rows (row stride rb) → pw, ps (see kernels_gemm_q8.c).
void qk_gemm_repack_strip(uint8_t *pw, float *ps, const void *w, int type, size_t rb, size_t rows,
                          size_t b0, size_t nb, uint8_t flip);
#if QK_X86
// Blocks 0..<nb of a strip (pw, ps) times the same blocks of M activation rows of K elements;
// accumulate adds into y instead of overwriting it (later K chunks).
void qk_gemm_strip_avx512(float *y, size_t ldy, const uint8_t *pw, const float *ps, size_t rows,
                          size_t K, size_t nb, const int8_t *aq, const float *ad, const int32_t *corr,
                          size_t M, int accumulate);
void qk_gemm_strip_avx2(float *y, size_t ldy, const uint8_t *pw, const float *ps, size_t rows,
                        size_t K, size_t nb, const int8_t *aq, const float *ad, size_t M, int accumulate);
void qk_gemm_repack_strip_avx512(uint8_t *pw, float *ps, const void *w, int type, size_t rb,
                                 size_t rows, size_t b0, size_t nb, uint8_t flip);
void qk_quantize_activation_rows_avx512(int8_t *q, float *d, int32_t *corr, const float *x, size_t M, size_t K);
#endif

#endif
