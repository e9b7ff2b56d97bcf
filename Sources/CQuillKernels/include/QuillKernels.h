// Hand-written float kernels for the loops BLAS has no routine for: layer norm, GELU, causal
// attention per (batch, head), fused softmax + cross-entropy, AdamW. Shapes follow llm.c's legend:
// B batch, T time, C channels, V vocabulary, NH heads, hs head size. All arrays are row-major.
// On x86-64 Linux each kernel is compiled for AVX-512, AVX2 and the baseline and picked at load time.
#ifndef QUILL_KERNELS_H
#define QUILL_KERNELS_H
#include <stddef.h>
#include <stdint.h>
#include "QuillFewRowGemm.h"
#include "QuillThreadPool.h"
#include "QuillKVCache.h"

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

/// One AdamW step over n parameters (decoupled weight decay, as Loshchilov & Hutter). Gradients
/// are multiplied by grad_scale first (global-norm clipping fused into the update).
void qk_adamw_update(float *param, const float *grad, float *m, float *v, size_t n, float lr,
                     float beta1, float beta2, float eps, float weight_decay, float bias_correction1,
                     float bias_correction2, float grad_scale);

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

// ---- Llama-family and BERT kernels (RMSNorm, RoPE, SiLU/SwiGLU, erf GELU, masked/grouped attention)

/// RMSNorm (Zhang & Sennrich 2019) for N rows of C: out = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps).
void qk_rmsnorm_forward(float *out, float *rstd, const float *x, const float *w, size_t N, size_t C,
                        float eps);
/// Accumulates dx (N,C) and dw (C) given the forward's rstd.
void qk_rmsnorm_backward(float *dx, float *dw, const float *dout, const float *x, const float *w,
                         const float *rstd, size_t N, size_t C);

/// Rotary embedding, HF rotate_half convention: within each head of hs floats, the pair
/// (i, i + hs/2) is rotated by the angle whose cosine/sine are cosv/sinv[row * hs/2 + i].
/// x and out are N rows of heads*hs. sign = +1 rotates forward, -1 applies the inverse (backward).
/// accumulate != 0 adds into out instead of overwriting it.
void qk_rope(float *out, const float *x, const float *cosv, const float *sinv, size_t N, size_t heads,
             size_t hs, float sign, int accumulate);

/// SiLU (swish): out = x * sigmoid(x).
void qk_silu_forward(float *out, const float *x, size_t n);
/// dx += dout * silu'(x).
void qk_silu_backward(float *dx, const float *x, const float *dout, size_t n);
/// SwiGLU gate (Shazeer 2020): out = silu(gate) * up.
void qk_swiglu_forward(float *out, const float *gate, const float *up, size_t n);
/// dgate += dout * up * silu'(gate); dup += dout * silu(gate).
void qk_swiglu_backward(float *dgate, float *dup, const float *gate, const float *up,
                        const float *dout, size_t n);

/// Exact GELU (BERT's "gelu"): out = 0.5 x (1 + erf(x / sqrt(2))).
void qk_gelu_erf_forward(float *out, const float *x, size_t n);
/// dx += dout * (Phi(x) + x phi(x)).
void qk_gelu_erf_backward(float *dx, const float *x, const float *dout, size_t n);

/// Attention for one (batch, query head) pair with separate q, k, v matrices (grouped-query
/// attention passes the shared kv head's columns). Rows: q at q + t*ldq, k/v at k + t*ldkv,
/// out at out + t*ldo. Query t sees keys 0 ..< len with len = min(t + 1, valid) when causal,
/// else valid (keys at and after `valid` are padding). Probabilities go to att + t*ldatt: pass
/// ldatt = T to keep the (T, T) matrix for the backward pass, or ldatt = 0 with T floats of scratch.
void qk_attention_head_forward(float *out, size_t ldo, float *att, size_t ldatt, const float *q,
                               size_t ldq, const float *k, const float *v, size_t ldkv, size_t T,
                               size_t hs, size_t valid, int causal);
/// Backward of qk_attention_head_forward (att saved with ldatt = T): accumulates into dq (ldq rows)
/// and dk, dv (ldkv rows). scratch must hold T floats.
void qk_attention_head_backward(float *dq, float *dk, float *dv, const float *dout, size_t ldo,
                                const float *q, size_t ldq, const float *k, const float *v,
                                size_t ldkv, const float *att, size_t T, size_t hs, size_t valid,
                                int causal, float *scratch);

// ---- Inference weight formats and their matrix-vector kernels (kernels_quant*.c)

/// Weight storage types, numbered as ggml's `enum ggml_type`. Q8_K is only an activation format.
enum {
    QK_TYPE_F32 = 0, QK_TYPE_F16 = 1, QK_TYPE_Q4_0 = 2, QK_TYPE_Q4_1 = 3, QK_TYPE_Q5_0 = 6, QK_TYPE_Q5_1 = 7,
    QK_TYPE_Q8_0 = 8, QK_TYPE_Q2_K = 10, QK_TYPE_Q3_K = 11, QK_TYPE_Q4_K = 12, QK_TYPE_Q5_K = 13,
    QK_TYPE_Q6_K = 14, QK_TYPE_Q8_K = 15, QK_TYPE_IQ4_NL = 20
};
/// Kernel instruction sets: QK_ISA_BEST picks the fastest this CPU supports.
enum { QK_ISA_BEST = -1, QK_ISA_SCALAR = 0, QK_ISA_AVX2 = 1, QK_ISA_AVX512 = 2 };
/// How a weight type wants its activation: floats (F32/F16), 32-blocks (qk_quantize_activation), or
/// Q8_K super-blocks (qk_quantize_activation_q8k, for the k-quants Q2_K … Q6_K).
enum { QK_ACTIVATION_FLOAT = 0, QK_ACTIVATION_BLOCKS32 = 1, QK_ACTIVATION_Q8_K = 2 };

