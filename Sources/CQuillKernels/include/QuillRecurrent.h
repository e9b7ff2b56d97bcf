// Pointwise steps of the recurrent sequence ops (Tensor+Recurrent*.swift): the gate activations and
// state updates of one time step for `rows` batch rows, forward and backward. The matrix products
// around them go through BLAS; these are the loops BLAS has no routine for. Gate layouts are
// PyTorch's: LSTM (i, f, g, o), GRU (r, z, n), each a block of H columns in a row of G·H.
#ifndef QUILL_RECURRENT_H
#define QUILL_RECURRENT_H
#include <stddef.h>

/// y = tanh(x) over n elements (may be in place).
void qk_tanh_forward(float *y, const float *x, size_t n);

/// dx = (dy [+ dy2]) · (1 − y²) from the output y = tanh(x); dy2 may be NULL, dy may be NULL (zero).
void qk_tanh_backward(float *dx, const float *y, const float *dy, const float *dy2, size_t n);

/// One LSTM step. gates (rows, 4H): pre-activations in, activations (σi, σf, tanh g, σo) out.
/// c = f·c_prev + i·g, tanh_c = tanh(c), h = o·tanh_c, all (rows, H).
void qk_lstm_step_forward(float *gates, float *c, float *tanh_c, float *h, const float *c_prev,
                          size_t rows, size_t H);

/// LSTM step backward. dh = dy + dh_next (either may be NULL: zero). dc (rows, H): in, the gradient
/// reaching c_t from later steps; out, the gradient for c_prev. dgates (rows, 4H): pre-activation
/// gradients, overwritten.
void qk_lstm_step_backward(float *dgates, float *dc, const float *dy, const float *dh_next,
                           const float *gates, const float *c_prev, const float *tanh_c,
                           size_t rows, size_t H);

/// One GRU step. gates (rows, 3H): x·W_ihᵀ + b_ih in, activations (σr, σz, tanh n) out.
/// hp (rows, 3H) = h_prev·W_hhᵀ + b_hh. hn (rows, H) keeps hp's n block (used by backward);
/// h = (1 − z)·n + z·h_prev.
void qk_gru_step_forward(float *gates, float *hn, float *h, const float *hp, const float *h_prev,
                         size_t rows, size_t H);

/// GRU step backward with dh = dy + dh_next (either may be NULL). Writes dxp (rows, 3H), the
/// gradient of x·W_ihᵀ + b_ih; dhp (rows, 3H), the gradient of h_prev·W_hhᵀ + b_hh; and
/// dh_prev (rows, H) = dh·z, the direct part (the caller adds dhp·W_hh).
void qk_gru_step_backward(float *dxp, float *dhp, float *dh_prev, const float *dy, const float *dh_next,
                          const float *gates, const float *hn, const float *h_prev, size_t rows, size_t H);
#endif
