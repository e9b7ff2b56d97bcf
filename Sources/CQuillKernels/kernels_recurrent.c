// Pointwise steps of the RNN / LSTM / GRU sequence ops (see include/QuillRecurrent.h), with the
// branch-free exp of qk_math.h so the loops vectorise. Equations as torch.nn.RNN / LSTM / GRU.
// Each row goes through a helper whose pointers are `restrict`: the gate blocks of one row are
// disjoint, and without the promise the compiler checks whole-batch ranges, finds them
// overlapping and falls back to scalar code (8× slower).
#include "QuillRecurrent.h"
#include "qk_math.h"

/// Hidden units per block of the backward steps (dh = dy + dh_next is summed into a stack buffer).
#define QK_RECURRENT_BLOCK 256
#define QK_MIN(a, b) ((a) < (b) ? (a) : (b))

static inline float qk_sigmoid(float x) { return 1.0f / (1.0f + qk_expf(-x)); }

/// dh = dy + dh_next over n units, either side possibly absent.
static inline void sum_gradients(float *restrict dh, const float *restrict dy, const float *restrict dh_next, size_t n) {
    for (size_t j = 0; j < n; j++) dh[j] = (dy ? dy[j] : 0.0f) + (dh_next ? dh_next[j] : 0.0f);
}

QK_CLONES void qk_rnn_step_forward(float *h, const float *pre, size_t rows, size_t H, size_t j0, size_t j1) {
    for (size_t r = 0; r < rows; r++) {
        float *restrict y = h + r * H;
        const float *restrict x = pre + r * H;
        for (size_t j = j0; j < j1; j++) y[j] = qk_tanhf(x[j]);
    }
}

QK_CLONES void qk_rnn_step_backward(float *dpre, const float *h, const float *dy, const float *dh_next,
                                    size_t rows, size_t H, size_t j0, size_t j1) {
    float dh[QK_RECURRENT_BLOCK];
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = j0; j < j1; j += QK_RECURRENT_BLOCK) {
            size_t n = QK_MIN(j1 - j, QK_RECURRENT_BLOCK), o = r * H + j;
            sum_gradients(dh, dy ? dy + o : 0, dh_next ? dh_next + o : 0, n);
            float *restrict d = dpre + o;
            const float *restrict y = h + o;
            for (size_t k = 0; k < n; k++) d[k] = dh[k] * (1.0f - y[k] * y[k]);
        }
    }
}

static inline __attribute__((always_inline))
void lstm_row_forward(float *restrict gi, float *restrict gf, float *restrict gg, float *restrict go,
                      float *restrict c, float *restrict tanh_c, float *restrict h, const float *restrict c_prev, size_t n) {
    for (size_t j = 0; j < n; j++) {
        float i = qk_sigmoid(gi[j]), f = qk_sigmoid(gf[j]), g = qk_tanhf(gg[j]), o = qk_sigmoid(go[j]);
        float cn = f * c_prev[j] + i * g, t = qk_tanhf(cn);
        gi[j] = i; gf[j] = f; gg[j] = g; go[j] = o;
        c[j] = cn; tanh_c[j] = t; h[j] = o * t;
    }
}

QK_CLONES void qk_lstm_step_forward(float *gates, float *c, float *tanh_c, float *h, const float *c_prev,
                                    size_t rows, size_t H, size_t j0, size_t j1) {
    for (size_t r = 0; r < rows; r++) {
        float *g = gates + r * 4 * H + j0;
        size_t o = r * H + j0;
        lstm_row_forward(g, g + H, g + 2 * H, g + 3 * H, c + o, tanh_c + o, h + o, c_prev + o, j1 - j0);
    }
}

static inline __attribute__((always_inline))
void lstm_row_backward(float *restrict di, float *restrict df, float *restrict dg, float *restrict d_o,
                       float *restrict dc, const float *restrict dh, const float *restrict gi, const float *restrict gf,
                       const float *restrict gg, const float *restrict go, const float *restrict c_prev,
                       const float *restrict tanh_c, size_t n) {
    for (size_t j = 0; j < n; j++) {
        float i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tanh_c[j];
        float dct = dc[j] + dh[j] * o * (1.0f - t * t);
        d_o[j] = dh[j] * t * o * (1.0f - o);
        di[j] = dct * g * i * (1.0f - i);
        df[j] = dct * c_prev[j] * f * (1.0f - f);
        dg[j] = dct * i * (1.0f - g * g);
        dc[j] = dct * f;
    }
}

