// SIMD kernels for the k-quants against Q8_K activations, with qk_dot_k_scalar's integer sums. Each
// super-block is unpacked to 256 unsigned levels in element order plus per-16 scales (int16) and the
// min / offset terms; maddubs forms pair products (no saturation: levels ≤ 63, |a| ≤ 127) and madd
// (AVX2) or VNNI dpwssd (AVX-512) applies the scales. The min terms Σ mo·bsum come from the
// activation's 16-element sums. Offset formats (Q3_K, Q6_K) subtract them in int32 before scaling.
#include "QuillKernels.h"
#include "qk_quant.h"
#if QK_X86
#include <immintrin.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,f16c,fma")))
#define AVX2 __attribute__((target("avx2,fma,f16c")))

// The 16 per-group scales and min terms of a block as int16 (loaded into vectors by the kernels).
typedef struct { int16_t sc[16], mo[16]; uint16_t d, dmin; } kscales;   // d, dmin: fp16 bits

static inline void scales_of(kscales *o, const void *block, int type) {
    switch (type) {
    case QK_TYPE_Q2_K: {
        const qk_block_q2_K *x = block;
        for (int g = 0; g < 16; g++) { o->sc[g] = x->scales[g] & 0x0F; o->mo[g] = x->scales[g] >> 4; }
        o->d = x->d; o->dmin = x->dmin;
        break;
    }
    case QK_TYPE_Q3_K: {
        const qk_block_q3_K *x = block;
        const uint8_t *b = x->scales;
        for (int g = 0; g < 16; g++) {
            int lo = g < 8 ? b[g] & 0x0F : b[g - 8] >> 4;
            o->sc[g] = (int16_t)((lo | ((b[8 + g % 4] >> (2 * (g / 4))) & 3) << 4) - 32);
            o->mo[g] = (int16_t)(4 * o->sc[g]);
        }
        o->d = o->dmin = x->d;
        break;
    }
    case QK_TYPE_Q4_K:
    case QK_TYPE_Q5_K: {
        const qk_block_q4_K *x = block;   // Q5_K shares d, dmin and scales' offsets
        const uint8_t *q = x->scales;
        for (int j = 0; j < 8; j++) {
            int sc = j < 4 ? q[j] & 63 : (q[j + 4] & 0x0F) | (q[j - 4] >> 6) << 4;
            int m = j < 4 ? q[j + 4] & 63 : (q[j + 4] >> 4) | (q[j] >> 6) << 4;
            o->sc[2 * j] = o->sc[2 * j + 1] = (int16_t)sc;
            o->mo[2 * j] = o->mo[2 * j + 1] = (int16_t)m;
        }
        o->d = x->d; o->dmin = x->dmin;
        break;
    }
    default: {   // Q6_K
        const qk_block_q6_K *x = block;
        for (int g = 0; g < 16; g++) { o->sc[g] = x->scales[g]; o->mo[g] = (int16_t)(32 * x->scales[g]); }
        o->d = o->dmin = x->d;
        break;
    }
    }
}

static inline int is_offset_type(int type) { return type == QK_TYPE_Q3_K || type == QK_TYPE_Q6_K; }

// ---- AVX2: eight vectors of 32 levels (elements 32i…32i+31).

static inline AVX2 __m256i bit_bytes(__m256i h, int bit, int value) {
    __m256i m = _mm256_set1_epi8((char)(1 << bit));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(h, m), m), _mm256_set1_epi8((char)value));
}

