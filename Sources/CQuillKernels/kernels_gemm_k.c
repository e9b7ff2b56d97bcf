// Prefill for the k-quants: y (M, N) = x (M, K) · Wᵀ with x quantized to Q8_K rows once. The weights
// stay in their stored layout: tiles of rows that fit in L2 are unpacked block by block and applied to
// up to QK_MULTI activation rows at a time (the batched-decode kernel), so each output is
// bit-identical to the decode kernel's for the same row, and each tile is read from memory once.
#include "QuillKernels.h"
#include "qk_quant.h"

#define TILE_BYTES (256 << 10)

void qk_gemm_k_rows(float *y, size_t ldy, const void *w, int type, size_t rows, size_t K, const void *act,
                    size_t M, int isa) {
    int best = qk_quant_best_isa();
    if (isa < 0 || isa > best) isa = best;
    size_t rb = qk_row_bytes(type, K), ab = qk_activation_q8k_bytes(K), nb = K / QK_K;
    size_t tile = TILE_BYTES / (rb ? rb : 1);
    if (tile < 8) tile = 8;
    for (size_t r0 = 0; r0 < rows; r0 += tile) {
        size_t nr = rows - r0 < tile ? rows - r0 : tile;
        const uint8_t *wt = (const uint8_t *)w + r0 * rb;
        for (size_t i0 = 0; i0 < M; i0 += QK_MULTI) {
            size_t n = M - i0 < QK_MULTI ? M - i0 : QK_MULTI;
            float *ys[QK_MULTI];
            const qk_block_q8_K *as[QK_MULTI];
            for (size_t s = 0; s < n; s++) {
                ys[s] = y + (i0 + s) * ldy + r0;
                as[s] = (const qk_block_q8_K *)((const uint8_t *)act + (i0 + s) * ab);
            }
#if QK_X86
            if (isa == QK_ISA_AVX512) { qk_matvec_multi_k_avx512(ys, wt, type, nr, rb, as, nb, n); continue; }
#endif
            for (size_t s = 0; s < n; s++)
                qk_matvec_rows(ys[s], wt, type, nr, K, NULL, (const int8_t *)(const void *)as[s], NULL, NULL, isa);
        }
    }
}
