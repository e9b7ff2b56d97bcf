// Weight formats for inference (F32, F16, and GGUF's Q8_0 / Q4_0 blocks, byte-identical to ggml's
// block_q8_0 / block_q4_0) with their matrix-vector kernels. The int8 paths quantize the activation
// per 32-block (float scale, |q| ≤ 127) and take exact int8 dot products: AVX-512 VNNI, AVX2, or a
// portable scalar loop that gives the same integer block sums; only float summation order differs.
#include "QuillKernels.h"
#include "qk_math.h"
#include "qk_quant.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>


static inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float f32_from(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

// IEEE half ↔ float without hardware support (M. Dukhan's FP16 algorithms, also ggml's fallback):
// exact for every half, round-to-nearest-even for float → half.
float qk_fp16_to_fp32(uint16_t h) {
    uint32_t w = (uint32_t)h << 16, sign = w & 0x80000000u, two_w = w + w;
    float normalized = f32_from((two_w >> 4) + (0xE0u << 23)) * 0x1.0p-112f;
    float denormalized = f32_from((two_w >> 17) | (126u << 23)) - 0.5f;
    uint32_t r = sign | (two_w < (1u << 27) ? f32_bits(denormalized) : f32_bits(normalized));
    return f32_from(r);
}

uint16_t qk_fp32_to_fp16(float f) {
    float base = (fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
    uint32_t w = f32_bits(f), shl1_w = w + w, sign = w & 0x80000000u, bias = shl1_w & 0xFF000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = f32_from((bias >> 1) + 0x07800000u) + base;
    uint32_t bits = f32_bits(base);
    uint32_t nonsign = ((bits >> 13) & 0x00007C00u) + (bits & 0x00000FFFu);
    return (uint16_t)((sign >> 16) | (shl1_w > 0xFF000000u ? 0x7E00u : nonsign));
}

size_t qk_block_elements(int type) {
    switch (type) {
    case QK_TYPE_F32: case QK_TYPE_F16: return 1;
    case QK_TYPE_Q8_0: case QK_TYPE_Q4_0: case QK_TYPE_Q4_1: case QK_TYPE_Q5_0: case QK_TYPE_Q5_1: case QK_TYPE_IQ4_NL:
        return QK;
    case QK_TYPE_Q2_K: case QK_TYPE_Q3_K: case QK_TYPE_Q4_K: case QK_TYPE_Q5_K: case QK_TYPE_Q6_K: return QK_K;
    default: return 0;
    }
}

size_t qk_row_bytes(int type, size_t K) {
    switch (type) {
    case QK_TYPE_F32: return K * 4;
    case QK_TYPE_F16: return K * 2;
    case QK_TYPE_Q8_0: return K / QK * sizeof(qk_block_q8_0);
    case QK_TYPE_Q4_0: case QK_TYPE_IQ4_NL: return K / QK * sizeof(qk_block_q4_0);
    case QK_TYPE_Q4_1: return K / QK * sizeof(qk_block_q4_1);
    case QK_TYPE_Q5_0: return K / QK * sizeof(qk_block_q5_0);
    case QK_TYPE_Q5_1: return K / QK * sizeof(qk_block_q5_1);
    default: return qk_is_k_type(type) ? K / QK_K * qk_k_block_bytes(type) : 0;
    }
}

int qk_activation_kind(int type) {
    if (qk_is_k_type(type)) return QK_ACTIVATION_Q8_K;
    return qk_block_elements(type) == QK ? QK_ACTIVATION_BLOCKS32 : QK_ACTIVATION_FLOAT;
}

int qk_quant_best_isa(void) {
#if QK_X86
    static int best = -1;
    if (best < 0) {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("f16c")) best = QK_ISA_AVX512;
        else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                 __builtin_cpu_supports("f16c")) best = QK_ISA_AVX2;
        else best = QK_ISA_SCALAR;
        // QUILL_ISA=scalar|avx2 caps the level, so a machine with AVX-512 can run the AVX2 and scalar
        // paths end to end (tests, CI parity on older CPUs); it never raises it.
        const char *cap = getenv("QUILL_ISA");
        int want = !cap ? best : !strcmp(cap, "scalar") ? QK_ISA_SCALAR : !strcmp(cap, "avx2") ? QK_ISA_AVX2 : best;
        if (want < best) best = want;
    }
    return best;
#else
    return QK_ISA_SCALAR;
#endif
}

