// SIMD row · vector kernels for kernels_quant.c, compiled per ISA with target attributes and picked
// at run time. Int8 paths: AVX-512 VNNI uses the unsigned-offset trick (w + 128 or the Q4_0 nibble
// as u8, corrected by -128·Σa or -8·Σa seeded into the accumulator); AVX2 uses llama.cpp's sign trick.
// Decode's AVX-512 matvec folds four blocks per step (qk_matvec_q4_0_avx512 / _q8_0_ at the end).
#include "QuillKernels.h"
#include "qk_quant.h"
#if QK_X86
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,f16c,fma")))
#define AVX2 __attribute__((target("avx2,fma,f16c")))

static inline AVX2 float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// ---- F32 and F16: four independent accumulators so the FMA latency is hidden.

AVX512 float qk_dot_f32_avx512(const float *w, const float *x, size_t K) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 64 <= K; i += 64) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= K; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
    float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < K; i++) s += w[i] * x[i];
    return s;
}

AVX2 float qk_dot_f32_avx2(const float *w, const float *x, size_t K) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    size_t i = 0;
    for (; i + 16 <= K; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum256(_mm256_add_ps(a0, a1));
    for (; i < K; i++) s += w[i] * x[i];
    return s;
}

AVX512 float qk_dot_f16_avx512(const uint16_t *w, const float *x, size_t K) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
#define H(o) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i + (o))))
    for (; i + 64 <= K; i += 64) {
        a0 = _mm512_fmadd_ps(H(0), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(H(16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(H(32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(H(48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= K; i += 16) a0 = _mm512_fmadd_ps(H(0), _mm512_loadu_ps(x + i), a0);
#undef H
    float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < K; i++) s += qk_fp16_to_fp32(w[i]) * x[i];
    return s;
}

AVX2 float qk_dot_f16_avx2(const uint16_t *w, const float *x, size_t K) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    size_t i = 0;
    for (; i + 16 <= K; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i))), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(w + i + 8))), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum256(_mm256_add_ps(a0, a1));
    for (; i < K; i++) s += qk_fp16_to_fp32(w[i]) * x[i];
    return s;
}

// ---- Q8_0 / Q4_0 × int8 activation, AVX-512 VNNI: two blocks per 512-bit register.
// dpbusd multiplies unsigned bytes by signed bytes, so the weight is offset to unsigned (q + 128 for
// Q8_0; the raw nibble 0..15 for Q4_0, whose value is nibble − 8) and the accumulator starts at
// −offset·Σa (corr lane 0 of each block), making each block's int32 sum exactly Σ w·a.

static inline AVX512 __m512 pair_scale(float s0, float s1) {
    return _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(s0), _mm512_set1_ps(s1));
}

AVX512 float qk_dot_q8_0_avx512(const void *wv, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb) {
    const qk_block_q8_0 *w = wv;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512 acc = _mm512_setzero_ps();
    size_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)w[b].qs), w1 = _mm256_loadu_si256((const __m256i *)w[b + 1].qs);
        __m512i wu = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(w0), w1, 1), flip);
        __m512i seed = _mm512_slli_epi32(_mm512_loadu_si512(corr + b * 8), 7);
        __m512i dot = _mm512_dpbusd_epi32(seed, wu, _mm512_loadu_si512(aq + b * QK));
        __m512 s = pair_scale(_cvtsh_ss(w[b].d) * ad[b], _cvtsh_ss(w[b + 1].d) * ad[b + 1]);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), s, acc);
    }
    float r = _mm512_reduce_add_ps(acc);
    if (b < nb) {   // odd block count: one 256-bit block
        __m256i wu = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)w[b].qs), _mm256_set1_epi8((char)0x80));
        __m256i seed = _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(corr + b * 8)), 7);
        __m256i dot = _mm256_dpbusd_epi32(seed, wu, _mm256_loadu_si256((const __m256i *)(aq + b * QK)));
        __m256 p = _mm256_mul_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(_cvtsh_ss(w[b].d) * ad[b]));
        r += hsum256(p);
    }
    return r;
}

