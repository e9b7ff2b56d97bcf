// SIMD tiles of the int8 GEMM (kernels_gemm_q8.c) on one repacked strip of QK_GEMM_NR = 32 weight
// rows. Each int32 lane holds one weight row's partial dot with one activation row: a 4-byte group of
// the activation is broadcast and multiplied with the same 4 elements of 16 (or 8) weight rows, so a
// block's 8 groups leave whole block sums in the lanes and no horizontal reduction is needed.
#include "QuillKernels.h"
#include "qk_quant.h"
#if QK_X86
#include <immintrin.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,f16c,fma")))
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))
#define GROUP_BYTES (QK_GEMM_NR * 4)       // one 4-element group of all 32 rows
#define BLOCK_BYTES (QK_GEMM_NR * QK)      // one block of all 32 rows

static inline int32_t load_i32(const int8_t *p) { int32_t v; memcpy(&v, p, 4); return v; }
static inline uint16_t load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

// ---- AVX-512 VNNI: MR activation rows × 32 weight rows (two zmm of 16 lanes) per tile. Weights are
// u8 = w + 128, so dpbusd(u8 w, s8 a) over a block gives Σ w·a + 128 Σa; the accumulator starts
// at corr = −128 Σa. Registers at MR = 4: 8 int32 + 8 float accumulators, 2 weight vectors, scales.

INLINE AVX512 void tile_avx512(float *y, size_t ldy, const uint8_t *pw, const float *ps, const float *pm,
                               size_t K, size_t nb, const int8_t *aq, const float *ad, const int32_t *corr,
                               int mr, __mmask16 k0, __mmask16 k1, int accumulate) {
    size_t nbr = K / QK;   // blocks per activation row; this call covers blocks 0..<nb of aq/ad/corr
    __m512 f[4][2];
    for (int m = 0; m < 4; m++) f[m][0] = f[m][1] = _mm512_setzero_ps();
    if (accumulate)
        for (int m = 0; m < mr; m++) {
            f[m][0] = _mm512_maskz_loadu_ps(k0, y + m * ldy);
            f[m][1] = _mm512_maskz_loadu_ps(k1, y + m * ldy + 16);
        }
    for (size_t b = 0; b < nb; b++) {
        __m512i s[4][2];
        for (int m = 0; m < mr; m++) s[m][0] = s[m][1] = _mm512_set1_epi32(corr[m * nbr + b]);
        const uint8_t *p = pw + b * BLOCK_BYTES;
        const int8_t *a = aq + b * QK;
        for (int g = 0; g < QK / 4; g++) {
            __m512i w0 = _mm512_load_si512(p + g * GROUP_BYTES), w1 = _mm512_load_si512(p + g * GROUP_BYTES + 64);
            for (int m = 0; m < mr; m++) {
                __m512i av = _mm512_set1_epi32(load_i32(a + m * K + 4 * g));
                s[m][0] = _mm512_dpbusd_epi32(s[m][0], w0, av);
                s[m][1] = _mm512_dpbusd_epi32(s[m][1], w1, av);
            }
        }
        __m512 d0 = _mm512_loadu_ps(ps + b * QK_GEMM_NR), d1 = _mm512_loadu_ps(ps + b * QK_GEMM_NR + 16);
        for (int m = 0; m < mr; m++) {
            __m512 da = _mm512_set1_ps(ad[m * nbr + b]);
            f[m][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[m][0]), _mm512_mul_ps(d0, da), f[m][0]);
            f[m][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[m][1]), _mm512_mul_ps(d1, da), f[m][1]);
        }
        if (pm) {   // offsets: + m·(da·Σa), Σa = −corr / 128
            __m512 m0 = _mm512_loadu_ps(pm + b * QK_GEMM_NR), m1 = _mm512_loadu_ps(pm + b * QK_GEMM_NR + 16);
            for (int m = 0; m < mr; m++) {
                __m512 sa = _mm512_set1_ps(ad[m * nbr + b] * (float)(-corr[m * nbr + b] / 128));
                f[m][0] = _mm512_fmadd_ps(m0, sa, f[m][0]);
                f[m][1] = _mm512_fmadd_ps(m1, sa, f[m][1]);
            }
        }
    }
    for (int m = 0; m < mr; m++) {
        _mm512_mask_storeu_ps(y + m * ldy, k0, f[m][0]);
        _mm512_mask_storeu_ps(y + m * ldy + 16, k1, f[m][1]);
    }
}