static int resolve_isa(int isa) {
    int best = qk_quant_best_isa();
    return (isa < 0 || isa > best) ? best : isa;
}

// ---- Weight quantization (ggml's reference quantizers, bit for bit)

static void quantize_block_q8_0(qk_block_q8_0 *y, const float *x) {
    float amax = 0.0f;
    for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
    float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    y->d = qk_fp32_to_fp16(d);
    for (int j = 0; j < QK; j++) {
        float q = roundf(x[j] * id);
        y->qs[j] = isnan(q) ? 0 : (int8_t)fmaxf(-128.0f, fminf(127.0f, q));
    }
}

static uint8_t nibble(float x, float id) {
    float t = truncf(x * id + 8.5f);
    return isnan(t) ? 0 : (uint8_t)fmaxf(0.0f, fminf(15.0f, t));
}

static void quantize_block_q4_0(qk_block_q4_0 *y, const float *x) {
    float amax = 0.0f, extreme = 0.0f;
    for (int j = 0; j < QK; j++)
        if (amax < fabsf(x[j])) { amax = fabsf(x[j]); extreme = x[j]; }
    float d = extreme / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    y->d = qk_fp32_to_fp16(d);
    for (int j = 0; j < QK / 2; j++) y->qs[j] = nibble(x[j], id) | (uint8_t)(nibble(x[j + QK / 2], id) << 4);
}