// Two Q4_0 blocks' 16 nibble bytes → 64 unsigned bytes in element order [b0 lo, b0 hi, b1 lo, b1 hi].
static inline AVX512 __m512i unpack_q4_pair(const qk_block_q4_0 *w) {
    __m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)w[0].qs)),
                                        _mm_loadu_si128((const __m128i *)w[1].qs), 1);
    const __m256i m = _mm256_set1_epi8(0x0F);
    __m256i lo = _mm256_and_si256(x, m), hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), m);
    __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);   // [lo0, lo1, hi0, hi1]
    return _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));         // [lo0, hi0, lo1, hi1]
}

AVX512 float qk_dot_q4_0_avx512(const void *wv, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb) {
    const qk_block_q4_0 *w = wv;
    __m512 acc = _mm512_setzero_ps();
    size_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        __m512i seed = _mm512_slli_epi32(_mm512_loadu_si512(corr + b * 8), 3);
        __m512i dot = _mm512_dpbusd_epi32(seed, unpack_q4_pair(w + b), _mm512_loadu_si512(aq + b * QK));
        __m512 s = pair_scale(_cvtsh_ss(w[b].d) * ad[b], _cvtsh_ss(w[b + 1].d) * ad[b + 1]);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), s, acc);
    }
    float r = _mm512_reduce_add_ps(acc);
    if (b < nb) {
        __m128i x = _mm_loadu_si128((const __m128i *)w[b].qs), m = _mm_set1_epi8(0x0F);
        __m256i u = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(x, m)),
                                            _mm_and_si128(_mm_srli_epi16(x, 4), m), 1);
        __m256i seed = _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(corr + b * 8)), 3);
        __m256i dot = _mm256_dpbusd_epi32(seed, u, _mm256_loadu_si256((const __m256i *)(aq + b * QK)));
        r += hsum256(_mm256_mul_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(_cvtsh_ss(w[b].d) * ad[b])));
    }
    return r;
}

// ---- AVX2: |w| (unsigned) times sign(w)·a (signed) with maddubs; pairs stay below 2·128·127.

static inline AVX2 __m256 block_dot_avx2(__m256i w, __m256i a, float scale) {
    __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
    __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
    return _mm256_mul_ps(_mm256_cvtepi32_ps(p32), _mm256_set1_ps(scale));
}

AVX2 float qk_dot_q8_0_avx2(const void *wv, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb) {
    (void)corr;
    const qk_block_q8_0 *w = wv;
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        __m256i x = _mm256_loadu_si256((const __m256i *)w[b].qs), a = _mm256_loadu_si256((const __m256i *)(aq + b * QK));
        acc = _mm256_add_ps(acc, block_dot_avx2(x, a, _cvtsh_ss(w[b].d) * ad[b]));
    }
    return hsum256(acc);
}

AVX2 float qk_dot_q4_0_avx2(const void *wv, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb) {
    (void)corr;
    const qk_block_q4_0 *w = wv;
    __m256 acc = _mm256_setzero_ps();
    const __m128i m = _mm_set1_epi8(0x0F);
    for (size_t b = 0; b < nb; b++) {
        __m128i x = _mm_loadu_si128((const __m128i *)w[b].qs);
        __m256i u = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(x, m)),
                                            _mm_and_si128(_mm_srli_epi16(x, 4), m), 1);
        __m256i v = _mm256_sub_epi8(u, _mm256_set1_epi8(8));
        __m256i a = _mm256_loadu_si256((const __m256i *)(aq + b * QK));
        acc = _mm256_add_ps(acc, block_dot_avx2(v, a, _cvtsh_ss(w[b].d) * ad[b]));
    }
    return hsum256(acc);
}
#endif

#if QK_X86
// ---- Decode matvec (AVX-512 VNNI), four blocks per step: the row's two 512-bit dots (two blocks each)
// fold into one vector of 4 lanes per block, so the float work is one convert and one fma per four
// blocks, with the four fp16 weight scales gathered in one 64-bit word. Rows are read one at a time:
// interleaving 2 or 4 rows (to share the activation loads) measured up to 2× slower once the weights
// leave the cache (several streams per pass defeat the hardware prefetch), so each row streams alone.

static const int32_t scale_lanes[16] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};

