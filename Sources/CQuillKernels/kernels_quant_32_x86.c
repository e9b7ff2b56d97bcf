// SIMD kernels for Q4_1, Q5_0, Q5_1 and IQ4_NL weights against the 32-block activation (same integer
// block sums as qk_dot_blocks32_scalar; only float order differs). AVX-512 VNNI: four blocks per step
// as kernels_quant_x86.c does for Q4_0, with the weights as unsigned bytes (nibble, nibble | bit 4 << 4,
// or IQ4_NL level + 128) and −offset·Σa seeded into the accumulator; the offsets of Q4_1 / Q5_1 add
// m·(da·Σa) per block. A row's last partial step reads its blocks from a zero-padded copy.
#include "QuillKernels.h"
#include "qk_quant.h"
#if QK_X86
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,f16c,fma")))
#define AVX2 __attribute__((target("avx2,fma,f16c")))

static inline uint32_t load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static inline AVX2 float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Per format: block bytes, where qs / qh / the fp16 pair (d, m) sit, and the unsigned offset.
typedef struct { int bytes, qs, qh, mins, offset; } layout32;

static inline layout32 layout_of(int type) {
    switch (type) {
    case QK_TYPE_Q4_1: return (layout32){sizeof(qk_block_q4_1), 4, -1, 1, 0};
    case QK_TYPE_Q5_0: return (layout32){sizeof(qk_block_q5_0), 6, 2, 0, 16};
    case QK_TYPE_Q5_1: return (layout32){sizeof(qk_block_q5_1), 8, 4, 1, 0};
    default: return (layout32){sizeof(qk_block_q4_0), 2, -1, 0, 128};   // IQ4_NL
    }
}

// ---- AVX2: per block, the levels as bytes (unsigned where the format has no sign), maddubs with the
// activation (sign trick for the signed ones), scaled by d·da; offsets summed apart.

// 32 bits → 32 bytes of 0xFF / 0x00 (byte j from bit j).
static inline AVX2 __m256i bits_to_bytes(uint32_t x) {
    const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x), pick);
    v = _mm256_or_si256(v, _mm256_set1_epi64x(0x7FBFDFEFF7FBFDFELL));
    return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(-1));
}

AVX2 float qk_dot_blocks32_avx2(const void *w, int type, const int8_t *aq, const float *ad, const int32_t *corr,
                                size_t nb) {
    const layout32 L = layout_of(type);
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m256i ones = _mm256_set1_epi16(1);
    const __m128i table = _mm_loadu_si128((const __m128i *)qk_iq4nl_values);
    __m256 acc = _mm256_setzero_ps();
    float offsets = 0.0f;
    for (size_t b = 0; b < nb; b++) {
        const uint8_t *p = (const uint8_t *)w + b * L.bytes;
        __m128i x = _mm_loadu_si128((const __m128i *)(p + L.qs));
        __m128i lo = _mm_and_si128(x, m4), hi = _mm_and_si128(_mm_srli_epi16(x, 4), m4);
        if (type == QK_TYPE_IQ4_NL) { lo = _mm_shuffle_epi8(table, lo); hi = _mm_shuffle_epi8(table, hi); }
        __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
        if (L.qh >= 0) v = _mm256_or_si256(v, _mm256_and_si256(bits_to_bytes(load_u32(p + L.qh)), _mm256_set1_epi8(16)));
        __m256i a = _mm256_loadu_si256((const __m256i *)(aq + b * QK)), p16;
        if (type == QK_TYPE_Q4_1 || type == QK_TYPE_Q5_1) {
            p16 = _mm256_maddubs_epi16(v, a);                                  // unsigned levels
        } else {
            if (type == QK_TYPE_Q5_0) v = _mm256_sub_epi8(v, _mm256_set1_epi8(16));
            p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(v, v), _mm256_sign_epi8(a, v));
        }
        uint16_t dh, mh;
        memcpy(&dh, p, 2);
        __m256 isum = _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, ones));
        acc = _mm256_add_ps(acc, _mm256_mul_ps(isum, _mm256_set1_ps(_cvtsh_ss(dh) * ad[b])));
        if (L.mins) { memcpy(&mh, p + 2, 2); offsets += _cvtsh_ss(mh) * (ad[b] * (float)(-corr[b * 8])); }
    }
    return hsum256(acc) + offsets;
}

// ---- AVX-512 VNNI decode, four blocks per step.

static const int32_t scale_lanes[16] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
static const int32_t even_lanes[16] = {0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6};
static const int32_t odd_lanes[16] = {1, 1, 1, 1, 3, 3, 3, 3, 5, 5, 5, 5, 7, 7, 7, 7};
#define LANES_0213 _MM_SHUFFLE(3, 1, 2, 0)

// The activation side of a step, in the weights' lane order [lo b, lo b+1, hi b, hi b+1] (two vectors),
// with the seeds −offset·Σa, the activation scales (4 lanes per block) and da·Σa in lane 4j of block j.
typedef struct { __m512i a0, a1, c0, c1; __m512 as, sa; } step32;