static inline AVX2 void levels_avx2(__m256i u[8], const void *block, int type) {
    const __m256i m2 = _mm256_set1_epi8(3), m4 = _mm256_set1_epi8(0x0F);
    switch (type) {
    case QK_TYPE_Q2_K:
    case QK_TYPE_Q3_K: {
        const uint8_t *qs = type == QK_TYPE_Q2_K ? ((const qk_block_q2_K *)block)->qs : ((const qk_block_q3_K *)block)->qs;
        for (int n = 0; n < 2; n++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * n));
            for (int j = 0; j < 4; j++) u[4 * n + j] = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m2);
        }
        if (type == QK_TYPE_Q3_K) {
            __m256i h = _mm256_loadu_si256((const __m256i *)((const qk_block_q3_K *)block)->hmask);
            for (int i = 0; i < 8; i++) u[i] = _mm256_or_si256(u[i], bit_bytes(h, i, 4));
        }
        break;
    }
    case QK_TYPE_Q4_K:
    case QK_TYPE_Q5_K: {
        const uint8_t *qs = type == QK_TYPE_Q4_K ? ((const qk_block_q4_K *)block)->qs : ((const qk_block_q5_K *)block)->qs;
        for (int c = 0; c < 4; c++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            u[2 * c] = _mm256_and_si256(q, m4);
            u[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        }
        if (type == QK_TYPE_Q5_K) {
            __m256i h = _mm256_loadu_si256((const __m256i *)((const qk_block_q5_K *)block)->qh);
            for (int i = 0; i < 8; i++) u[i] = _mm256_or_si256(u[i], bit_bytes(h, i, 16));
        }
        break;
    }
    default: {   // Q6_K
        const qk_block_q6_K *x = block;
        const __m256i m30 = _mm256_set1_epi8(0x30);
        for (int n = 0; n < 2; n++) {
            __m256i l0 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * n));
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * n + 32));
            __m256i h = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * n));
            u[4 * n + 0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m30));
            u[4 * n + 1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(h, 2), m30));
            u[4 * n + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, m30));
            u[4 * n + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                           _mm256_and_si256(_mm256_srli_epi16(h, 2), m30));
        }
        break;
    }
    }
}

AVX2 float qk_dot_k_avx2(const void *w, int type, const qk_block_q8_K *a, size_t nb) {
    const size_t bytes = qk_k_block_bytes(type);
    const int offset = is_offset_type(type);
    __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++) {
        const uint8_t *block = (const uint8_t *)w + b * bytes;
        __m256i u[8];
        kscales ks;
        levels_avx2(u, block, type);
        scales_of(&ks, block, type);
        __m256i s = _mm256_setzero_si256();
        for (int i = 0; i < 8; i++) {
            __m256i p = _mm256_maddubs_epi16(u[i], _mm256_loadu_si256((const __m256i *)(a[b].qs + 32 * i)));
            // int16 lanes 0-7 belong to group 2i, lanes 8-15 to group 2i + 1.
            __m256i sc = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi16(ks.sc[2 * i])),
                                                 _mm_set1_epi16(ks.sc[2 * i + 1]), 1);
            s = _mm256_add_epi32(s, _mm256_madd_epi16(p, sc));
        }
        __m256i m = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)ks.mo),
                                      _mm256_loadu_si256((const __m256i *)a[b].bsums));
        float d = _cvtsh_ss(ks.d), dmin = _cvtsh_ss(ks.dmin);
        if (offset) {
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(s, m)), _mm256_set1_ps(a[b].d * d), acc);
        } else {
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(a[b].d * d), acc);
            accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), _mm256_set1_ps(a[b].d * dmin), accm);
        }
    }
    __m256 t = _mm256_sub_ps(acc, accm);
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

// ---- AVX-512: four vectors of 64 levels (elements 64i…64i+63), scales as dpwssd operands.

typedef struct { __m512i u[4], sc[4]; __m256i mo; float d, dmin; } kblock512;

// int16 lane t of scale vector i covers elements 64i + 2t, +1, i.e. group 4i + t/8.
static const int16_t group_lanes[4][32] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
    {8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
    {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13, 14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15},
};

// Per-16-bit-lane shift counts for the two 256-bit halves: (first half, second half).
static inline AVX512 __m512i halves16(short first, short second) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(first)), _mm256_set1_epi16(second), 1);
}
static inline AVX512 __m512i halves8(char first, char second) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi8(first)), _mm256_set1_epi8(second), 1);
}