// Four fp16 weight scales at p, p + stride, ... → 16 lanes, 4 per block, times the activation scales.
static inline AVX512 __m512 block_scales(const uint8_t *p, size_t stride, __m512i lanes, __m512 as) {
    uint16_t h0, h1, h2, h3;
    memcpy(&h0, p, 2); memcpy(&h1, p + stride, 2); memcpy(&h2, p + 2 * stride, 2); memcpy(&h3, p + 3 * stride, 2);
    uint64_t packed = (uint64_t)h0 | (uint64_t)h1 << 16 | (uint64_t)h2 << 32 | (uint64_t)h3 << 48;
    __m128 d = _mm_cvtph_ps(_mm_cvtsi64_si128((long long)packed));
    return _mm512_mul_ps(_mm512_permutexvar_ps(lanes, _mm512_castps128_ps512(d)), as);
}

// Two dots' 128-bit lanes → one vector [block b, b+1, b+2, b+3] of 4 partial sums each; `first` and
// `second` select the lanes holding the two halves of each block.
#define FOLD(d0, d1, first, second) \
    _mm512_add_epi32(_mm512_shuffle_i64x2(d0, d1, first), _mm512_shuffle_i64x2(d0, d1, second))
#define LANES_0213 _MM_SHUFFLE(3, 1, 2, 0)

// The activation side of each four-block step, arranged once per call and shared by every row:
// the two activation vectors and the two offset seeds (−offset·Σa) in the weights' lane order, and
// the activation scales spread to 4 lanes per block. 320 bytes per step.
typedef struct { __m512i a0, a1, c0, c1; __m512 as; } step;

// 0: Q8_0 (blocks b, b+1 in 256-bit halves, offset 128); 1: Q4_0 (lanes [lo b, lo b+1, hi b, hi b+1], offset 8).
static AVX512 step *prepare_steps(const int8_t *aq, const float *ad, const int32_t *corr, size_t steps, int q4) {
    step *st = NULL;
    if (posix_memalign((void **)&st, 64, (steps ? steps : 1) * sizeof(step)) != 0) return NULL;
    const __m512i lanes = _mm512_loadu_si512(scale_lanes);
    for (size_t k = 0; k < steps; k++) {
        size_t b = 4 * k;
        __m512i a0 = _mm512_loadu_si512(aq + b * QK), a1 = _mm512_loadu_si512(aq + b * QK + 64);
        __m512i c0 = _mm512_loadu_si512(corr + b * 8), c1 = _mm512_loadu_si512(corr + b * 8 + 16);
        if (q4) {
            st[k].a0 = _mm512_shuffle_i64x2(a0, a0, LANES_0213); st[k].a1 = _mm512_shuffle_i64x2(a1, a1, LANES_0213);
            c0 = _mm512_shuffle_i64x2(c0, c0, LANES_0213); c1 = _mm512_shuffle_i64x2(c1, c1, LANES_0213);
            st[k].c0 = _mm512_slli_epi32(c0, 3); st[k].c1 = _mm512_slli_epi32(c1, 3);
        } else {
            st[k].a0 = a0; st[k].a1 = a1;
            st[k].c0 = _mm512_slli_epi32(c0, 7); st[k].c1 = _mm512_slli_epi32(c1, 7);
        }
        st[k].as = _mm512_permutexvar_ps(lanes, _mm512_castps128_ps512(_mm_loadu_ps(ad + b)));
    }
    return st;
}

static inline AVX512 float row_q4_0(const uint8_t *w, const step *st, size_t steps, __m512i lanes) {
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    __m512 acc = _mm512_setzero_ps();
    for (size_t k = 0; k < steps; k++) {
        const uint8_t *p = w + 4 * k * sizeof(qk_block_q4_0);
        __m256i x0 = _mm256_loadu2_m128i((const __m128i *)(p + 20), (const __m128i *)(p + 2));
        __m256i x1 = _mm256_loadu2_m128i((const __m128i *)(p + 56), (const __m128i *)(p + 38));
        __m512i u0 = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(x0), _mm256_srli_epi16(x0, 4), 1), m4);
        __m512i u1 = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(x1), _mm256_srli_epi16(x1, 4), 1), m4);
        __m512i d0 = _mm512_dpbusd_epi32(st[k].c0, u0, st[k].a0), d1 = _mm512_dpbusd_epi32(st[k].c1, u1, st[k].a1);
        __m512i s = FOLD(d0, d1, _MM_SHUFFLE(1, 0, 1, 0), _MM_SHUFFLE(3, 2, 3, 2));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), block_scales(p, sizeof(qk_block_q4_0), lanes, st[k].as), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

