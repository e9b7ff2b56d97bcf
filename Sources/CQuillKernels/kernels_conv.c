// im2col / col2im and 2-D pooling for one channels-first image (see include/QuillConv.h). Same
// window arithmetic as PyTorch's CPU kernels: position oh reads rows oh·sh − ph + i·dh, i < kh.
#include <float.h>
#include <string.h>
#include "QuillConv.h"
#include "qk_math.h"

QK_CLONES void qk_im2col(float *cols, const float *x, const qk_window *g) {
    const size_t H = g->height, W = g->width, Ho = g->out_h, Wo = g->out_w;
    for (size_t c = 0; c < g->channels; c++) {
        const float *plane = x + c * H * W;
        for (size_t i = 0; i < g->kernel_h; i++) {
            for (size_t j = 0; j < g->kernel_w; j++) {
                float *row = cols + ((c * g->kernel_h + i) * g->kernel_w + j) * Ho * Wo;
                for (size_t oh = 0; oh < Ho; oh++) {
                    long h = (long)(oh * g->stride_h + i * g->dilation_h) - (long)g->pad_h;
                    float *out = row + oh * Wo;
                    if (h < 0 || h >= (long)H) { memset(out, 0, Wo * sizeof(float)); continue; }
                    const float *src = plane + h * W;
                    for (size_t ow = 0; ow < Wo; ow++) {
                        long w = (long)(ow * g->stride_w + j * g->dilation_w) - (long)g->pad_w;
                        out[ow] = (w >= 0 && w < (long)W) ? src[w] : 0.0f;
                    }
                }
            }
        }
    }
}

QK_CLONES void qk_col2im(float *dx, const float *cols, const qk_window *g) {
    const size_t H = g->height, W = g->width, Ho = g->out_h, Wo = g->out_w;
    for (size_t c = 0; c < g->channels; c++) {
        float *plane = dx + c * H * W;
        for (size_t i = 0; i < g->kernel_h; i++) {
            for (size_t j = 0; j < g->kernel_w; j++) {
                const float *row = cols + ((c * g->kernel_h + i) * g->kernel_w + j) * Ho * Wo;
                for (size_t oh = 0; oh < Ho; oh++) {
                    long h = (long)(oh * g->stride_h + i * g->dilation_h) - (long)g->pad_h;
                    if (h < 0 || h >= (long)H) continue;
                    float *dst = plane + h * W;
                    const float *in = row + oh * Wo;
                    for (size_t ow = 0; ow < Wo; ow++) {
                        long w = (long)(ow * g->stride_w + j * g->dilation_w) - (long)g->pad_w;
                        if (w >= 0 && w < (long)W) dst[w] += in[ow];
                    }
                }
            }
        }
    }
}

void qk_max_pool_forward(float *y, int32_t *argmax, const float *x, const qk_window *g) {
    const size_t H = g->height, W = g->width, Ho = g->out_h, Wo = g->out_w;
    for (size_t c = 0; c < g->channels; c++) {
        const float *plane = x + c * H * W;
        for (size_t oh = 0; oh < Ho; oh++) {
            for (size_t ow = 0; ow < Wo; ow++) {
                float best = -FLT_MAX;
                int32_t at = -1;
                for (size_t i = 0; i < g->kernel_h; i++) {
                    long h = (long)(oh * g->stride_h + i * g->dilation_h) - (long)g->pad_h;
                    if (h < 0 || h >= (long)H) continue;
                    for (size_t j = 0; j < g->kernel_w; j++) {
                        long w = (long)(ow * g->stride_w + j * g->dilation_w) - (long)g->pad_w;
                        if (w < 0 || w >= (long)W) continue;
                        float v = plane[h * W + w];
                        if (at < 0 || v > best || v != v) { best = v; at = (int32_t)(h * W + w); }
                    }
                }
                size_t o = (c * Ho + oh) * Wo + ow;
                y[o] = at < 0 ? 0.0f : best;
                argmax[o] = at;
            }
        }
    }
}

void qk_max_pool_backward(float *dx, const float *dy, const int32_t *argmax, const qk_window *g) {
    const size_t HW = g->height * g->width, HoWo = g->out_h * g->out_w;
    for (size_t c = 0; c < g->channels; c++)
        for (size_t o = 0; o < HoWo; o++) {
            int32_t at = argmax[c * HoWo + o];
            if (at >= 0) dx[c * HW + (size_t)at] += dy[c * HoWo + o];
        }
}

/// The window's divisor: kh·kw with padding counted, else the positions inside the image.
static size_t divisor(const qk_window *g, size_t oh, size_t ow, int count_padding) {
    if (count_padding) return g->kernel_h * g->kernel_w;
    size_t n = 0;
    for (size_t i = 0; i < g->kernel_h; i++) {
        long h = (long)(oh * g->stride_h + i * g->dilation_h) - (long)g->pad_h;
        if (h < 0 || h >= (long)g->height) continue;
        for (size_t j = 0; j < g->kernel_w; j++) {
            long w = (long)(ow * g->stride_w + j * g->dilation_w) - (long)g->pad_w;
            if (w >= 0 && w < (long)g->width) n++;
        }
    }
    return n;
}

void qk_avg_pool_forward(float *y, const float *x, const qk_window *g, int count_padding) {
    const size_t H = g->height, W = g->width, Ho = g->out_h, Wo = g->out_w;
    for (size_t c = 0; c < g->channels; c++) {
        const float *plane = x + c * H * W;
        for (size_t oh = 0; oh < Ho; oh++)
            for (size_t ow = 0; ow < Wo; ow++) {
                float sum = 0.0f;
                for (size_t i = 0; i < g->kernel_h; i++) {
                    long h = (long)(oh * g->stride_h + i * g->dilation_h) - (long)g->pad_h;
                    if (h < 0 || h >= (long)H) continue;
                    for (size_t j = 0; j < g->kernel_w; j++) {
                        long w = (long)(ow * g->stride_w + j * g->dilation_w) - (long)g->pad_w;
                        if (w >= 0 && w < (long)W) sum += plane[h * W + w];
                    }
                }
                size_t n = divisor(g, oh, ow, count_padding);
                y[(c * Ho + oh) * Wo + ow] = n ? sum / (float)n : 0.0f;
            }
    }
}

void qk_avg_pool_backward(float *dx, const float *dy, const qk_window *g, int count_padding) {
    const size_t H = g->height, W = g->width, Ho = g->out_h, Wo = g->out_w;
    for (size_t c = 0; c < g->channels; c++) {
        float *plane = dx + c * H * W;
        for (size_t oh = 0; oh < Ho; oh++)
            for (size_t ow = 0; ow < Wo; ow++) {
                size_t n = divisor(g, oh, ow, count_padding);
                if (!n) continue;
                float share = dy[(c * Ho + oh) * Wo + ow] / (float)n;
                for (size_t i = 0; i < g->kernel_h; i++) {
                    long h = (long)(oh * g->stride_h + i * g->dilation_h) - (long)g->pad_h;
                    if (h < 0 || h >= (long)H) continue;
                    for (size_t j = 0; j < g->kernel_w; j++) {
                        long w = (long)(ow * g->stride_w + j * g->dilation_w) - (long)g->pad_w;
                        if (w >= 0 && w < (long)W) plane[h * W + w] += share;
                    }
                }
            }
    }
}