static inline AVX512 void unpack512(kblock512 *o, const void *block, int type) {
    const __m512i m2 = _mm512_set1_epi8(3), m4 = _mm512_set1_epi8(0x0F);
    switch (type) {
    case QK_TYPE_Q2_K:
    case QK_TYPE_Q3_K: {
        const uint8_t *qs = type == QK_TYPE_Q2_K ? ((const qk_block_q2_K *)block)->qs : ((const qk_block_q3_K *)block)->qs;
        for (int n = 0; n < 2; n++) {
            __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(qs + 32 * n)));
            o->u[2 * n] = _mm512_and_si512(_mm512_srlv_epi16(q, halves16(0, 2)), m2);
            o->u[2 * n + 1] = _mm512_and_si512(_mm512_srlv_epi16(q, halves16(4, 6)), m2);
        }
        if (type == QK_TYPE_Q3_K) {
            __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)((const qk_block_q3_K *)block)->hmask));
            const __m512i four = _mm512_set1_epi8(4);
            for (int i = 0; i < 4; i++) {
                __mmask64 k = _mm512_test_epi8_mask(h, halves8((char)(1 << (2 * i)), (char)(1 << (2 * i + 1))));
                o->u[i] = _mm512_mask_add_epi8(o->u[i], k, o->u[i], four);
            }
        }
        break;
    }
    case QK_TYPE_Q4_K:
    case QK_TYPE_Q5_K: {
        const uint8_t *qs = type == QK_TYPE_Q4_K ? ((const qk_block_q4_K *)block)->qs : ((const qk_block_q5_K *)block)->qs;
        for (int c = 0; c < 4; c++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            o->u[c] = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1), m4);
        }
        if (type == QK_TYPE_Q5_K) {
            __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)((const qk_block_q5_K *)block)->qh));
            const __m512i sixteen = _mm512_set1_epi8(16);
            for (int c = 0; c < 4; c++) {
                __mmask64 k = _mm512_test_epi8_mask(h, halves8((char)(1 << (2 * c)), (char)(1 << (2 * c + 1))));
                o->u[c] = _mm512_mask_add_epi8(o->u[c], k, o->u[c], sixteen);
            }
        }
        break;
    }
    default: {   // Q6_K
        const qk_block_q6_K *x = block;
        const __m512i m30 = _mm512_set1_epi8(0x30);
        for (int n = 0; n < 2; n++) {
            __m512i l = _mm512_loadu_si512(x->ql + 64 * n);
            __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x->qh + 32 * n)));
            __m512i hl = _mm512_and_si512(_mm512_sllv_epi16(h, halves16(4, 2)), m30);
            __m512i hh = _mm512_and_si512(_mm512_srlv_epi16(h, halves16(0, 2)), m30);
            o->u[2 * n] = _mm512_or_si512(_mm512_and_si512(l, m4), hl);
            o->u[2 * n + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4), hh);
        }
        break;
    }
    }
    kscales ks;
    scales_of(&ks, block, type);
    __m512i sc = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)ks.sc));
    for (int i = 0; i < 4; i++) o->sc[i] = _mm512_permutexvar_epi16(_mm512_loadu_si512(group_lanes[i]), sc);
    o->mo = _mm256_loadu_si256((const __m256i *)ks.mo);
    o->d = _cvtsh_ss(ks.d);
    o->dmin = _cvtsh_ss(ks.dmin);
}

// One block of one row against one activation block: exact int32 sums, then the float fmas.
static inline AVX512 void apply512(const kblock512 *w, const qk_block_q8_K *a, int offset, __m512 *acc, __m256 *accm) {
    __m512i s = _mm512_setzero_si512();
    for (int i = 0; i < 4; i++)
        s = _mm512_dpwssd_epi32(s, _mm512_maddubs_epi16(w->u[i], _mm512_loadu_si512(a->qs + 64 * i)), w->sc[i]);
    __m256i m = _mm256_madd_epi16(w->mo, _mm256_loadu_si256((const __m256i *)a->bsums));
    if (offset) {
        s = _mm512_sub_epi32(s, _mm512_zextsi256_si512(m));
        *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(a->d * w->d), *acc);
    } else {
        *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(a->d * w->d), *acc);
        *accm = _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), _mm256_set1_ps(a->d * w->dmin), *accm);
    }
}

