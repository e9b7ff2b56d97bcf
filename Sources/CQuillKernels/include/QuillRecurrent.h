// Pointwise steps of the recurrent sequence ops (Tensor+Recurrent*.swift): the gate activations and
// state updates of one time step, forward and backward, for all `rows` batch rows and the hidden units
// [j0, j1) — a worker owns a block of units and runs its matrix products and these loops in one go.
// Gate layouts are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n), each a block of H columns in a row of
// G·H. Pointers are the step's row 0, column 0; states are (rows, H), gates (rows, G·H).
#ifndef QUILL_RECURRENT_H
#define QUILL_RECURRENT_H
#include <stddef.h>

/// h = tanh(pre) over units [j0, j1) of (rows, H).
void qk_rnn_step_forward(float *h, const float *pre, size_t rows, size_t H, size_t j0, size_t j1);

/// dpre = (dy + dh_next) · (1 − h²) over units [j0, j1); dy or dh_next may be NULL (zero).
void qk_rnn_step_backward(float *dpre, const float *h, const float *dy, const float *dh_next,
                          size_t rows, size_t H, size_t j0, size_t j1);

/// One LSTM step. gates (rows, 4H): pre-activations in, activations (σi, σf, tanh g, σo) out.
/// c = f·c_prev + i·g, tanh_c = tanh(c), h = o·tanh_c, all (rows, H).
void qk_lstm_step_forward(float *gates, float *c, float *tanh_c, float *h, const float *c_prev,
                          size_t rows, size_t H, size_t j0, size_t j1);

/// LSTM step backward. dh = dy + dh_next (either may be NULL: zero). dc (rows, H): in, the gradient
/// reaching c_t from later steps; out, the gradient for c_prev. dgates (rows, 4H): pre-activation
/// gradients, overwritten.
void qk_lstm_step_backward(float *dgates, float *dc, const float *dy, const float *dh_next,
                           const float *gates, const float *c_prev, const float *tanh_c,
                           size_t rows, size_t H, size_t j0, size_t j1);

/// One GRU step. gates (rows, 3H): x·W_ihᵀ + b_ih + (b_hr, b_hz, 0) in, activations (σr, σz, tanh n)
/// out. hp (rows, 3H) = h_prev·W_hhᵀ; bias_n (H) is b_hn (NULL: none). hn (rows, H) keeps
/// hp's n block + b_hn (used by backward); h = (1 − z)·n + z·h_prev.
void qk_gru_step_forward(float *gates, float *hn, float *h, const float *hp, const float *bias_n,
                         const float *h_prev, size_t rows, size_t H, size_t j0, size_t j1);

/// GRU step backward with dh = dy + dh_next (either may be NULL). Writes dxp (rows, 3H), the
/// gradient of x·W_ihᵀ + b_ih; dhp (rows, 3H), the gradient of h_prev·W_hhᵀ + b_hh; and
/// dh_direct (rows, H) = dh·z, the part of dh_prev that skips W_hh (the caller adds dhp·W_hh).
void qk_gru_step_backward(float *dxp, float *dhp, float *dh_direct, const float *dy, const float *dh_next,
                          const float *gates, const float *hn, const float *h_prev,
                          size_t rows, size_t H, size_t j0, size_t j1);

/// Panels of 32 columns of op(W) for qk_recurrent_gemm: op(W) (K, N) is W (N, K) row-major when
/// `transposed` (W_hh for h·W_hhᵀ), else W (K, N) itself (W_hh for dGates·W_hh). `panels` holds
/// ceil(N/32)·K·32 floats; panel p is (K, 32), columns past N zero.
void qk_recurrent_pack(float *panels, const float *w, size_t ldw, int transposed, size_t K, size_t N);

/// C[:, 32p ..< min(N, 32p + 32)] (+)= A (M, K; row stride lda) · op(W) for panels p in [p0, p1);
/// C points at column 0 (row stride ldc). `accumulate` 0 overwrites.
void qk_recurrent_gemm(float *c, size_t ldc, const float *a, size_t lda, const float *panels,
                       size_t M, size_t K, size_t N, size_t p0, size_t p1, int accumulate);
#endif
