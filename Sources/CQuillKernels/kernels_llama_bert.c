// Kernels for Llama-family and BERT layers: RMSNorm, rotary embeddings (HF rotate_half), SiLU and
// SwiGLU, exact erf GELU, and attention with separate q/k/v (grouped-query heads, causal or
// padding-masked). Forward/backward pairs in llm.c's style; same ISA clones as kernels.c.
#include "QuillKernels.h"
#include "qk_math.h"
#include <math.h>
#include <string.h>

QK_CLONES void qk_rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, size_t N,
                                  size_t C, float eps) {
    for (size_t i = 0; i < N; i++) {
        const float *row = x + i * C;
        float ss = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < C; j++) ss += row[j] * row[j];
        }
        float r = 1.0f / sqrtf(ss / (float)C + eps);
        float *o = out + i * C;
        for (size_t j = 0; j < C; j++) o[j] = row[j] * r * w[j];
        rstd[i] = r;
    }
}

QK_CLONES void qk_rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x,
                                   const float *w, const float *rstd, size_t N, size_t C) {
    for (size_t i = 0; i < N; i++) {
        const float *dy = dout + i * C, *row = x + i * C;
        float r = rstd[i];
        // dnorm = dy * w; dx = r * (dnorm - xhat * mean(dnorm * xhat)), xhat = x * r
        float sum_dnorm_xhat = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < C; j++) sum_dnorm_xhat += dy[j] * w[j] * row[j] * r;
        }
        float mean_dnorm_xhat = sum_dnorm_xhat / (float)C;
        float *dxi = dx + i * C;
        for (size_t j = 0; j < C; j++) {
            float xhat = row[j] * r;
            dw[j] += dy[j] * xhat;
            dxi[j] += r * (dy[j] * w[j] - xhat * mean_dnorm_xhat);
        }
    }
}

QK_CLONES void qk_rope(float *out, const float *x, const float *cosv, const float *sinv, size_t N,
                       size_t heads, size_t hs, float sign, int accumulate) {
    const size_t half = hs / 2, C = heads * hs;
    for (size_t n = 0; n < N; n++) {
        const float *c = cosv + n * half, *s = sinv + n * half;
        for (size_t h = 0; h < heads; h++) {
            const float *xi = x + n * C + h * hs;
            float *o = out + n * C + h * hs;
            for (size_t i = 0; i < half; i++) {
                float x1 = xi[i], x2 = xi[i + half], sn = sign * s[i];
                float y1 = x1 * c[i] - x2 * sn;
                float y2 = x2 * c[i] + x1 * sn;
                if (accumulate) { o[i] += y1; o[i + half] += y2; } else { o[i] = y1; o[i + half] = y2; }
            }
        }
    }
}

static inline float qk_sigmoidf(float x) { return 1.0f / (1.0f + qk_expf(-x)); }

QK_CLONES void qk_silu_forward(float *out, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = x[i] * qk_sigmoidf(x[i]);
}

QK_CLONES void qk_silu_backward(float *dx, const float *x, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float s = qk_sigmoidf(x[i]);
        dx[i] += dout[i] * s * (1.0f + x[i] * (1.0f - s));
    }
}

QK_CLONES void qk_swiglu_forward(float *out, const float *gate, const float *up, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = gate[i] * qk_sigmoidf(gate[i]) * up[i];
}

QK_CLONES void qk_swiglu_backward(float *dgate, float *dup, const float *gate, const float *up,
                                  const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float g = gate[i], s = qk_sigmoidf(g);
        if (dgate) dgate[i] += dout[i] * up[i] * s * (1.0f + g * (1.0f - s));
        if (dup) dup[i] += dout[i] * g * s;
    }
}

#define QK_INV_SQRT2 0.70710678118654752f
#define QK_INV_SQRT_2PI 0.39894228040143268f

QK_CLONES void qk_gelu_erf_forward(float *out, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = 0.5f * x[i] * (1.0f + erff(x[i] * QK_INV_SQRT2));
}

QK_CLONES void qk_gelu_erf_backward(float *dx, const float *x, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float cdf = 0.5f * (1.0f + erff(v * QK_INV_SQRT2));
        float pdf = QK_INV_SQRT_2PI * qk_expf(-0.5f * v * v);
        dx[i] += dout[i] * (cdf + v * pdf);
    }
}

static inline size_t qk_visible(size_t t, size_t valid, int causal) {
    return causal ? (t + 1 < valid ? t + 1 : valid) : valid;
}

QK_CLONES void qk_attention_head_forward(float *out, size_t ldo, float *att, size_t ldatt,
                                         const float *q, size_t ldq, const float *k, const float *v,
                                         size_t ldkv, size_t T, size_t hs, size_t valid, int causal) {
    const float scale = 1.0f / sqrtf((float)hs);
    for (size_t t = 0; t < T; t++) {
        const float *qt = q + t * ldq;
        float *a = att + t * ldatt;
        size_t len = qk_visible(t, valid, causal);
        float maxv = -INFINITY;
        for (size_t t2 = 0; t2 < len; t2++) {
            float s = qk_dot(qt, k + t2 * ldkv, hs) * scale;
            a[t2] = s;
            if (s > maxv) maxv = s;
        }
        float sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t t2 = 0; t2 < len; t2++) { float e = qk_expf(a[t2] - maxv); a[t2] = e; sum += e; }
        }
        float inv = 1.0f / sum;
        for (size_t t2 = 0; t2 < len; t2++) a[t2] *= inv;
        for (size_t t2 = len; t2 < T; t2++) a[t2] = 0.0f;
        float *o = out + t * ldo;
        for (size_t i = 0; i < hs; i++) o[i] = 0.0f;
        for (size_t t2 = 0; t2 < len; t2++) {
            const float *vt = v + t2 * ldkv;
            float p = a[t2];
            for (size_t i = 0; i < hs; i++) o[i] += p * vt[i];
        }
    }
}

QK_CLONES void qk_attention_head_backward(float *dq, float *dk, float *dv, const float *dout,
                                          size_t ldo, const float *q, size_t ldq, const float *k,
                                          const float *v, size_t ldkv, const float *att, size_t T,
                                          size_t hs, size_t valid, int causal, float *scratch) {
    const float scale = 1.0f / sqrtf((float)hs);
    float *datt = scratch;
    for (size_t t = 0; t < T; t++) {
        const float *a = att + t * T, *dy = dout + t * ldo;
        size_t len = qk_visible(t, valid, causal);
        // through the weighted sum: datt[t2] = dy . v[t2]; dv[t2] += a[t2] * dy
        float dot_sum = 0.0f;
        for (size_t t2 = 0; t2 < len; t2++) {
            float d = qk_dot(dy, v + t2 * ldkv, hs);
            datt[t2] = d;
            dot_sum += d * a[t2];
            float p = a[t2], *dvt = dv + t2 * ldkv;
            for (size_t i = 0; i < hs; i++) dvt[i] += p * dy[i];
        }
        // through the softmax (dpre = a * (datt - sum(a * datt))), then the scaled q . k
        const float *qt = q + t * ldq;
        float *dqt = dq + t * ldq;
        for (size_t t2 = 0; t2 < len; t2++) {
            float dpre = a[t2] * (datt[t2] - dot_sum) * scale;
            const float *kt = k + t2 * ldkv;
            float *dkt = dk + t2 * ldkv;
            for (size_t i = 0; i < hs; i++) {
                dqt[i] += dpre * kt[i];
                dkt[i] += dpre * qt[i];
            }
        }
    }
}
