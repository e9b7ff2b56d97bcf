// Float kernels for layer norm, GELU, causal attention, softmax + cross-entropy and AdamW.
// The math follows GPT-2 / llm.c's forward-backward pairs; the code is written for Quill with
// vectorisable inner loops (a polynomial exp, reassociation allowed only inside reductions).
#include "QuillKernels.h"
#include "qk_math.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

QK_CLONES float qk_dot(const float *a, const float *b, size_t n) {
#pragma clang fp reassociate(on)
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

QK_CLONES void qk_layernorm_forward(float *out, float *mean, float *rstd, const float *x,
                                    const float *w, const float *b, size_t N, size_t C, float eps) {
    for (size_t i = 0; i < N; i++) {
        const float *row = x + i * C;
        float s = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < C; j++) s += row[j];
        }
        float m = s / (float)C;
        float v = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < C; j++) { float d = row[j] - m; v += d * d; }
        }
        float r = 1.0f / sqrtf(v / (float)C + eps);
        float *o = out + i * C;
        for (size_t j = 0; j < C; j++) o[j] = (row[j] - m) * r * w[j] + b[j];
        mean[i] = m;
        rstd[i] = r;
    }
}

QK_CLONES void qk_layernorm_backward(float *dx, float *dw, float *db, const float *dout,
                                     const float *x, const float *w, const float *mean,
                                     const float *rstd, size_t N, size_t C) {
    for (size_t i = 0; i < N; i++) {
        const float *dy = dout + i * C, *row = x + i * C;
        float m = mean[i], r = rstd[i];
        // dnorm = dy * w; dx = r * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat))
        float sum_dnorm = 0.0f, sum_dnorm_xhat = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < C; j++) {
                float xhat = (row[j] - m) * r;
                float dn = dy[j] * w[j];
                sum_dnorm += dn;
                sum_dnorm_xhat += dn * xhat;
            }
        }
        float mean_dnorm = sum_dnorm / (float)C, mean_dnorm_xhat = sum_dnorm_xhat / (float)C;
        float *dxi = dx + i * C;
        for (size_t j = 0; j < C; j++) {
            float xhat = (row[j] - m) * r;
            float dn = dy[j] * w[j];
            dw[j] += dy[j] * xhat;
            db[j] += dy[j];
            dxi[j] += r * (dn - mean_dnorm - xhat * mean_dnorm_xhat);
        }
    }
}

#define QK_GELU_K 0.7978845608028654f  // sqrt(2 / pi)

QK_CLONES void qk_gelu_forward(float *out, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float u = QK_GELU_K * (v + 0.044715f * v * v * v);
        out[i] = 0.5f * v * (1.0f + qk_tanhf(u));
    }
}

QK_CLONES void qk_gelu_backward(float *dx, const float *x, const float *dout, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float u = QK_GELU_K * (v + 0.044715f * v * v * v);
        float t = qk_tanhf(u);
        float sech2 = 1.0f - t * t;
        float grad = 0.5f * (1.0f + t) + 0.5f * v * sech2 * QK_GELU_K * (1.0f + 3.0f * 0.044715f * v * v);
        dx[i] += grad * dout[i];
    }
}

// The attention kernels keep every inner loop contiguous so it vectorises without horizontal
// reductions: K and V are first transposed into scratch (hs, T), scores for query t are then
// accumulated over the head dimension as axpy rows across t2, and weighted sums are axpys over hs.
static void qk_gather_transposed(float *dst, const float *src, size_t T, size_t ld, size_t hs) {
    for (size_t t = 0; t < T; t++) {
        const float *row = src + t * ld;
        for (size_t i = 0; i < hs; i++) dst[i * T + t] = row[i];
    }
}