/// The best ISA level available on this CPU (AVX-512 needs VNNI, BW, VL and F16C).
int qk_quant_best_isa(void);
/// IEEE half ↔ float (round-to-nearest-even), without needing F16C.
float qk_fp16_to_fp32(uint16_t h);
uint16_t qk_fp32_to_fp16(float f);
/// Elements per block of `type` (1, 32 or 256); 0 for a type the kernels do not know.
size_t qk_block_elements(int type);
/// Bytes per row of K elements (K a multiple of the block size); 0 for an unknown type.
size_t qk_row_bytes(int type, size_t K);
/// QK_ACTIVATION_* for a weight type.
int qk_activation_kind(int type);
/// Encodes rows×K floats as `type` with ggml's reference quantizers (bit for bit; no importance
/// matrix). IQ4_NL uses the scale search llama-quantize runs (quantize_iq4_nl, 7 tries).
void qk_quantize_rows(void *dst, const float *src, int type, size_t rows, size_t K);
/// Decodes rows×K elements of `type` to floats, with the same float operations as ggml's reference
/// dequantizers and gguf-py (no fused multiply-add), so bit-identical to both.
void qk_dequantize_rows(float *dst, const void *src, int type, size_t rows, size_t K);
/// Quantizes an activation of K floats (K a multiple of 32) per 32-block: q (K int8, |q| ≤ 127),
/// d (K/32 float scales), corr (8·K/32 int32: lane 0 of each block = −Σq, others 0).
void qk_quantize_activation(int8_t *q, float *d, int32_t *corr, const float *x, size_t K);
/// Bytes of Q8_K blocks for an activation of K floats (K a multiple of 256).
size_t qk_activation_q8k_bytes(size_t K);
/// Quantizes M rows of K floats to Q8_K blocks (ggml's quantize_row_q8_K_ref, bit for bit, on every
/// isa), row i at blocks + i · qk_activation_q8k_bytes(K).
void qk_quantize_activation_q8k(void *blocks, const float *x, size_t M, size_t K, int isa);
/// y[r] = row r of w · x for r < rows; w holds `rows` rows of K elements of `type`. F32/F16 read x;
/// 32-block formats read the quantized activation (aq, ad, corr); k-quants read the Q8_K blocks
/// passed as aq (ad, corr unused). isa: QK_ISA_* (capped at the best).
void qk_matvec_rows(float *y, const void *w, int type, size_t rows, size_t K, const float *x,
                    const int8_t *aq, const float *ad, const int32_t *corr, int isa);
/// ys[s][r] = row r · xs[s] for count activations (the decode rows of a batch), each weight row read
/// once for all of them; every ys[s] is bit-identical to qk_matvec_rows on xs[s] alone. aq/ad/corr:
/// per-activation data as for qk_matvec_rows (NULL for F32/F16).
void qk_matvec_rows_many(float *const *ys, const void *w, int type, size_t rows, size_t K, const float *const *xs,
                         const int8_t *const *aq, const float *const *ad, const int32_t *const *corr, size_t count,
                         int isa);

// ---- Int8 GEMM for the 32-block formats' prefill (kernels_gemm_q8.c) and the k-quants' (kernels_gemm_k.c)

/// Quantizes M rows of K floats (K a multiple of 32) per 32-block for qk_gemm_q8_rows: q (M·K int8,
/// |q| ≤ 127), d (M·K/32 scales), corr (M·K/32 int32, −128·Σq of each block).
void qk_quantize_activation_rows(int8_t *q, float *d, int32_t *corr, const float *x, size_t M, size_t K);
/// Bytes of scratch one qk_gemm_q8_rows call needs (one repacked strip of weight rows).
size_t qk_gemm_q8_scratch_bytes(size_t K);
/// y[i·ldy + r] = row r of w · activation row i, for r < rows and i < M; w holds rows of a 32-block
/// format (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL). Integer block sums are exact on every ISA; only the
/// float summation (fma vs mul+add) differs.
void qk_gemm_q8_rows(float *y, size_t ldy, const void *w, int type, size_t rows, size_t K,
                     const int8_t *aq, const float *ad, const int32_t *corr, size_t M, void *scratch,
                     int isa);
/// y[i·ldy + r] = row r of w · activation row i for a k-quant w and M activation rows of Q8_K blocks
/// (qk_quantize_activation_q8k); per (row, activation) the same arithmetic as qk_matvec_rows, so each
/// output is bit-identical to the decode kernel's on the same ISA.
void qk_gemm_k_rows(float *y, size_t ldy, const void *w, int type, size_t rows, size_t K, const void *act,
                    size_t M, int isa);

#endif
