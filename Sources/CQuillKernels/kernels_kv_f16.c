// Half-precision KV cache kernels: float rows → IEEE half on the way into the cache, and cached
// attention that widens half keys/values in registers (F16C vcvtph2ps, as the F16 weight kernels of
// kernels_quant_x86.c do) instead of dequantizing the cache. Same math as qk_attention_cached in
// kernels.c: scaled scores, max-subtracted softmax with qk_expf, probability-weighted sum of values.
// Legend: n new queries, pos0 first new position, hs head size, ldkv cache row stride (in halves).
#include "QuillKernels.h"
#include "qk_math.h"
#include "qk_quant.h"

static int kv_isa(int isa) {
    int best = qk_quant_best_isa();
    return (isa < 0 || isa > best) ? best : isa;
}

// Softmax numerator in place over scores[0..len) given their max; returns 1 / Σ.
static inline float kv_softmax_exp(float *scores, size_t len, float maxv) {
    float sum = 0.0f;
    {
#pragma clang fp reassociate(on)
        for (size_t t = 0; t < len; t++) { float e = qk_expf(scores[t] - maxv); scores[t] = e; sum += e; }
    }
    return 1.0f / sum;
}

// ---- Portable reference: the scalar loops every SIMD path is tested against.

static void fp32_to_fp16_rows_scalar(uint16_t *dst, size_t ldd, const float *src, size_t lds,
                                     size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++) dst[r * ldd + j] = qk_fp32_to_fp16(src[r * lds + j]);
}

static void attention_f16_scalar(float *out, size_t ldo, const float *q, size_t ldq, const uint16_t *k,
                                 const uint16_t *v, size_t ldkv, size_t n, size_t pos0, size_t hs,
                                 float *scratch) {
    const float scale = 1.0f / sqrtf((float)hs);
    for (size_t i = 0; i < n; i++) {
        const float *qi = q + i * ldq;
        const size_t len = pos0 + i + 1;
        float maxv = -INFINITY;
        for (size_t t = 0; t < len; t++) {
            float s = 0.0f;
            for (size_t j = 0; j < hs; j++) s += qi[j] * qk_fp16_to_fp32(k[t * ldkv + j]);
            s *= scale;
            scratch[t] = s;
            if (s > maxv) maxv = s;
        }
        const float inv = kv_softmax_exp(scratch, len, maxv);
        float *o = out + i * ldo;
        for (size_t j = 0; j < hs; j++) o[j] = 0.0f;
        for (size_t t = 0; t < len; t++) {
            const float p = scratch[t] * inv;
            for (size_t j = 0; j < hs; j++) o[j] += p * qk_fp16_to_fp32(v[t * ldkv + j]);
        }
    }
}

#if QK_X86
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,f16c,fma")))
#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX512 static void fp32_to_fp16_rows_avx512(uint16_t *dst, size_t ldd, const float *src, size_t lds,
                                            size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        const float *s = src + r * lds;
        uint16_t *d = dst + r * ldd;
        size_t j = 0;
        for (; j + 16 <= cols; j += 16)
            _mm256_storeu_si256((__m256i *)(d + j), _mm512_cvtps_ph(_mm512_loadu_ps(s + j), _MM_FROUND_TO_NEAREST_INT));
        for (; j < cols; j++) d[j] = qk_fp32_to_fp16(s[j]);
    }
}

AVX2 static void fp32_to_fp16_rows_avx2(uint16_t *dst, size_t ldd, const float *src, size_t lds,
                                        size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        const float *s = src + r * lds;
        uint16_t *d = dst + r * ldd;
        size_t j = 0;
        for (; j + 8 <= cols; j += 8)
            _mm_storeu_si128((__m128i *)(d + j), _mm256_cvtps_ph(_mm256_loadu_ps(s + j), _MM_FROUND_TO_NEAREST_INT));
        for (; j < cols; j++) d[j] = qk_fp32_to_fp16(s[j]);
    }
}