QK_CLONES void qk_attention_forward(float *out, float *att, const float *qkv, size_t T, size_t C,
                                    size_t hs, size_t h, float *scratch) {
    const size_t C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    float *kt = scratch;  // (hs, T)
    qk_gather_transposed(kt, qkv + C + h * hs, T, C3, hs);
    for (size_t t = 0; t < T; t++) {
        const float *q = qkv + t * C3 + h * hs;
        float *a = att + t * T;
        const size_t n = t + 1;
        for (size_t t2 = 0; t2 < n; t2++) a[t2] = 0.0f;
        for (size_t i = 0; i < hs; i++) {
            const float qi = q[i] * scale;
            const float *ki = kt + i * T;
            for (size_t t2 = 0; t2 < n; t2++) a[t2] += qi * ki[t2];
        }
        float maxv = -INFINITY;
        for (size_t t2 = 0; t2 < n; t2++) maxv = a[t2] > maxv ? a[t2] : maxv;
        float sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t t2 = 0; t2 < n; t2++) { float e = qk_expf(a[t2] - maxv); a[t2] = e; sum += e; }
        }
        const float inv = 1.0f / sum;
        for (size_t t2 = 0; t2 < n; t2++) a[t2] *= inv;
        for (size_t t2 = n; t2 < T; t2++) a[t2] = 0.0f;
        float *o = out + t * C + h * hs;
        for (size_t i = 0; i < hs; i++) o[i] = 0.0f;
        for (size_t t2 = 0; t2 < n; t2++) {
            const float *v = qkv + t2 * C3 + 2 * C + h * hs;
            const float p = a[t2];
            for (size_t i = 0; i < hs; i++) o[i] += p * v[i];
        }
    }
}

QK_CLONES void qk_attention_backward(float *dqkv, const float *dout, const float *qkv,
                                     const float *att, size_t T, size_t C, size_t hs, size_t h,
                                     float *scratch) {
    const size_t C3 = 3 * C;
    const float scale = 1.0f / sqrtf((float)hs);
    float *vt = scratch;            // (hs, T)
    float *datt = scratch + hs * T; // (T)
    qk_gather_transposed(vt, qkv + 2 * C + h * hs, T, C3, hs);
    for (size_t t = 0; t < T; t++) {
        const float *a = att + t * T;
        const float *dy = dout + t * C + h * hs;
        const size_t n = t + 1;
        // through the weighted sum: datt[t2] = dy . v[t2]; dv[t2] += a[t2] * dy
        for (size_t t2 = 0; t2 < n; t2++) datt[t2] = 0.0f;
        for (size_t i = 0; i < hs; i++) {
            const float di = dy[i];
            const float *vi = vt + i * T;
            for (size_t t2 = 0; t2 < n; t2++) datt[t2] += di * vi[t2];
        }
        float dot_sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t t2 = 0; t2 < n; t2++) dot_sum += datt[t2] * a[t2];
        }
        const float *q = qkv + t * C3 + h * hs;
        float *dq = dqkv + t * C3 + h * hs;
        for (size_t t2 = 0; t2 < n; t2++) {
            float *dv = dqkv + t2 * C3 + 2 * C + h * hs;
            const float p = a[t2];
            for (size_t i = 0; i < hs; i++) dv[i] += p * dy[i];
            // through the softmax and q.k * scale
            const float dpre = p * (datt[t2] - dot_sum) * scale;
            const float *k = qkv + t2 * C3 + C + h * hs;
            float *dk = dqkv + t2 * C3 + C + h * hs;
            for (size_t i = 0; i < hs; i++) {
                dq[i] += dpre * k[i];
                dk[i] += dpre * q[i];
            }
        }
    }
}

QK_CLONES void qk_causal_softmax_rows(float *att, size_t T, size_t t0, size_t rows) {
    for (size_t r = 0; r < rows; r++) {
        float *a = att + r * T;
        const size_t n = t0 + r + 1;
        float maxv = -INFINITY;
        for (size_t j = 0; j < n; j++) maxv = a[j] > maxv ? a[j] : maxv;
        float sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < n; j++) { float e = qk_expf(a[j] - maxv); a[j] = e; sum += e; }
        }
        const float inv = 1.0f / sum;
        for (size_t j = 0; j < n; j++) a[j] *= inv;
        for (size_t j = n; j < T; j++) a[j] = 0.0f;
    }
}

QK_CLONES void qk_causal_softmax_backward_rows(float *dp, const float *att, size_t T, size_t t0,
                                               size_t rows, float scale) {
    for (size_t r = 0; r < rows; r++) {
        float *d = dp + r * T;
        const float *a = att + r * T;
        const size_t n = t0 + r + 1;
        float dot = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < n; j++) dot += a[j] * d[j];
        }
        for (size_t j = 0; j < n; j++) d[j] = a[j] * (d[j] - dot) * scale;
        for (size_t j = n; j < T; j++) d[j] = 0.0f;
    }
}

