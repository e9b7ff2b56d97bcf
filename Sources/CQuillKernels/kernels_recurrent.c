// Pointwise steps of the RNN / LSTM / GRU sequence ops (see include/QuillRecurrent.h), with the
// branch-free exp of qk_math.h so the loops vectorise. Equations as torch.nn.RNN / LSTM / GRU.
#include "QuillRecurrent.h"
#include "qk_math.h"

static inline float qk_sigmoid(float x) { return 1.0f / (1.0f + qk_expf(-x)); }

QK_CLONES void qk_tanh_forward(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = qk_tanhf(x[i]);
}

QK_CLONES void qk_tanh_backward(float *dx, const float *y, const float *dy, const float *dy2, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float d = (dy ? dy[i] : 0.0f) + (dy2 ? dy2[i] : 0.0f);
        dx[i] = d * (1.0f - y[i] * y[i]);
    }
}

QK_CLONES void qk_lstm_step_forward(float *gates, float *c, float *tanh_c, float *h, const float *c_prev,
                                    size_t rows, size_t H) {
    for (size_t r = 0; r < rows; r++) {
        float *gi = gates + r * 4 * H, *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
        const float *cp = c_prev + r * H;
        float *cr = c + r * H, *tr = tanh_c + r * H, *hr = h + r * H;
        for (size_t j = 0; j < H; j++) {
            float i = qk_sigmoid(gi[j]), f = qk_sigmoid(gf[j]), g = qk_tanhf(gg[j]), o = qk_sigmoid(go[j]);
            float cn = f * cp[j] + i * g, t = qk_tanhf(cn);
            gi[j] = i; gf[j] = f; gg[j] = g; go[j] = o;
            cr[j] = cn; tr[j] = t; hr[j] = o * t;
        }
    }
}

QK_CLONES void qk_lstm_step_backward(float *dgates, float *dc, const float *dy, const float *dh_next,
                                     const float *gates, const float *c_prev, const float *tanh_c,
                                     size_t rows, size_t H) {
    for (size_t r = 0; r < rows; r++) {
        const float *gi = gates + r * 4 * H, *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
        const float *cp = c_prev + r * H, *tr = tanh_c + r * H;
        const float *dyr = dy ? dy + r * H : 0, *dnr = dh_next ? dh_next + r * H : 0;
        float *di = dgates + r * 4 * H, *df = di + H, *dg = di + 2 * H, *dout = di + 3 * H;
        float *dcr = dc + r * H;
        for (size_t j = 0; j < H; j++) {
            float dh = (dyr ? dyr[j] : 0.0f) + (dnr ? dnr[j] : 0.0f);
            float i = gi[j], f = gf[j], g = gg[j], o = go[j], t = tr[j];
            float dct = dcr[j] + dh * o * (1.0f - t * t);
            dout[j] = dh * t * o * (1.0f - o);
            di[j] = dct * g * i * (1.0f - i);
            df[j] = dct * cp[j] * f * (1.0f - f);
            dg[j] = dct * i * (1.0f - g * g);
            dcr[j] = dct * f;
        }
    }
}

QK_CLONES void qk_gru_step_forward(float *gates, float *hn, float *h, const float *hp, const float *h_prev,
                                   size_t rows, size_t H) {
    for (size_t r = 0; r < rows; r++) {
        float *gr = gates + r * 3 * H, *gz = gr + H, *gn = gr + 2 * H;
        const float *pr = hp + r * 3 * H, *pz = pr + H, *pn = pr + 2 * H;
        const float *hpr = h_prev + r * H;
        float *hnr = hn + r * H, *hr = h + r * H;
        for (size_t j = 0; j < H; j++) {
            float rg = qk_sigmoid(gr[j] + pr[j]), z = qk_sigmoid(gz[j] + pz[j]);
            float n = qk_tanhf(gn[j] + rg * pn[j]);
            gr[j] = rg; gz[j] = z; gn[j] = n;
            hnr[j] = pn[j];
            hr[j] = (1.0f - z) * n + z * hpr[j];
        }
    }
}

QK_CLONES void qk_gru_step_backward(float *dxp, float *dhp, float *dh_prev, const float *dy, const float *dh_next,
                                    const float *gates, const float *hn, const float *h_prev, size_t rows, size_t H) {
    for (size_t r = 0; r < rows; r++) {
        const float *gr = gates + r * 3 * H, *gz = gr + H, *gn = gr + 2 * H;
        const float *hnr = hn + r * H, *hpr = h_prev + r * H;
        const float *dyr = dy ? dy + r * H : 0, *dnr = dh_next ? dh_next + r * H : 0;
        float *xr = dxp + r * 3 * H, *xz = xr + H, *xn = xr + 2 * H;
        float *pr = dhp + r * 3 * H, *pz = pr + H, *pn = pr + 2 * H;
        float *dpr = dh_prev + r * H;
        for (size_t j = 0; j < H; j++) {
            float dh = (dyr ? dyr[j] : 0.0f) + (dnr ? dnr[j] : 0.0f);
            float rg = gr[j], z = gz[j], n = gn[j];
            float dan = dh * (1.0f - z) * (1.0f - n * n);        // through n = tanh(a_n)
            float dar = dan * hnr[j] * rg * (1.0f - rg);         // a_n = x_n + r·hn
            float daz = dh * (hpr[j] - n) * z * (1.0f - z);
            xr[j] = dar; xz[j] = daz; xn[j] = dan;
            pr[j] = dar; pz[j] = daz; pn[j] = dan * rg;
            dpr[j] = dh * z;
        }
    }
}