AVX512 void qk_gemm_strip_avx512(float *y, size_t ldy, const uint8_t *pw, const float *ps, const float *pm, size_t rows,
                                 size_t K, size_t nb, const int8_t *aq, const float *ad, const int32_t *corr,
                                 size_t M, int accumulate) {
    size_t nbr = K / QK;
    __mmask16 k0 = rows >= 16 ? 0xFFFF : (__mmask16)((1u << rows) - 1);
    __mmask16 k1 = rows >= 32 ? 0xFFFF : rows <= 16 ? 0 : (__mmask16)((1u << (rows - 16)) - 1);
    size_t i = 0;
#define TILE(mr) tile_avx512(y + i * ldy, ldy, pw, ps, pm, K, nb, aq + i * K, ad + i * nbr, corr + i * nbr, mr, k0, k1, accumulate)
    for (; i + 4 <= M; i += 4) TILE(4);
    switch (M - i) {   // constant MR per call so the tile's loops unroll and stay in registers
    case 3: TILE(3); break;
    case 2: TILE(2); break;
    case 1: TILE(1); break;
    }
#undef TILE
}

// ---- AVX2: signed weights; |w| (unsigned) times sign(w)·a (signed) with maddubs, so byte pairs stay
// below 2·128·127. MR activation rows × 8 weight rows (one ymm) per tile, four tiles across the strip.

INLINE AVX2 void tile_avx2(float *out, size_t ldy, const uint8_t *pw, const float *ps, const float *pm, size_t K,
                           size_t nb, const int8_t *aq, const float *ad, const int32_t *corr, int mr, size_t valid,
                           int accumulate) {
    size_t nbr = K / QK;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 f[4];
    for (int m = 0; m < 4; m++) f[m] = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        __m256i s[4];
        for (int m = 0; m < mr; m++) s[m] = _mm256_setzero_si256();
        const uint8_t *p = pw + b * BLOCK_BYTES;
        const int8_t *a = aq + b * QK;
        for (int g = 0; g < QK / 4; g++) {
            __m256i w = _mm256_loadu_si256((const __m256i *)(p + g * GROUP_BYTES)), aw = _mm256_abs_epi8(w);
            for (int m = 0; m < mr; m++) {
                __m256i av = _mm256_sign_epi8(_mm256_set1_epi32(load_i32(a + m * K + 4 * g)), w);
                s[m] = _mm256_add_epi32(s[m], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, av), ones));
            }
        }
        __m256 d = _mm256_loadu_ps(ps + b * QK_GEMM_NR);
        for (int m = 0; m < mr; m++)
            f[m] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[m]), _mm256_mul_ps(d, _mm256_set1_ps(ad[m * nbr + b])), f[m]);
        if (pm) {
            __m256 mv = _mm256_loadu_ps(pm + b * QK_GEMM_NR);
            for (int m = 0; m < mr; m++)
                f[m] = _mm256_fmadd_ps(mv, _mm256_set1_ps(ad[m * nbr + b] * (float)(-corr[m * nbr + b] / 128)), f[m]);
        }
    }
    for (int m = 0; m < mr; m++) {
        float t[8];
        _mm256_storeu_ps(t, f[m]);
        for (size_t n = 0; n < valid; n++) out[m * ldy + n] = accumulate ? out[m * ldy + n] + t[n] : t[n];
    }
}