void qk_quantize_rows(void *dst, const float *src, int type, size_t rows, size_t K) {
    size_t n = rows * K;
    switch (type) {
    case QK_TYPE_F32: memcpy(dst, src, n * 4); break;
    case QK_TYPE_F16: for (size_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = qk_fp32_to_fp16(src[i]); break;
    case QK_TYPE_Q8_0: for (size_t b = 0; b < n / QK; b++) quantize_block_q8_0((qk_block_q8_0 *)dst + b, src + b * QK); break;
    case QK_TYPE_Q4_0: for (size_t b = 0; b < n / QK; b++) quantize_block_q4_0((qk_block_q4_0 *)dst + b, src + b * QK); break;
    case QK_TYPE_Q4_1: case QK_TYPE_Q5_0: case QK_TYPE_Q5_1: case QK_TYPE_IQ4_NL: qk_quantize_blocks32(dst, src, type, n); break;
    default: if (qk_is_k_type(type)) qk_quantize_k(dst, src, type, n); break;
    }
}

QK_CLONES void qk_dequantize_rows(float *dst, const void *src, int type, size_t rows, size_t K) {
    size_t n = rows * K;
    switch (type) {
    case QK_TYPE_F32: memcpy(dst, src, n * 4); break;
    case QK_TYPE_F16: for (size_t i = 0; i < n; i++) dst[i] = qk_fp16_to_fp32(((const uint16_t *)src)[i]); break;
    case QK_TYPE_Q8_0:
        for (size_t b = 0; b < n / QK; b++) {
            const qk_block_q8_0 *x = (const qk_block_q8_0 *)src + b;
            float d = qk_fp16_to_fp32(x->d);
            for (int j = 0; j < QK; j++) dst[b * QK + j] = (float)x->qs[j] * d;
        }
        break;
    case QK_TYPE_Q4_0:
        for (size_t b = 0; b < n / QK; b++) {
            const qk_block_q4_0 *x = (const qk_block_q4_0 *)src + b;
            float d = qk_fp16_to_fp32(x->d);
            for (int j = 0; j < QK / 2; j++) {
                dst[b * QK + j] = (float)((int)(x->qs[j] & 0x0F) - 8) * d;
                dst[b * QK + j + QK / 2] = (float)((int)(x->qs[j] >> 4) - 8) * d;
            }
        }
        break;
    case QK_TYPE_Q4_1: case QK_TYPE_Q5_0: case QK_TYPE_Q5_1: case QK_TYPE_IQ4_NL: qk_dequantize_blocks32(dst, src, type, n); break;
    default: if (qk_is_k_type(type)) qk_dequantize_k(dst, src, type, n); break;
    }
}

// ---- Activation quantization: d = max|x| / 127, q = rint(x · 127 / max|x|), so |q| ≤ 127 (never
// -128: the unsigned-offset and sign tricks below rely on it). corr holds 8 int32 lanes per block,
// lane 0 = -Σq, for the AVX-512 paths' offset correction. One implementation for every ISA.

QK_CLONES void qk_quantize_activation(int8_t *q, float *d, int32_t *corr, const float *x, size_t K) {
    for (size_t b = 0; b < K / QK; b++) {
        int32_t sum;
        d[b] = qk_quantize_activation_block(q + b * QK, x + b * QK, &sum);
        corr[b * 8] = -sum;
        for (int j = 1; j < 8; j++) corr[b * 8 + j] = 0;
    }
}

// ---- Portable dot products: the reference every SIMD path is tested against.

static float dot_f32_scalar(const float *w, const float *x, size_t K) {
    float s = 0.0f;
    for (size_t i = 0; i < K; i++) s += w[i] * x[i];
    return s;
}

static float dot_f16_scalar(const uint16_t *w, const float *x, size_t K) {
    float s = 0.0f;
    for (size_t i = 0; i < K; i++) s += qk_fp16_to_fp32(w[i]) * x[i];
    return s;
}

static float dot_q8_0_scalar(const void *wv, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb) {
    (void)corr;
    const qk_block_q8_0 *w = wv;
    float s = 0.0f;
    for (size_t b = 0; b < nb; b++) {
        int32_t isum = 0;
        for (int j = 0; j < QK; j++) isum += (int32_t)w[b].qs[j] * aq[b * QK + j];
        s += (qk_fp16_to_fp32(w[b].d) * ad[b]) * (float)isum;
    }
    return s;
}

static float dot_q4_0_scalar(const void *wv, const int8_t *aq, const float *ad, const int32_t *corr, size_t nb) {
    (void)corr;
    const qk_block_q4_0 *w = wv;
    float s = 0.0f;
    for (size_t b = 0; b < nb; b++) {
        int32_t isum = 0;
        for (int j = 0; j < QK / 2; j++) {
            isum += ((int32_t)(w[b].qs[j] & 0x0F) - 8) * aq[b * QK + j];
            isum += ((int32_t)(w[b].qs[j] >> 4) - 8) * aq[b * QK + j + QK / 2];
        }
        s += (qk_fp16_to_fp32(w[b].d) * ad[b]) * (float)isum;
    }
    return s;
}

#if QK_X86
#define QK_DISPATCH(isa, name, args) \
    ((isa) == QK_ISA_AVX512 ? qk_##name##_avx512 args : (isa) == QK_ISA_AVX2 ? qk_##name##_avx2 args : name##_scalar args)
#else
#define QK_DISPATCH(isa, name, args) (name##_scalar args)
#endif

static inline int is_blocks32(int type) {
    return type == QK_TYPE_Q4_1 || type == QK_TYPE_Q5_0 || type == QK_TYPE_Q5_1 || type == QK_TYPE_IQ4_NL;
}

void qk_matvec_rows_many(float *const *ys, const void *w, int type, size_t rows, size_t K, const float *const *xs,
                         const int8_t *const *aq, const float *const *ad, const int32_t *const *corr, size_t count,
                         int isa) {
    isa = resolve_isa(isa);
    size_t rb = qk_row_bytes(type, K), nb = K / QK;
#if QK_X86
    if (isa == QK_ISA_AVX512 && (type == QK_TYPE_Q8_0 || type == QK_TYPE_Q4_0 || is_blocks32(type) || qk_is_k_type(type))) {
        for (size_t s0 = 0; s0 < count; s0 += QK_MULTI) {
            size_t n = count - s0 < QK_MULTI ? count - s0 : QK_MULTI;
            if (type == QK_TYPE_Q8_0) qk_matvec_multi_q8_0_avx512(ys + s0, w, rows, rb, aq + s0, ad + s0, corr + s0, nb, n);
            else if (type == QK_TYPE_Q4_0) qk_matvec_multi_q4_0_avx512(ys + s0, w, rows, rb, aq + s0, ad + s0, corr + s0, nb, n);
            else if (is_blocks32(type)) qk_matvec_multi_blocks32_avx512(ys + s0, w, type, rows, rb, aq + s0, ad + s0, corr + s0, nb, n);
            else qk_matvec_multi_k_avx512(ys + s0, w, type, rows, rb, (const qk_block_q8_K *const *)(aq + s0), K / QK_K, n);
        }
        return;
    }
#endif
    // Other ISAs: tiles of about 64 KB of rows, each applied to every activation while cached.
    size_t tile = (64 << 10) / rb;
    if (tile < 16) tile = 16;
    for (size_t lo = 0; lo < rows; lo += tile) {
        size_t n = rows - lo < tile ? rows - lo : tile;
        for (size_t s = 0; s < count; s++) {
            qk_matvec_rows(ys[s] + lo, (const char *)w + lo * rb, type, n, K, xs[s], aq ? aq[s] : NULL,
                           ad ? ad[s] : NULL, corr ? corr[s] : NULL, isa);
        }
    }
}

void qk_matvec_rows(float *y, const void *w, int type, size_t rows, size_t K, const float *x,
                    const int8_t *aq, const float *ad, const int32_t *corr, int isa) {
    isa = resolve_isa(isa);
    size_t rb = qk_row_bytes(type, K), nb = K / QK;
    const qk_block_q8_K *a8k = (const qk_block_q8_K *)(const void *)aq;
#if QK_X86
    if (isa == QK_ISA_AVX512 && type == QK_TYPE_Q8_0) { qk_matvec_q8_0_avx512(y, w, rows, rb, aq, ad, corr, nb); return; }
    if (isa == QK_ISA_AVX512 && type == QK_TYPE_Q4_0) { qk_matvec_q4_0_avx512(y, w, rows, rb, aq, ad, corr, nb); return; }
    if (isa == QK_ISA_AVX512 && type == QK_TYPE_F32) { qk_matvec_f32_avx512(y, w, rows, K, x); return; }
    if (isa == QK_ISA_AVX512 && is_blocks32(type)) { qk_matvec_blocks32_avx512(y, w, type, rows, rb, aq, ad, corr, nb); return; }
    if (isa == QK_ISA_AVX512 && qk_is_k_type(type)) { qk_matvec_k_avx512(y, w, type, rows, rb, a8k, K / QK_K); return; }
#endif
    for (size_t r = 0; r < rows; r++) {
        const void *row = (const char *)w + r * rb;
        float v = 0.0f;
        switch (type) {
        case QK_TYPE_F32:
            v = QK_DISPATCH(isa, dot_f32, ((const float *)row, x, K));
            break;
        case QK_TYPE_F16:
            v = QK_DISPATCH(isa, dot_f16, ((const uint16_t *)row, x, K));
            break;
        case QK_TYPE_Q8_0:
            v = QK_DISPATCH(isa, dot_q8_0, (row, aq, ad, corr, nb));
            break;
        case QK_TYPE_Q4_0:
            v = QK_DISPATCH(isa, dot_q4_0, (row, aq, ad, corr, nb));
            break;
        default:
#if QK_X86
            if (isa == QK_ISA_AVX2) {
                v = is_blocks32(type) ? qk_dot_blocks32_avx2(row, type, aq, ad, corr, nb) : qk_dot_k_avx2(row, type, a8k, K / QK_K);
                break;
            }
#endif
            v = is_blocks32(type) ? qk_dot_blocks32_scalar(row, type, aq, ad, corr, nb) : qk_dot_k_scalar(row, type, a8k, K / QK_K);
            break;
        }
        y[r] = v;
    }
}
