// Few-row matrix products (see QuillFewRowGemm.h). (K, N) weights: a 32-column strip of W is walked
// down all K rows while 8 × 32 accumulators stay in registers (16 zmm); each W element is loaded once
// for 8 multiply-adds. (N, K) weights: two W rows are dotted with all 8 x rows at once.
#include "QuillFewRowGemm.h"
#include "qk_math.h"

#define QK_ROWS 8
#define QK_STRIP 32

QK_CLONES void qk_gemm_few_rows_kn(float *y, const float *x8, const float *w, const float *bias,
                                   size_t M, size_t K, size_t N, size_t j0, size_t j1) {
#pragma clang fp contract(fast)
    size_t j = j0;
    for (; j + QK_STRIP <= j1; j += QK_STRIP) {
        float acc[QK_ROWS][QK_STRIP];
        for (int m = 0; m < QK_ROWS; m++)
            for (int c = 0; c < QK_STRIP; c++) acc[m][c] = 0.0f;
        for (size_t k = 0; k < K; k++) {
            const float *wk = w + k * N + j;
            __builtin_prefetch(wk + 8 * N);
            for (int m = 0; m < QK_ROWS; m++) {
                const float xv = x8[(size_t)m * K + k];
                for (int c = 0; c < QK_STRIP; c++) acc[m][c] += xv * wk[c];
            }
        }
        for (size_t m = 0; m < M; m++)
            for (int c = 0; c < QK_STRIP; c++) y[m * N + j + c] = acc[m][c] + (bias ? bias[j + c] : 0.0f);
    }
    for (; j < j1; j++) {                                   // leftover columns
        for (size_t m = 0; m < M; m++) {
            float s = 0.0f;
            for (size_t k = 0; k < K; k++) s += x8[m * K + k] * w[k * N + j];
            y[m * N + j] = s + (bias ? bias[j] : 0.0f);
        }
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