AVX2 void qk_gemm_strip_avx2(float *y, size_t ldy, const uint8_t *pw, const float *ps, const float *pm, size_t rows,
                             size_t K, size_t nb, const int8_t *aq, const float *ad, const int32_t *corr, size_t M,
                             int accumulate) {
    size_t nbr = K / QK;
    for (size_t q = 0; q * 8 < rows; q++) {   // 8 weight rows at a time: lanes 8q..8q+7 of the strip
        const uint8_t *p = pw + q * 32;
        const float *s = ps + q * 8, *mq = pm ? pm + q * 8 : NULL;
        size_t valid = rows - q * 8 < 8 ? rows - q * 8 : 8, i = 0;
#define TILE(mr) tile_avx2(y + i * ldy + q * 8, ldy, p, s, mq, K, nb, aq + i * K, ad + i * nbr, corr + i * nbr, mr, valid, accumulate)
        for (; i + 4 <= M; i += 4) TILE(4);
        switch (M - i) {
        case 3: TILE(3); break;
        case 2: TILE(2); break;
        case 1: TILE(1); break;
        }
#undef TILE
    }
}

// ---- Strip repack (same layout and values as qk_gemm_repack_strip): one row's block becomes 32
// bytes in a ymm (Q4_0 nibbles unpacked and shifted by −8, then xor flip), stored as 8 dwords.

AVX512 void qk_gemm_repack_strip_avx512(uint8_t *pw, float *ps, const void *w, int type, size_t rb,
                                        size_t rows, size_t b0, size_t nb, uint8_t flip) {
    const __m256i f = _mm256_set1_epi8((char)flip), m4 = _mm256_set1_epi8(0x0F), eight = _mm256_set1_epi8(8);
    for (size_t n = 0; n < QK_GEMM_NR; n++) {
        const uint8_t *row = (const uint8_t *)w + n * rb;
        for (size_t b = 0; b < nb; b++) {
            __m256i v = f;
            float d = 0.0f;
            if (n < rows && type == QK_TYPE_Q8_0) {
                const uint8_t *p = row + (b0 + b) * sizeof(qk_block_q8_0);
                d = _cvtsh_ss(load_u16(p));
                v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + 2)), f);
            } else if (n < rows) {
                const uint8_t *p = row + (b0 + b) * sizeof(qk_block_q4_0);
                d = _cvtsh_ss(load_u16(p));
                __m128i x = _mm_loadu_si128((const __m128i *)(p + 2));
                __m256i x2 = _mm256_inserti128_si256(_mm256_castsi128_si256(x), _mm_srli_epi16(x, 4), 1);
                v = _mm256_xor_si256(_mm256_sub_epi8(_mm256_and_si256(x2, m4), eight), f);
            }
            ps[b * QK_GEMM_NR + n] = d;
            uint8_t *dst = pw + b * BLOCK_BYTES + n * 4;
            uint32_t t[8];
            _mm256_storeu_si256((__m256i *)t, v);
            for (int g = 0; g < QK / 4; g++) memcpy(dst + g * GROUP_BYTES, &t[g], 4);
        }
    }
}

// ---- Activation quantization (same arithmetic as the portable loop: max|x| is exact in any order,
// and cvtps rounds to nearest even like rintf). The scale is rounded to fp16, as ggml stores it in its
// Q8_0/Q8_1 activation blocks, so products round like llama.cpp's.

AVX512 void qk_quantize_activation_rows_avx512(int8_t *q, float *d, int32_t *corr, const float *x,
                                               size_t M, size_t K) {
    size_t nb = K / QK;
    const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    for (size_t i = 0; i < M * nb; i++) {
        __m512 x0 = _mm512_loadu_ps(x + i * QK), x1 = _mm512_loadu_ps(x + i * QK + 16);
        float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(x0, absmask), _mm512_and_ps(x1, absmask)));
        float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        __m512i v0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, _mm512_set1_ps(id)));
        __m512i v1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, _mm512_set1_ps(id)));
        _mm_storeu_si128((__m128i *)(q + i * QK), _mm512_cvtepi32_epi8(v0));
        _mm_storeu_si128((__m128i *)(q + i * QK + 16), _mm512_cvtepi32_epi8(v1));
        d[i] = (float)(_Float16)(amax / 127.0f);
        corr[i] = -128 * _mm512_reduce_add_epi32(_mm512_add_epi32(v0, v1));
    }
}
#endif