QK_CLONES void qk_attention_cached(float *out, size_t ldo, const float *q, size_t ldq,
                                   const float *k, const float *v, size_t ldkv, size_t n,
                                   size_t pos0, size_t hs, float *scratch) {
    const float scale = 1.0f / sqrtf((float)hs);
    for (size_t i = 0; i < n; i++) {
        const float *qi = q + i * ldq;
        size_t len = pos0 + i + 1;
        float maxv = -INFINITY;
        for (size_t t = 0; t < len; t++) {
            float s = qk_dot(qi, k + t * ldkv, hs) * scale;
            scratch[t] = s;
            if (s > maxv) maxv = s;
        }
        float sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t t = 0; t < len; t++) { float e = qk_expf(scratch[t] - maxv); scratch[t] = e; sum += e; }
        }
        float inv = 1.0f / sum;
        float *o = out + i * ldo;
        for (size_t j = 0; j < hs; j++) o[j] = 0.0f;
        for (size_t t = 0; t < len; t++) {
            const float *vt = v + t * ldkv;
            float p = scratch[t] * inv;
            for (size_t j = 0; j < hs; j++) o[j] += p * vt[j];
        }
    }
}

QK_CLONES void qk_cross_entropy_forward(float *losses, const float *logits, const int32_t *targets,
                                        size_t N, size_t V) {
    for (size_t i = 0; i < N; i++) {
        int32_t target = targets[i];
        if (target < 0) { losses[i] = 0.0f; continue; }
        const float *row = logits + i * V;
        float maxv = -INFINITY;
        for (size_t j = 0; j < V; j++) maxv = row[j] > maxv ? row[j] : maxv;
        float sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < V; j++) sum += qk_expf(row[j] - maxv);
        }
        losses[i] = logf(sum) + maxv - row[target];
    }
}

QK_CLONES void qk_cross_entropy_backward(float *dlogits, const float *logits,
                                         const int32_t *targets, size_t N, size_t V, float scale) {
    for (size_t i = 0; i < N; i++) {
        int32_t target = targets[i];
        float *d = dlogits + i * V;
        if (target < 0) { memset(d, 0, V * sizeof(float)); continue; }
        const float *row = logits + i * V;
        float maxv = -INFINITY;
        for (size_t j = 0; j < V; j++) maxv = row[j] > maxv ? row[j] : maxv;
        float sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (size_t j = 0; j < V; j++) { float e = qk_expf(row[j] - maxv); d[j] = e; sum += e; }
        }
        float k = scale / sum;
        for (size_t j = 0; j < V; j++) d[j] *= k;
        d[target] -= scale;
    }
}

QK_CLONES void qk_softmax_inplace(float *x, size_t n) {
    float maxv = -INFINITY;
    for (size_t j = 0; j < n; j++) maxv = x[j] > maxv ? x[j] : maxv;
    float sum = 0.0f;
    {
#pragma clang fp reassociate(on)
        for (size_t j = 0; j < n; j++) { float e = qk_expf(x[j] - maxv); x[j] = e; sum += e; }
    }
    float inv = 1.0f / sum;
    for (size_t j = 0; j < n; j++) x[j] *= inv;
}

QK_CLONES void qk_adamw_update(float *param, const float *grad, float *m, float *v, size_t n,
                               float lr, float beta1, float beta2, float eps, float weight_decay,
                               float bias_correction1, float bias_correction2, float grad_scale) {
    // lr·m̂/(√v̂ + eps) = (lr/bc1)·m / (√v/√bc2 + eps): one sqrt and one divide per element.
    const float step = lr / bias_correction1, inv_sqrt_bc2 = 1.0f / sqrtf(bias_correction2);
    const float decay = lr * weight_decay;
    for (size_t i = 0; i < n; i++) {
        float g = grad[i] * grad_scale;
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] -= step * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps) + decay * param[i];
    }
}

QK_CLONES void qk_add_inplace(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

QK_CLONES void qk_add(float *out, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

QK_CLONES double qk_sum_squares(const float *x, size_t n) {
#pragma clang fp reassociate(on)
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * (double)x[i];
    return s;
}

QK_CLONES void qk_scale(float *x, float s, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] *= s;
}
