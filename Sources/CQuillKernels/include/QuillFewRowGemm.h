// Matrix products for a few rows (2–8): the decode step of a batch of sequences. BLAS sgemm packs the
// whole weight for every call, which costs more than the product at these sizes; these kernels stream
// the weight once and keep the 8-row accumulators in registers.
#ifndef QUILL_FEW_ROW_GEMM_H
#define QUILL_FEW_ROW_GEMM_H
#include <stddef.h>

/// y (M, N) = x8 (8, K) · W (K, N) [+ bias] for output columns [j0, j1); only rows < M are stored.
/// x8 holds 8 rows (rows ≥ M zero). W row-major (K, N) as GPT-2's Conv1D stores it.
void qk_gemm_few_rows_kn(float *y, const float *x8, const float *w, const float *bias,
                         size_t M, size_t K, size_t N, size_t j0, size_t j1);

/// y (M, N) = x8 (8, K) · Wᵀ [+ bias] for output columns [j0, j1); W row-major (N, K) as nn.Linear
/// and tied LM heads store it.
void qk_gemm_few_rows_nk(float *y, const float *x8, const float *w, const float *bias,
                         size_t M, size_t K, size_t N, size_t j0, size_t j1);
#endif