static inline AVX512 float finish512(__m512 acc, __m256 accm) {
    __m256 t = _mm256_sub_ps(_mm256_add_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1)), accm);
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

AVX512 void qk_matvec_k_avx512(float *y, const void *w, int type, size_t rows, size_t rb, const qk_block_q8_K *a, size_t nb) {
    const size_t bytes = qk_k_block_bytes(type);
    const int offset = is_offset_type(type);
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + r * rb;
        __m512 acc = _mm512_setzero_ps();
        __m256 accm = _mm256_setzero_ps();
        kblock512 kb;
        for (size_t b = 0; b < nb; b++) {
            unpack512(&kb, row + b * bytes, type);
            apply512(&kb, a + b, offset, &acc, &accm);
        }
        y[r] = finish512(acc, accm);
    }
}

// Several activations against the same rows: each block is unpacked once and applied to every
// activation with apply512, so every result is bit-identical to qk_matvec_k_avx512 on its own.
AVX512 void qk_matvec_multi_k_avx512(float *const *ys, const void *w, int type, size_t rows, size_t rb,
                                     const qk_block_q8_K *const *a, size_t nb, size_t count) {
    const size_t bytes = qk_k_block_bytes(type);
    const int offset = is_offset_type(type);
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + r * rb;
        __m512 acc[QK_MULTI];
        __m256 accm[QK_MULTI];
        for (size_t s = 0; s < count; s++) { acc[s] = _mm512_setzero_ps(); accm[s] = _mm256_setzero_ps(); }
        kblock512 kb;
        for (size_t b = 0; b < nb; b++) {
            unpack512(&kb, row + b * bytes, type);
            for (size_t s = 0; s < count; s++) apply512(&kb, a[s] + b, offset, &acc[s], &accm[s]);
        }
        for (size_t s = 0; s < count; s++) ys[s][r] = finish512(acc[s], accm[s]);
    }
}

// ---- Q8_K activation quantizer (same values as quantize_q8k_block in kernels_quant_k.c: the first
// element of largest magnitude sets the scale, and cvtps rounds half to even like ggml's nearest_int).

AVX512 void qk_quantize_activation_q8k_avx512(qk_block_q8_K *y, const float *x, size_t nblocks) {
    const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    for (size_t b = 0; b < nblocks; b++, x += QK_K) {
        __m512 m = _mm512_setzero_ps();
        for (int i = 0; i < 16; i++) m = _mm512_max_ps(m, _mm512_and_ps(_mm512_loadu_ps(x + 16 * i), absmask));
        float amax = _mm512_reduce_max_ps(m);
        memset(y[b].bsums, 0, sizeof y[b].bsums);
        if (amax == 0.0f) { y[b].d = 0.0f; memset(y[b].qs, 0, QK_K); continue; }
        float extreme = 0.0f;
        for (int i = 0; i < 16; i++) {
            __mmask16 k = _mm512_cmpeq_ps_mask(_mm512_and_ps(_mm512_loadu_ps(x + 16 * i), absmask), _mm512_set1_ps(amax));
            if (k) { extreme = x[16 * i + __builtin_ctz(k)]; break; }
        }
        float iscale = -127.0f / extreme;
        const __m512 is = _mm512_set1_ps(iscale);
        const __m512i top = _mm512_set1_epi32(127);
        for (int i = 0; i < 16; i++) {
            __m512i q = _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * i), is)), top);
            _mm_storeu_si128((__m128i *)(y[b].qs + 16 * i), _mm512_cvtsepi32_epi8(q));
            y[b].bsums[i] = (int16_t)_mm512_reduce_add_epi32(q);
        }
        y[b].d = 1.0f / iscale;
    }
}
#endif