static inline AVX512 float row_q8_0(const uint8_t *w, const step *st, size_t steps, __m512i lanes) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512 acc = _mm512_setzero_ps();
    for (size_t k = 0; k < steps; k++) {
        const uint8_t *p = w + 4 * k * sizeof(qk_block_q8_0);
        __m512i w0 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(p + 2))),
                                        _mm256_loadu_si256((const __m256i *)(p + 36)), 1);
        __m512i w1 = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(p + 70))),
                                        _mm256_loadu_si256((const __m256i *)(p + 104)), 1);
        __m512i d0 = _mm512_dpbusd_epi32(st[k].c0, _mm512_xor_si512(w0, flip), st[k].a0);
        __m512i d1 = _mm512_dpbusd_epi32(st[k].c1, _mm512_xor_si512(w1, flip), st[k].a1);
        __m512i s = FOLD(d0, d1, _MM_SHUFFLE(2, 0, 2, 0), _MM_SHUFFLE(3, 1, 3, 1));
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), block_scales(p, sizeof(qk_block_q8_0), lanes, st[k].as), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// Rows through the four-block steps; the last nb mod 4 blocks of each row go through the pair kernel.
#define MATVEC_ROWS(row_fn, dot_fn, block, q4)                                                              \
    const __m512i lanes = _mm512_loadu_si512(scale_lanes);                                                  \
    size_t steps = nb / 4, nb4 = 4 * steps;                                                                 \
    step *st = prepare_steps(aq, ad, corr, steps, q4);                                                      \
    for (size_t r = 0; r < rows; r++) {                                                                     \
        const uint8_t *row = (const uint8_t *)w + r * rb;                                                   \
        float v = st ? row_fn(row, st, steps, lanes) : dot_fn(row, aq, ad, corr, nb4);                     \
        if (nb4 < nb) v += dot_fn(row + nb4 * sizeof(block), aq + nb4 * QK, ad + nb4, corr + nb4 * 8, nb - nb4); \
        y[r] = v;                                                                                           \
    }                                                                                                       \
    free(st);

AVX512 void qk_matvec_q4_0_avx512(float *y, const void *w, size_t rows, size_t rb, const int8_t *aq,
                                  const float *ad, const int32_t *corr, size_t nb) {
    MATVEC_ROWS(row_q4_0, qk_dot_q4_0_avx512, qk_block_q4_0, 1)
}

AVX512 void qk_matvec_q8_0_avx512(float *y, const void *w, size_t rows, size_t rb, const int8_t *aq,
                                  const float *ad, const int32_t *corr, size_t nb) {
    MATVEC_ROWS(row_q8_0, qk_dot_q8_0_avx512, qk_block_q8_0, 0)
}
// Several activations against the same rows (the decode rows of a batch): each row's weights are
// loaded, offset and scale-decoded once per step and then meet every activation. Per (row, activation)
// the operations are row_q8_0 / row_q4_0's, in the same order, so each result is bit-identical to
// the one-activation matvec. At most QK_MULTI activations per call.
#define MULTI_ROWS(LOAD_WEIGHTS, WEIGHT0, WEIGHT1, first, second, dot_fn, block, q4)                        \
    const __m512i lanes = _mm512_loadu_si512(scale_lanes);                                                  \
    size_t steps = nb / 4, nb4 = 4 * steps;                                                                 \
    step *st[QK_MULTI] = {0};                                                                               \
    int ok = 1;                                                                                             \
    for (size_t s = 0; s < count; s++) ok &= (st[s] = prepare_steps(aq[s], ad[s], corr[s], steps, q4)) != NULL; \
    for (size_t r = 0; r < rows; r++) {                                                                     \
        const uint8_t *row = (const uint8_t *)w + r * rb;                                                   \
        __m512 acc[QK_MULTI];                                                                               \
        for (size_t s = 0; s < count; s++) acc[s] = _mm512_setzero_ps();                                    \
        for (size_t k = 0; ok && k < steps; k++) {                                                          \
            const uint8_t *p = row + 4 * k * sizeof(block);                                                 \
            LOAD_WEIGHTS                                                                                    \
            __m512 ws = _mm512_permutexvar_ps(lanes, _mm512_castps128_ps512(weight_scales4(p, sizeof(block)))); \
            for (size_t s = 0; s < count; s++) {                                                            \
                __m512i d0 = _mm512_dpbusd_epi32(st[s][k].c0, WEIGHT0, st[s][k].a0);                        \
                __m512i d1 = _mm512_dpbusd_epi32(st[s][k].c1, WEIGHT1, st[s][k].a1);                        \
                __m512i sum = FOLD(d0, d1, first, second);                                                  \
                acc[s] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_mul_ps(ws, st[s][k].as), acc[s]); \
            }                                                                                               \
        }                                                                                                   \
        for (size_t s = 0; s < count; s++) {                                                                \
            float v = ok ? _mm512_reduce_add_ps(acc[s]) : dot_fn(row, aq[s], ad[s], corr[s], nb4);          \
            if (nb4 < nb) v += dot_fn(row + nb4 * sizeof(block), aq[s] + nb4 * QK, ad[s] + nb4, corr[s] + nb4 * 8, nb - nb4); \
            ys[s][r] = v;                                                                                   \
        }                                                                                                   \
    }                                                                                                       \
    for (size_t s = 0; s < count; s++) free(st[s]);

