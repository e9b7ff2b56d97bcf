// The per-step products of the recurrent ops, h·W_hhᵀ (forward) and dGates·W_hh (backward), on a
// weight packed once per sequence into 32-column panels. At these shapes (B ≈ 8–64 rows) BLAS packs
// the whole weight on every call, which costs as much as the product; a packed weight reused for all
// T steps and an 8×32 register tile run at ~1.6× OpenBLAS's sgemm here (107 vs 66 GFLOP/s, 1 core).
#include <string.h>
#include "QuillRecurrent.h"
#include "qk_math.h"

#define PANEL 32

void qk_recurrent_pack(float *panels, const float *w, size_t ldw, int transposed, size_t K, size_t N) {
    size_t count = (N + PANEL - 1) / PANEL;
    for (size_t p = 0; p < count; p++) {
        float *dst = panels + p * K * PANEL;
        size_t n0 = p * PANEL, width = N - n0 < PANEL ? N - n0 : PANEL;
        for (size_t k = 0; k < K; k++) {
            float *row = dst + k * PANEL;
            for (size_t c = 0; c < width; c++) row[c] = transposed ? w[(n0 + c) * ldw + k] : w[k * ldw + n0 + c];
            for (size_t c = width; c < PANEL; c++) row[c] = 0.0f;
        }
    }
}

/// C (MR × width) (+)= A (MR × K, row stride lda) · P (K × 32): the register tile, specialised per MR.
static inline __attribute__((always_inline))
void tile(float *restrict c, size_t ldc, const float *restrict a, size_t lda, const float *restrict p,
          size_t K, size_t width, int accumulate, const int MR) {
    float acc[8][PANEL];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < PANEL; j++) acc[r][j] = 0.0f;
    for (size_t k = 0; k < K; k++) {
        const float *pk = p + k * PANEL;
        for (int r = 0; r < MR; r++) {
            float av = a[r * lda + k];
            for (int j = 0; j < PANEL; j++) acc[r][j] += av * pk[j];
        }
    }
    for (int r = 0; r < MR; r++) {
        float *cr = c + r * ldc;
        if (accumulate) { for (size_t j = 0; j < width; j++) cr[j] += acc[r][j]; }
        else { for (size_t j = 0; j < width; j++) cr[j] = acc[r][j]; }
    }
}

QK_CLONES void qk_recurrent_gemm(float *c, size_t ldc, const float *a, size_t lda, const float *panels,
                                 size_t M, size_t K, size_t N, size_t p0, size_t p1, int accumulate) {
    for (size_t p = p0; p < p1; p++) {
        size_t n0 = p * PANEL, width = N - n0 < PANEL ? N - n0 : PANEL;
        const float *panel = panels + p * K * PANEL;
        size_t m = 0;
        for (; m + 8 <= M; m += 8) tile(c + m * ldc + n0, ldc, a + m * lda, lda, panel, K, width, accumulate, 8);
        if (m + 4 <= M) { tile(c + m * ldc + n0, ldc, a + m * lda, lda, panel, K, width, accumulate, 4); m += 4; }
        if (m + 2 <= M) { tile(c + m * ldc + n0, ldc, a + m * lda, lda, panel, K, width, accumulate, 2); m += 2; }
        if (m < M) tile(c + m * ldc + n0, ldc, a + m * lda, lda, panel, K, width, accumulate, 1);
    }
}
