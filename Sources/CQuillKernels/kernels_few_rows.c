// Few-row matrix products (see QuillFewRowGemm.h). (K, N) weights: W is read in row blocks, left to
// right, while 8 × 32 partial sums per strip sit in registers (16 zmm); each W element is loaded once
// for 8 multiply-adds. (N, K) weights: two W rows are dotted with all 8 x rows at once.
#include "QuillFewRowGemm.h"
#include "qk_math.h"

#define QK_ROWS 8
#define QK_STRIP 32
#define QK_PANEL 1024
#define QK_KB 8

QK_CLONES void qk_gemm_few_rows_kn(float *y, const float *x8, const float *w, const float *bias,
                                   size_t M, size_t K, size_t N, size_t j0, size_t j1) {
#pragma clang fp contract(fast)
    // Panels of QK_PANEL columns whose 8-row partial sums (32 KB) stay in L1/L2; within a panel, blocks
    // of QK_KB weight rows are read left to right (QK_KB sequential streams the prefetchers follow),
    // each 32-column strip loading its 8 × 32 sums into registers once per block.
    float panel[QK_ROWS * QK_PANEL];
    for (size_t p0 = j0; p0 < j1; p0 += QK_PANEL) {
        const size_t width = p0 + QK_PANEL <= j1 ? QK_PANEL : j1 - p0;
        const size_t strips = width / QK_STRIP * QK_STRIP;
        for (size_t i = 0; i < QK_ROWS * QK_PANEL; i++) panel[i] = 0.0f;
        for (size_t k0 = 0; k0 < K; k0 += QK_KB) {
            const size_t kb = k0 + QK_KB <= K ? QK_KB : K - k0;
            for (size_t c0 = 0; c0 < strips; c0 += QK_STRIP) {
                float acc[QK_ROWS][QK_STRIP];
                for (int m = 0; m < QK_ROWS; m++)
                    for (int c = 0; c < QK_STRIP; c++) acc[m][c] = panel[m * QK_PANEL + c0 + c];
                for (size_t k = k0; k < k0 + kb; k++) {
                    const float *wk = w + k * N + p0 + c0;
                    __builtin_prefetch(wk + QK_KB * N);
                    __builtin_prefetch(wk + QK_KB * N + 16);
                    for (int m = 0; m < QK_ROWS; m++) {
                        const float xv = x8[(size_t)m * K + k];
                        for (int c = 0; c < QK_STRIP; c++) acc[m][c] += xv * wk[c];
                    }
                }
                for (int m = 0; m < QK_ROWS; m++)
                    for (int c = 0; c < QK_STRIP; c++) panel[m * QK_PANEL + c0 + c] = acc[m][c];
            }
            for (size_t c = strips; c < width; c++)                   // leftover columns
                for (size_t k = k0; k < k0 + kb; k++)
                    for (int m = 0; m < QK_ROWS; m++) panel[m * QK_PANEL + c] += x8[(size_t)m * K + k] * w[k * N + p0 + c];
        }
        for (size_t m = 0; m < M; m++)
            for (size_t c = 0; c < width; c++) y[m * N + p0 + c] = panel[m * QK_PANEL + c] + (bias ? bias[p0 + c] : 0.0f);
    }
}

QK_CLONES void qk_gemm_few_rows_nk(float *y, const float *x8, const float *w, const float *bias,
                                   size_t M, size_t K, size_t N, size_t j0, size_t j1) {
#pragma clang fp contract(fast)
    const size_t K16 = K / 16 * 16;
    size_t j = j0;
    for (; j < j1; j += 2) {
        const int rows = j + 1 < j1 ? 2 : 1;
        const float *w0 = w + j * K, *w1 = rows == 2 ? w0 + K : w0;
        float acc0[QK_ROWS][16], acc1[QK_ROWS][16];
        for (int m = 0; m < QK_ROWS; m++)
            for (int c = 0; c < 16; c++) { acc0[m][c] = 0.0f; acc1[m][c] = 0.0f; }
        for (size_t k = 0; k < K16; k += 16) {
            __builtin_prefetch(w0 + 2 * K + k);          // the next pair of rows, ~2 rows ahead
            __builtin_prefetch(w1 + 2 * K + k);
            for (int m = 0; m < QK_ROWS; m++) {
                const float *xm = x8 + (size_t)m * K + k;
                for (int c = 0; c < 16; c++) { acc0[m][c] += w0[k + c] * xm[c]; acc1[m][c] += w1[k + c] * xm[c]; }
            }
        }
        for (size_t m = 0; m < M; m++) {
            float s0 = 0.0f, s1 = 0.0f;
            for (int c = 0; c < 16; c++) { s0 += acc0[m][c]; s1 += acc1[m][c]; }
            for (size_t k = K16; k < K; k++) { s0 += w0[k] * x8[m * K + k]; s1 += w1[k] * x8[m * K + k]; }
            y[m * N + j] = s0 + (bias ? bias[j] : 0.0f);
            if (rows == 2) y[m * N + j + 1] = s1 + (bias ? bias[j + 1] : 0.0f);
        }
    }
}