// The four fp16 weight scales of a step (before block_scales' lane spread and activation scale).
static inline AVX512 __m128 weight_scales4(const uint8_t *p, size_t stride) {
    uint16_t h0, h1, h2, h3;
    memcpy(&h0, p, 2); memcpy(&h1, p + stride, 2); memcpy(&h2, p + 2 * stride, 2); memcpy(&h3, p + 3 * stride, 2);
    uint64_t packed = (uint64_t)h0 | (uint64_t)h1 << 16 | (uint64_t)h2 << 32 | (uint64_t)h3 << 48;
    return _mm_cvtph_ps(_mm_cvtsi64_si128((long long)packed));
}

AVX512 void qk_matvec_multi_q8_0_avx512(float *const *ys, const void *w, size_t rows, size_t rb, const int8_t *const *aq,
                                        const float *const *ad, const int32_t *const *corr, size_t nb, size_t count) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    MULTI_ROWS(
        __m512i w0 = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(p + 2))),
                                                         _mm256_loadu_si256((const __m256i *)(p + 36)), 1), flip);
        __m512i w1 = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(p + 70))),
                                                         _mm256_loadu_si256((const __m256i *)(p + 104)), 1), flip);,
        w0, w1, _MM_SHUFFLE(2, 0, 2, 0), _MM_SHUFFLE(3, 1, 3, 1), qk_dot_q8_0_avx512, qk_block_q8_0, 0)
}

AVX512 void qk_matvec_multi_q4_0_avx512(float *const *ys, const void *w, size_t rows, size_t rb, const int8_t *const *aq,
                                        const float *const *ad, const int32_t *const *corr, size_t nb, size_t count) {
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    MULTI_ROWS(
        __m256i x0 = _mm256_loadu2_m128i((const __m128i *)(p + 20), (const __m128i *)(p + 2));
        __m256i x1 = _mm256_loadu2_m128i((const __m128i *)(p + 56), (const __m128i *)(p + 38));
        __m512i u0 = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(x0), _mm256_srli_epi16(x0, 4), 1), m4);
        __m512i u1 = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(x1), _mm256_srli_epi16(x1, 4), 1), m4);,
        u0, u1, _MM_SHUFFLE(1, 0, 1, 0), _MM_SHUFFLE(3, 2, 3, 2), qk_dot_q4_0_avx512, qk_block_q4_0, 1)
}

// F32 decode: the row loop lives inside the AVX-512 function so each row's dot is inlined. Calling
// the dot once per row from the generic dispatcher measured 10-12% slower on the 124M model (same
// kernel and rows; 1 thread). The same change made F16 ~10% slower, so F16 keeps the per-row call.
AVX512 void qk_matvec_f32_avx512(float *y, const float *w, size_t rows, size_t K, const float *x) {
    for (size_t r = 0; r < rows; r++) y[r] = qk_dot_f32_avx512(w + r * K, x, K);
}
#endif