// ceil(nb/4) steps; blocks past nb are zero (no activation, scale or sum), so a padded step adds 0.
static AVX512 step32 *prepare(const int8_t *aq, const float *ad, const int32_t *corr, size_t nb, int offset) {
    size_t steps = (nb + 3) / 4;
    step32 *st = NULL;
    if (posix_memalign((void **)&st, 64, (steps ? steps : 1) * sizeof(step32)) != 0) return NULL;
    const __m512i lanes = _mm512_loadu_si512(scale_lanes);
    const int shift = offset == 128 ? 7 : offset == 16 ? 4 : 0;
    for (size_t k = 0; k < steps; k++) {
        size_t b = 4 * k, n = nb - b < 4 ? nb - b : 4;
        int8_t qa[4 * QK] __attribute__((aligned(64))) = {0};
        int32_t c[32] __attribute__((aligned(64))) = {0};
        float d[4] = {0, 0, 0, 0}, sums[16] = {0};
        memcpy(qa, aq + b * QK, n * QK);
        memcpy(c, corr + b * 8, n * 8 * sizeof(int32_t));
        memcpy(d, ad + b, n * sizeof(float));
        for (size_t j = 0; j < n; j++) sums[4 * j] = d[j] * (float)(-c[8 * j]);
        __m512i a0 = _mm512_load_si512(qa), a1 = _mm512_load_si512(qa + 64);
        __m512i c0 = _mm512_load_si512(c), c1 = _mm512_load_si512(c + 16);
        st[k].a0 = _mm512_shuffle_i64x2(a0, a0, LANES_0213);
        st[k].a1 = _mm512_shuffle_i64x2(a1, a1, LANES_0213);
        st[k].c0 = offset ? _mm512_slli_epi32(_mm512_shuffle_i64x2(c0, c0, LANES_0213), shift) : _mm512_setzero_si512();
        st[k].c1 = offset ? _mm512_slli_epi32(_mm512_shuffle_i64x2(c1, c1, LANES_0213), shift) : _mm512_setzero_si512();
        st[k].as = _mm512_permutexvar_ps(lanes, _mm512_castps128_ps512(_mm_loadu_ps(d)));
        st[k].sa = _mm512_loadu_ps(sums);
    }
    return st;
}

// One row's step: the unsigned weight bytes of blocks b, b+1 (u0) and b+2, b+3 (u1) and the scales
// d (and offsets m) spread to 4 lanes per block.
typedef struct { __m512i u0, u1; __m512 ws, wm; } wstep32;

static inline AVX512 __m512i nibbles_pair(const uint8_t *p0, const uint8_t *p1) {
    __m256i x = _mm256_loadu2_m128i((const __m128i *)p1, (const __m128i *)p0);
    return _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(x), _mm256_srli_epi16(x, 4), 1),
                            _mm512_set1_epi8(0x0F));
}

// Fifth bits of two blocks in the nibble lane order: [b bits 0-15, b+1 bits 0-15, b bits 16-31, b+1 bits 16-31].
static inline __mmask64 high_bits_pair(uint32_t h0, uint32_t h1) {
    return (uint64_t)(h0 & 0xFFFF) | (uint64_t)(h1 & 0xFFFF) << 16 | (uint64_t)(h0 >> 16) << 32 | (uint64_t)(h1 >> 16) << 48;
}

static inline AVX512 void load_step(wstep32 *o, const uint8_t *p, int type, layout32 L) {
    const int B = L.bytes;
    o->u0 = nibbles_pair(p + L.qs, p + B + L.qs);
    o->u1 = nibbles_pair(p + 2 * B + L.qs, p + 3 * B + L.qs);
    if (L.qh >= 0) {
        const __m512i sixteen = _mm512_set1_epi8(16);
        o->u0 = _mm512_mask_add_epi8(o->u0, high_bits_pair(load_u32(p + L.qh), load_u32(p + B + L.qh)), o->u0, sixteen);
        o->u1 = _mm512_mask_add_epi8(o->u1, high_bits_pair(load_u32(p + 2 * B + L.qh), load_u32(p + 3 * B + L.qh)), o->u1, sixteen);
    }
    if (type == QK_TYPE_IQ4_NL) {
        const __m512i table = _mm512_broadcast_i32x4(_mm_xor_si128(_mm_loadu_si128((const __m128i *)qk_iq4nl_values),
                                                                   _mm_set1_epi8((char)0x80)));
        o->u0 = _mm512_shuffle_epi8(table, o->u0);
        o->u1 = _mm512_shuffle_epi8(table, o->u1);
    }
    if (L.mins) {   // (d, m) pairs of the four blocks → [d0 m0 d1 m1 d2 m2 d3 m3]
        __m128i dm = _mm_setr_epi32((int)load_u32(p), (int)load_u32(p + B), (int)load_u32(p + 2 * B), (int)load_u32(p + 3 * B));
        __m512 f = _mm512_castps256_ps512(_mm256_cvtph_ps(dm));
        o->ws = _mm512_permutexvar_ps(_mm512_loadu_si512(even_lanes), f);
        o->wm = _mm512_permutexvar_ps(_mm512_loadu_si512(odd_lanes), f);
    } else {
        uint16_t h[4];
        for (int j = 0; j < 4; j++) memcpy(&h[j], p + j * B, 2);
        uint64_t packed = (uint64_t)h[0] | (uint64_t)h[1] << 16 | (uint64_t)h[2] << 32 | (uint64_t)h[3] << 48;
        __m128 d = _mm_cvtph_ps(_mm_cvtsi64_si128((long long)packed));
        o->ws = _mm512_permutexvar_ps(_mm512_loadu_si512(scale_lanes), _mm512_castps128_ps512(d));
        o->wm = _mm512_setzero_ps();
    }
}

