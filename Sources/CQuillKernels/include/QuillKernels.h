// Hand-written float kernels for the loops BLAS has no routine for: layer norm, GELU, causal
// attention per (batch, head), fused softmax + cross-entropy, AdamW. Shapes follow llm.c's legend:
// B batch, T time, C channels, V vocabulary, NH heads, hs head size. All arrays are row-major.
// On x86-64 Linux each kernel is compiled for AVX-512, AVX2 and the baseline and picked at load time.
#ifndef QUILL_KERNELS_H
#define QUILL_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// out, mean, rstd for N rows of C: out = (x - mean) * rstd * w + b.
void qk_layernorm_forward(float *out, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, size_t N, size_t C, float eps);
/// Accumulates dx (N,C) and dw, db (C) for N rows, given the forward's mean and rstd.
void qk_layernorm_backward(float *dx, float *dw, float *db, const float *dout, const float *x,
                           const float *w, const float *mean, const float *rstd, size_t N, size_t C);

/// GELU, tanh form (GPT-2's gelu_new): out[i] = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
void qk_gelu_forward(float *out, const float *x, size_t n);
/// dx[i] += dout[i] * gelu'(x[i]).
void qk_gelu_backward(float *dx, const float *x, const float *dout, size_t n);

/// Causal attention for one (batch, head) pair. qkv: (T, 3C) rows of [q | k | v]; head h uses
/// columns h*hs ..< (h+1)*hs of each part. out: (T, C) rows (only head h's columns written).
/// att: (T, T) softmax probabilities (upper triangle zeroed), saved for the backward pass.
/// scratch must hold hs * T floats.
void qk_attention_forward(float *out, float *att, const float *qkv, size_t T, size_t C, size_t hs,
                          size_t h, float *scratch);
/// Backward of qk_attention_forward for the same (batch, head): accumulates into head h's columns
/// of dqkv (T, 3C). scratch must hold (hs + 1) * T floats.
void qk_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *att,
                           size_t T, size_t C, size_t hs, size_t h, float *scratch);

/// Rows of causal attention scores → probabilities in place: row t of the (rows, T) block starting
/// at absolute row t0 keeps columns 0...t0+t (softmax) and zeroes the rest.
void qk_causal_softmax_rows(float *att, size_t T, size_t t0, size_t rows);
/// Softmax backward for the same rows, in place on dP: dS = P ⊙ (dP − Σ P·dP) · scale, zero above
/// the diagonal.
void qk_causal_softmax_backward_rows(float *dp, const float *att, size_t T, size_t t0, size_t rows,
                                     float scale);

/// Inference attention of n new queries against a KV cache, for one head. q: row i at q + i*ldq;
/// keys/values: row t at k + t*ldkv (already offset to this head's columns); query i sits at
/// absolute position pos0 + i and sees positions 0...pos0+i. out: row i at out + i*ldo.
/// scratch must hold pos0 + n floats.
void qk_attention_cached(float *out, size_t ldo, const float *q, size_t ldq, const float *k,
                         const float *v, size_t ldkv, size_t n, size_t pos0, size_t hs,
                         float *scratch);

/// Fused softmax + cross-entropy over N rows of V logits. losses[i] = logsumexp(row) - row[target];
/// rows whose target is negative are ignored (loss 0).
void qk_cross_entropy_forward(float *losses, const float *logits, const int32_t *targets, size_t N,
                              size_t V);
/// dlogits[i] = (softmax(row) - onehot(target)) * scale, written (not accumulated) for N rows;
/// ignored rows get zeros.
void qk_cross_entropy_backward(float *dlogits, const float *logits, const int32_t *targets,
                               size_t N, size_t V, float scale);

/// Softmax of one row in place (used by sampling and inference attention).
void qk_softmax_inplace(float *x, size_t n);

/// One AdamW step over n parameters (decoupled weight decay, as Loshchilov & Hutter).
void qk_adamw_update(float *param, const float *grad, float *m, float *v, size_t n, float lr,
                     float beta1, float beta2, float eps, float weight_decay, float bias_correction1,
                     float bias_correction2);

/// y[i] += x[i]
void qk_add_inplace(float *y, const float *x, size_t n);
/// out[i] = a[i] + b[i]
void qk_add(float *out, const float *a, const float *b, size_t n);
/// Sum of squares (accumulated in double for a stable global gradient norm).
double qk_sum_squares(const float *x, size_t n);
/// x[i] *= s
void qk_scale(float *x, float s, size_t n);
/// Dot product of two float vectors.
float qk_dot(const float *a, const float *b, size_t n);

#endif
