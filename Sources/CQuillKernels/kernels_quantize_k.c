// Quantizers for the k-quants, following ggml-quants.c's reference path (quantize_row_q*_K_ref, what
// llama-quantize runs without an importance matrix): per 16- or 32-element sub-block a scale (and min)
// fitted by a small search, then the sub-block scales quantized to 4, 6 or 8 bits against one fp16
// super-block scale, and the elements re-rounded against the stored scales.
#include "QuillKernels.h"
#include "qk_quant.h"
#include <math.h>
#include <string.h>

#define EPS 1e-15f   // ggml's GROUP_MAX_EPS: a group this small is all zero

static inline int nearest(float f) {
    float v = f + 12582912.0f;   // round half to even through the float's mantissa (|f| < 2^22)
    int32_t i;
    memcpy(&i, &v, 4);
    return (i & 0x007FFFFF) - 0x00400000;
}
static inline int clamp(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// Symmetric levels −nmax…nmax−1 (stored + nmax) with weights x², trying 19 scales around
// −nmax / (signed extreme) and keeping the best least-squares fit (ggml's make_qx_quants, rmse_type 1).
static float fit_symmetric(int n, int nmax, const float *x, int8_t *L) {
    float amax = 0.0f, extreme = 0.0f;
    for (int i = 0; i < n; i++)
        if (fabsf(x[i]) > amax) { amax = fabsf(x[i]); extreme = x[i]; }
    if (amax < EPS) { memset(L, 0, (size_t)n); return 0.0f; }
    float iscale = -nmax / extreme, sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; i++) {
        int l = clamp(nearest(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f, best = scale * sumlx;
    for (int is = -9; is <= 9; is++) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / extreme;
        sumlx = suml2 = 0.0f;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearest(iscale * x[i]), -nmax, nmax - 1);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++) L[i] = (int8_t)(nmax + clamp(nearest(iscale * x[i]), -nmax, nmax - 1));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// Q3_K's sub-block fit: levels −nmax…nmax−1, then up to five passes moving single elements to the
// level that improves the weighted fit (ggml's make_q3_quants with do_rmse).
static float fit_q3(int n, int nmax, const float *x, int8_t *L) {
    float amax = 0.0f, extreme = 0.0f;
    for (int i = 0; i < n; i++)
        if (fabsf(x[i]) > amax) { amax = fabsf(x[i]); extreme = x[i]; }
    if (amax < EPS) { memset(L, 0, (size_t)n); return 0.0f; }
    float iscale = -nmax / extreme, sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; i++) {
        int l = clamp(nearest(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)l;
        float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    for (int pass = 0; pass < 5; pass++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            float w = x[i] * x[i], slx = sumlx - w * x[i] * L[i];
            if (!(slx > 0.0f)) continue;
            float sl2 = suml2 - w * L[i] * L[i];
            int l = clamp(nearest(x[i] * sl2 / slx), -nmax, nmax - 1);
            if (l == L[i]) continue;
            slx += w * x[i] * l;
            sl2 += w * l * l;
            if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = (int8_t)l; sumlx = slx; suml2 = sl2;
                changed++;
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Levels 0…nmax with a min: x ≈ scale·l − min (min ≥ 0 returned in *the_min), searching nstep + 1
// inverse scales for the lowest weighted error (|·| when use_mad, else squared; ggml's make_qkx2_quants).
static float fit_with_min(int n, int nmax, const float *x, const float *weights, uint8_t *L, float *the_min,
                          float rmin, float rdelta, int nstep, int use_mad) {
    uint8_t Laux[32];
    float mn = x[0], mx = x[0], sum_w = weights[0], sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < mn) mn = x[i];
        if (x[i] > mx) mx = x[i];
        sum_w += weights[i];
        sum_x += weights[i] * x[i];
    }
    if (mn > 0.0f) mn = 0.0f;
    if (mx == mn) { memset(L, 0, (size_t)n); *the_min = -mn; return 0.0f; }
    float iscale = nmax / (mx - mn), scale = 1.0f / iscale, best_error = 0.0f;
    for (int i = 0; i < n; i++) {
        L[i] = (uint8_t)clamp(nearest(iscale * (x[i] - mn)), 0, nmax);
        float diff = scale * L[i] + mn - x[i];
        best_error += weights[i] * (use_mad ? fabsf(diff) : diff * diff);
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * is + nmax) / (mx - mn);
        float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
        for (int i = 0; i < n; i++) {
            int l = clamp(nearest(iscale * (x[i] - mn)), 0, nmax);
            Laux[i] = (uint8_t)l;
            float w = weights[i];
            sum_l += w * l;
            sum_l2 += w * l * l;
            sum_xl += w * l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (!(D > 0.0f)) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D, this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
        if (this_min > 0.0f) { this_min = 0.0f; this_scale = sum_xl / sum_l2; }
        float err = 0.0f;
        for (int i = 0; i < n; i++) {
            float diff = this_scale * Laux[i] + this_min - x[i];
            err += weights[i] * (use_mad ? fabsf(diff) : diff * diff);
        }
        if (err < best_error) {
            memcpy(L, Laux, (size_t)n);
            best_error = err; scale = this_scale; mn = this_min;
        }
    }
    *the_min = -mn;
    return scale;
}

// Two bits per element in 32-byte groups: byte l of group n/128 holds elements n+l, +32, +64, +96.
static void pack_2bit(uint8_t *qs, const uint8_t *L) {
    for (int n = 0; n < QK_K; n += 128)
        for (int l = 0; l < 32; l++)
            qs[n / 4 + l] = (uint8_t)(L[n + l] | L[n + l + 32] << 2 | L[n + l + 64] << 4 | L[n + l + 96] << 6);
}

static void quantize_q2_K(qk_block_q2_K *y, const float *x) {
    uint8_t L[QK_K];
    float weights[16], mins[16], scales[16], max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 16; j++) {
        for (int l = 0; l < 16; l++) weights[l] = fabsf(x[16 * j + l]);
        scales[j] = fit_with_min(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, 1);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    memset(y->scales, 0, 16);
    y->d = y->dmin = qk_fp32_to_fp16(0.0f);
    if (max_scale > 0.0f) {
        float iscale = 15.0f / max_scale;
        for (int j = 0; j < 16; j++) y->scales[j] = (uint8_t)nearest(iscale * scales[j]);
        y->d = qk_fp32_to_fp16(max_scale / 15.0f);
    }
    if (max_min > 0.0f) {
        float iscale = 15.0f / max_min;
        for (int j = 0; j < 16; j++) y->scales[j] |= (uint8_t)(nearest(iscale * mins[j]) << 4);
        y->dmin = qk_fp32_to_fp16(max_min / 15.0f);
    }
    for (int j = 0; j < 16; j++) {
        float d = qk_fp16_to_fp32(y->d) * (y->scales[j] & 0x0F);
        if (d == 0.0f) continue;
        float dm = qk_fp16_to_fp32(y->dmin) * (y->scales[j] >> 4);
        for (int l = 0; l < 16; l++) L[16 * j + l] = (uint8_t)clamp(nearest((x[16 * j + l] + dm) / d), 0, 3);
    }
    pack_2bit(y->qs, L);
}

static void quantize_q3_K(qk_block_q3_K *y, const float *x) {
    int8_t L[QK_K];
    float scales[16], amax = 0.0f, max_scale = 0.0f;
    for (int j = 0; j < 16; j++) {
        scales[j] = fit_q3(16, 4, x + 16 * j, L + 16 * j);
        if (fabsf(scales[j]) > amax) { amax = fabsf(scales[j]); max_scale = scales[j]; }
    }
    memset(y->scales, 0, 12);
    y->d = qk_fp32_to_fp16(0.0f);
    if (max_scale != 0.0f) {
        float iscale = -32.0f / max_scale;
        for (int j = 0; j < 16; j++) {
            int l = clamp((int8_t)nearest(iscale * scales[j]), -32, 31) + 32;
            if (j < 8) y->scales[j] = (uint8_t)(l & 0x0F);
            else y->scales[j - 8] |= (uint8_t)((l & 0x0F) << 4);
            y->scales[j % 4 + 8] |= (uint8_t)((l >> 4) << (2 * (j / 4)));
        }
        y->d = qk_fp32_to_fp16(1.0f / iscale);
    }
    for (int j = 0; j < 16; j++) {
        int lo = j < 8 ? y->scales[j] & 0x0F : y->scales[j - 8] >> 4;
        int sc = (lo | ((y->scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4) - 32;
        float d = qk_fp16_to_fp32(y->d) * sc;
        if (d == 0.0f) continue;
        for (int l = 0; l < 16; l++) L[16 * j + l] = (int8_t)(clamp(nearest(x[16 * j + l] / d), -4, 3) + 4);
    }
    // The third bit goes to hmask: bit k of hmask[m] for element 32k + m.
    memset(y->hmask, 0, 32);
    uint8_t u[QK_K];
    for (int j = 0; j < QK_K; j++) {
        int v = L[j];
        if (v > 3) { y->hmask[j % 32] |= (uint8_t)(1u << (j / 32)); v -= 4; }
        u[j] = (uint8_t)v;
    }
    pack_2bit(y->qs, u);
}

// Q4_K / Q5_K: eight 32-element sub-blocks, each with a fitted scale and min, both quantized to
// 6 bits against the super-block's d = max scale / 63 and dmin = max min / 63.
static void fit_subblocks_k(const float *x, int nmax, float rmin, int nstep, uint8_t *L, uint8_t scales12[12],
                            uint16_t *dh, uint16_t *dminh) {
    float weights[32], mins[8], scales[8], max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; j++) {
        float sum_x2 = 0.0f;
        for (int l = 0; l < 32; l++) sum_x2 += x[32 * j + l] * x[32 * j + l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; l++) weights[l] = av_x + fabsf(x[32 * j + l]);
        scales[j] = fit_with_min(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep, 0);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f, inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
    for (int j = 0; j < 8; j++) {
        uint8_t ls = (uint8_t)nearest(inv_scale * scales[j]), lm = (uint8_t)nearest(inv_min * mins[j]);
        ls = ls < 63 ? ls : 63;
        lm = lm < 63 ? lm : 63;
        if (j < 4) { scales12[j] = ls; scales12[j + 4] = lm; }
        else {
            scales12[j + 4] = (uint8_t)((ls & 0x0F) | (lm & 0x0F) << 4);
            scales12[j - 4] |= (uint8_t)((ls >> 4) << 6);
            scales12[j] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    *dh = qk_fp32_to_fp16(max_scale / 63.0f);
    *dminh = qk_fp32_to_fp16(max_min / 63.0f);
    // Re-round each element against the stored 6-bit scale and min.
    qk_block_q4_K probe;
    memcpy(probe.scales, scales12, 12);
    probe.d = *dh; probe.dmin = *dminh;
    memset(probe.qs, 0, sizeof probe.qs);
    qk_kblock kb;
    qk_unpack_kblock(&kb, &probe, QK_TYPE_Q4_K);
    for (int j = 0; j < 8; j++) {
        float d = qk_fp16_to_fp32(*dh) * kb.sc[2 * j];
        if (d == 0.0f) continue;
        float dm = qk_fp16_to_fp32(*dminh) * kb.mo[2 * j];
        for (int l = 0; l < 32; l++) L[32 * j + l] = (uint8_t)clamp(nearest((x[32 * j + l] + dm) / d), 0, nmax);
    }
}

static void quantize_q4_K(qk_block_q4_K *y, const float *x) {
    uint8_t L[QK_K];
    memset(y->scales, 0, 12);
    uint16_t d, dmin;
    fit_subblocks_k(x, 15, -1.0f, 20, L, y->scales, &d, &dmin);
    y->d = d; y->dmin = dmin;
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++) y->qs[32 * c + l] = (uint8_t)(L[64 * c + l] | L[64 * c + 32 + l] << 4);
}

static void quantize_q5_K(qk_block_q5_K *y, const float *x) {
    uint8_t L[QK_K];
    memset(y->scales, 0, 12);
    uint16_t d, dmin;
    fit_subblocks_k(x, 31, -0.5f, 15, L, y->scales, &d, &dmin);
    y->d = d; y->dmin = dmin;
    memset(y->qh, 0, 32);
    for (int c = 0; c < 4; c++)
        for (int l = 0; l < 32; l++) {
            int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
            if (lo > 15) { lo -= 16; y->qh[l] |= (uint8_t)(1u << (2 * c)); }
            if (hi > 15) { hi -= 16; y->qh[l] |= (uint8_t)(1u << (2 * c + 1)); }
            y->qs[32 * c + l] = (uint8_t)(lo | hi << 4);
        }
}

static void quantize_q6_K(qk_block_q6_K *y, const float *x) {
    int8_t L[QK_K];
    float scales[16], amax = 0.0f, max_scale = 0.0f;
    for (int j = 0; j < 16; j++) {
        scales[j] = fit_symmetric(16, 32, x + 16 * j, L + 16 * j);
        if (fabsf(scales[j]) > amax) { amax = fabsf(scales[j]); max_scale = scales[j]; }
    }
    if (amax < EPS) { memset(y, 0, sizeof *y); return; }
    float iscale = -128.0f / max_scale;
    y->d = qk_fp32_to_fp16(1.0f / iscale);
    for (int j = 0; j < 16; j++) {
        int v = nearest(iscale * scales[j]);
        y->scales[j] = (int8_t)(v < 127 ? v : 127);
    }
    for (int j = 0; j < 16; j++) {
        float d = qk_fp16_to_fp32(y->d) * y->scales[j];
        if (d == 0.0f) continue;
        for (int l = 0; l < 16; l++) L[16 * j + l] = (int8_t)(clamp(nearest(x[16 * j + l] / d), -32, 31) + 32);
    }
    for (int n = 0; n < 2; n++) {
        const int8_t *q = L + 128 * n;
        uint8_t *ql = y->ql + 64 * n, *qh = y->qh + 32 * n;
        for (int l = 0; l < 32; l++) {
            ql[l] = (uint8_t)((q[l] & 0x0F) | (q[l + 64] & 0x0F) << 4);
            ql[l + 32] = (uint8_t)((q[l + 32] & 0x0F) | (q[l + 96] & 0x0F) << 4);
            qh[l] = (uint8_t)(q[l] >> 4 | (q[l + 32] >> 4) << 2 | (q[l + 64] >> 4) << 4 | (q[l + 96] >> 4) << 6);
        }
    }
}

void qk_quantize_k(void *dst, const float *src, int type, size_t n) {
    size_t bytes = qk_k_block_bytes(type);
    for (size_t b = 0; b < n / QK_K; b++) {
        void *y = (uint8_t *)dst + b * bytes;
        const float *x = src + b * QK_K;
        switch (type) {
        case QK_TYPE_Q2_K: quantize_q2_K(y, x); break;
        case QK_TYPE_Q3_K: quantize_q3_K(y, x); break;
        case QK_TYPE_Q4_K: quantize_q4_K(y, x); break;
        case QK_TYPE_Q5_K: quantize_q5_K(y, x); break;
        case QK_TYPE_Q6_K: quantize_q6_K(y, x); break;
        }
    }
}