// One query against the cache. Scores: 16 halves widened per FMA. Values: the output is built 64
// columns at a time in four registers across all positions (no load/store of `o` per position).
AVX512 static void attend_one_avx512(float *o, const float *qi, const uint16_t *k, const uint16_t *v,
                                     size_t ldkv, size_t len, size_t hs, float scale, float *scratch) {
#define H(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
    float maxv = -INFINITY;
    for (size_t t = 0; t < len; t++) {
        const uint16_t *kt = k + t * ldkv;
        __m512 acc = _mm512_setzero_ps();
        size_t j = 0;
        for (; j + 16 <= hs; j += 16) acc = _mm512_fmadd_ps(H(kt + j), _mm512_loadu_ps(qi + j), acc);
        float s = _mm512_reduce_add_ps(acc);
        for (; j < hs; j++) s += qi[j] * qk_fp16_to_fp32(kt[j]);
        s *= scale;
        scratch[t] = s;
        if (s > maxv) maxv = s;
    }
    const float inv = kv_softmax_exp(scratch, len, maxv);
    size_t j0 = 0;
    for (; j0 + 64 <= hs; j0 += 64) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t t = 0; t < len; t++) {
            const uint16_t *vt = v + t * ldkv + j0;
            const __m512 p = _mm512_set1_ps(scratch[t] * inv);
            a0 = _mm512_fmadd_ps(p, H(vt), a0);
            a1 = _mm512_fmadd_ps(p, H(vt + 16), a1);
            a2 = _mm512_fmadd_ps(p, H(vt + 32), a2);
            a3 = _mm512_fmadd_ps(p, H(vt + 48), a3);
        }
        _mm512_storeu_ps(o + j0, a0); _mm512_storeu_ps(o + j0 + 16, a1);
        _mm512_storeu_ps(o + j0 + 32, a2); _mm512_storeu_ps(o + j0 + 48, a3);
    }
    for (; j0 + 16 <= hs; j0 += 16) {
        __m512 a = _mm512_setzero_ps();
        for (size_t t = 0; t < len; t++) a = _mm512_fmadd_ps(_mm512_set1_ps(scratch[t] * inv), H(v + t * ldkv + j0), a);
        _mm512_storeu_ps(o + j0, a);
    }
    for (size_t j = j0; j < hs; j++) {
        float a = 0.0f;
        for (size_t t = 0; t < len; t++) a += scratch[t] * inv * qk_fp16_to_fp32(v[t * ldkv + j]);
        o[j] = a;
    }
#undef H
}

AVX2 static void attend_one_avx2(float *o, const float *qi, const uint16_t *k, const uint16_t *v,
                                 size_t ldkv, size_t len, size_t hs, float scale, float *scratch) {
#define H(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
    float maxv = -INFINITY;
    for (size_t t = 0; t < len; t++) {
        const uint16_t *kt = k + t * ldkv;
        __m256 acc = _mm256_setzero_ps();
        size_t j = 0;
        for (; j + 8 <= hs; j += 8) acc = _mm256_fmadd_ps(H(kt + j), _mm256_loadu_ps(qi + j), acc);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        float s = _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
        for (; j < hs; j++) s += qi[j] * qk_fp16_to_fp32(kt[j]);
        s *= scale;
        scratch[t] = s;
        if (s > maxv) maxv = s;
    }
    const float inv = kv_softmax_exp(scratch, len, maxv);
    size_t j0 = 0;
    for (; j0 + 32 <= hs; j0 += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t t = 0; t < len; t++) {
            const uint16_t *vt = v + t * ldkv + j0;
            const __m256 p = _mm256_set1_ps(scratch[t] * inv);
            a0 = _mm256_fmadd_ps(p, H(vt), a0);
            a1 = _mm256_fmadd_ps(p, H(vt + 8), a1);
            a2 = _mm256_fmadd_ps(p, H(vt + 16), a2);
            a3 = _mm256_fmadd_ps(p, H(vt + 24), a3);
        }
        _mm256_storeu_ps(o + j0, a0); _mm256_storeu_ps(o + j0 + 8, a1);
        _mm256_storeu_ps(o + j0 + 16, a2); _mm256_storeu_ps(o + j0 + 24, a3);
    }
    for (size_t j = j0; j < hs; j++) {
        float a = 0.0f;
        for (size_t t = 0; t < len; t++) a += scratch[t] * inv * qk_fp16_to_fp32(v[t * ldkv + j]);
        o[j] = a;
    }
#undef H
}
#endif

void qk_fp32_to_fp16_rows(uint16_t *dst, size_t ldd, const float *src, size_t lds, size_t rows,
                          size_t cols, int isa) {
    isa = kv_isa(isa);
#if QK_X86
    if (isa == QK_ISA_AVX512) { fp32_to_fp16_rows_avx512(dst, ldd, src, lds, rows, cols); return; }
    if (isa == QK_ISA_AVX2) { fp32_to_fp16_rows_avx2(dst, ldd, src, lds, rows, cols); return; }
#endif
    fp32_to_fp16_rows_scalar(dst, ldd, src, lds, rows, cols);
}

void qk_attention_cached_f16(float *out, size_t ldo, const float *q, size_t ldq, const uint16_t *k,
                             const uint16_t *v, size_t ldkv, size_t n, size_t pos0, size_t hs,
                             float *scratch, int isa) {
    isa = kv_isa(isa);
#if QK_X86
    if (isa >= QK_ISA_AVX2) {
        const float scale = 1.0f / sqrtf((float)hs);
        for (size_t i = 0; i < n; i++) {
            if (isa == QK_ISA_AVX512)
                attend_one_avx512(out + i * ldo, q + i * ldq, k, v, ldkv, pos0 + i + 1, hs, scale, scratch);
            else
                attend_one_avx2(out + i * ldo, q + i * ldq, k, v, ldkv, pos0 + i + 1, hs, scale, scratch);
        }
        return;
    }
#endif
    attention_f16_scalar(out, ldo, q, ldq, k, v, ldkv, n, pos0, hs, scratch);
}