// acc += this step's four block sums (exact int32) · d·da, plus m·(da·Σa) for the formats with offsets.
static inline AVX512 __m512 apply_step(__m512 acc, const wstep32 *w, const step32 *st, int mins) {
    __m512i d0 = _mm512_dpbusd_epi32(st->c0, w->u0, st->a0), d1 = _mm512_dpbusd_epi32(st->c1, w->u1, st->a1);
    __m512i s = _mm512_add_epi32(_mm512_shuffle_i64x2(d0, d1, _MM_SHUFFLE(1, 0, 1, 0)),
                                 _mm512_shuffle_i64x2(d0, d1, _MM_SHUFFLE(3, 2, 3, 2)));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(w->ws, st->as), acc);
    return mins ? _mm512_fmadd_ps(w->wm, st->sa, acc) : acc;
}

// Step k of a row: straight from the row, or (the last, partial one) from a zero-padded copy.
static inline AVX512 void row_step(wstep32 *o, const uint8_t *row, size_t k, size_t nb, int type, layout32 L) {
    size_t b = 4 * k;
    if (b + 4 <= nb) { load_step(o, row + b * L.bytes, type, L); return; }
    uint8_t pad[4 * 24] = {0};
    memcpy(pad, row + b * L.bytes, (nb - b) * L.bytes);
    load_step(o, pad, type, L);
}

AVX512 void qk_matvec_blocks32_avx512(float *y, const void *w, int type, size_t rows, size_t rb, const int8_t *aq,
                                      const float *ad, const int32_t *corr, size_t nb) {
    const layout32 L = layout_of(type);
    size_t steps = (nb + 3) / 4;
    step32 *st = prepare(aq, ad, corr, nb, L.offset);
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + r * rb;
        if (!st) { y[r] = qk_dot_blocks32_scalar(row, type, aq, ad, corr, nb); continue; }
        __m512 acc = _mm512_setzero_ps();
        wstep32 ws;
        for (size_t k = 0; k < steps; k++) {
            row_step(&ws, row, k, nb, type, L);
            acc = apply_step(acc, &ws, &st[k], L.mins);
        }
        y[r] = _mm512_reduce_add_ps(acc);
    }
    free(st);
}

// Several activations against the same rows: each step of a row is loaded and unpacked once, then
// meets every activation through apply_step, so each result is bit-identical to the matvec above.
AVX512 void qk_matvec_multi_blocks32_avx512(float *const *ys, const void *w, int type, size_t rows, size_t rb,
                                            const int8_t *const *aq, const float *const *ad, const int32_t *const *corr,
                                            size_t nb, size_t count) {
    const layout32 L = layout_of(type);
    size_t steps = (nb + 3) / 4;
    step32 *st[QK_MULTI] = {0};
    int ok = 1;
    for (size_t s = 0; s < count; s++) ok &= (st[s] = prepare(aq[s], ad[s], corr[s], nb, L.offset)) != NULL;
    for (size_t r = 0; r < rows; r++) {
        const uint8_t *row = (const uint8_t *)w + r * rb;
        if (!ok) {
            for (size_t s = 0; s < count; s++) ys[s][r] = qk_dot_blocks32_scalar(row, type, aq[s], ad[s], corr[s], nb);
            continue;
        }
        __m512 acc[QK_MULTI];
        for (size_t s = 0; s < count; s++) acc[s] = _mm512_setzero_ps();
        wstep32 ws;
        for (size_t k = 0; k < steps; k++) {
            row_step(&ws, row, k, nb, type, L);
            for (size_t s = 0; s < count; s++) acc[s] = apply_step(acc[s], &ws, &st[s][k], L.mins);
        }
        for (size_t s = 0; s < count; s++) ys[s][r] = _mm512_reduce_add_ps(acc[s]);
    }
    for (size_t s = 0; s < count; s++) free(st[s]);
}
#endif