QK_CLONES void qk_lstm_step_backward(float *dgates, float *dc, const float *dy, const float *dh_next,
                                     const float *gates, const float *c_prev, const float *tanh_c,
                                     size_t rows, size_t H, size_t j0, size_t j1) {
    float dh[QK_RECURRENT_BLOCK];
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = j0; j < j1; j += QK_RECURRENT_BLOCK) {
            size_t n = QK_MIN(j1 - j, QK_RECURRENT_BLOCK), o = r * H + j;
            sum_gradients(dh, dy ? dy + o : 0, dh_next ? dh_next + o : 0, n);
            float *d = dgates + r * 4 * H + j;
            const float *g = gates + r * 4 * H + j;
            lstm_row_backward(d, d + H, d + 2 * H, d + 3 * H, dc + o, dh, g, g + H, g + 2 * H, g + 3 * H,
                              c_prev + o, tanh_c + o, n);
        }
    }
}

static inline __attribute__((always_inline))
void gru_row_forward(float *restrict gr, float *restrict gz, float *restrict gn, float *restrict hn, float *restrict h,
                     const float *restrict pr, const float *restrict pz, const float *restrict pn,
                     const float *restrict bias_n, const float *restrict h_prev, size_t n) {
    for (size_t j = 0; j < n; j++) {
        float r = qk_sigmoid(gr[j] + pr[j]), z = qk_sigmoid(gz[j] + pz[j]);
        float hnj = pn[j] + (bias_n ? bias_n[j] : 0.0f);
        float nn = qk_tanhf(gn[j] + r * hnj);
        gr[j] = r; gz[j] = z; gn[j] = nn;
        hn[j] = hnj;
        h[j] = (1.0f - z) * nn + z * h_prev[j];
    }
}

QK_CLONES void qk_gru_step_forward(float *gates, float *hn, float *h, const float *hp, const float *bias_n,
                                   const float *h_prev, size_t rows, size_t H, size_t j0, size_t j1) {
    for (size_t r = 0; r < rows; r++) {
        float *g = gates + r * 3 * H + j0;
        const float *p = hp + r * 3 * H + j0;
        size_t o = r * H + j0;
        gru_row_forward(g, g + H, g + 2 * H, hn + o, h + o, p, p + H, p + 2 * H, bias_n ? bias_n + j0 : 0,
                        h_prev + o, j1 - j0);
    }
}

static inline __attribute__((always_inline))
void gru_row_backward(float *restrict xr, float *restrict xz, float *restrict xn, float *restrict pr,
                      float *restrict pz, float *restrict pn, float *restrict dh_direct, const float *restrict dh,
                      const float *restrict gr, const float *restrict gz, const float *restrict gn,
                      const float *restrict hn, const float *restrict h_prev, size_t n) {
    for (size_t j = 0; j < n; j++) {
        float r = gr[j], z = gz[j], nn = gn[j];
        float dan = dh[j] * (1.0f - z) * (1.0f - nn * nn);     // through n = tanh(a_n)
        float dar = dan * hn[j] * r * (1.0f - r);              // a_n = x_n + r·hn
        float daz = dh[j] * (h_prev[j] - nn) * z * (1.0f - z);
        xr[j] = dar; xz[j] = daz; xn[j] = dan;
        pr[j] = dar; pz[j] = daz; pn[j] = dan * r;
        dh_direct[j] = dh[j] * z;
    }
}

QK_CLONES void qk_gru_step_backward(float *dxp, float *dhp, float *dh_direct, const float *dy, const float *dh_next,
                                    const float *gates, const float *hn, const float *h_prev,
                                    size_t rows, size_t H, size_t j0, size_t j1) {
    float dh[QK_RECURRENT_BLOCK];
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = j0; j < j1; j += QK_RECURRENT_BLOCK) {
            size_t n = QK_MIN(j1 - j, QK_RECURRENT_BLOCK), o = r * H + j;
            sum_gradients(dh, dy ? dy + o : 0, dh_next ? dh_next + o : 0, n);
            float *x = dxp + r * 3 * H + j, *p = dhp + r * 3 * H + j;
            const float *g = gates + r * 3 * H + j;
            gru_row_backward(x, x + H, x + 2 * H, p, p + H, p + 2 * H, dh_direct + o, dh, g, g + H, g + 2 * H,
                             hn + o, h_prev + o, n);
        }
    }
}
