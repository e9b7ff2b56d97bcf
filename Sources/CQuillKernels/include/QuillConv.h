// Loops of the image ops (Tensor+Conv2D.swift, Tensor+Pooling.swift) that BLAS has no routine for:
// im2col / col2im around the convolution's matrix products, and 2-D max / average pooling, forward
// and backward. One image (C, H, W) per call, channels-first as PyTorch stores it. `g` describes the
// window: kernel kh×kw, stride, zero padding and dilation, and the output size Ho×Wo.
#ifndef QUILL_CONV_H
#define QUILL_CONV_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t channels, height, width;          // input (C, H, W)
    size_t kernel_h, kernel_w;
    size_t stride_h, stride_w;
    size_t pad_h, pad_w;
    size_t dilation_h, dilation_w;
    size_t out_h, out_w;                     // output (Ho, Wo)
} qk_window;

/// cols (C·kh·kw, Ho·Wo): row (c, i, j) holds x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw] for every
/// output position, zero where the window reaches into the padding.
void qk_im2col(float *cols, const float *x, const qk_window *g);

/// dx (C, H, W) += the columns of `cols` scattered back to the input positions they were read from.
void qk_col2im(float *dx, const float *cols, const qk_window *g);

/// y (C, Ho, Wo) = max over each window (padding never wins); argmax (C, Ho, Wo) holds the flat
/// index h·W + w of the first maximum, as PyTorch picks it (−1 for a window wholly in the padding).
void qk_max_pool_forward(float *y, int32_t *argmax, const float *x, const qk_window *g);

/// dx (C, H, W) += dy routed to each window's maximum.
void qk_max_pool_backward(float *dx, const float *dy, const int32_t *argmax, const qk_window *g);

/// y (C, Ho, Wo) = mean over each window; the divisor counts padded positions when
/// `count_padding` (PyTorch's count_include_pad=True), else only the positions inside the image.
void qk_avg_pool_forward(float *y, const float *x, const qk_window *g, int count_padding);

/// dx (C, H, W) += dy spread evenly over each window, with the forward's divisor.
void qk_avg_pool_backward(float *dx, const float *dy, const qk_window *g, int count_padding);
#endif
