// y = x · W (+ bias) for 2–8 rows — the step of a batch of decoding sequences — through the few-row
// kernels (weight streamed once, accumulators in registers) instead of BLAS sgemm, which at these
// sizes spends more time packing the weight than multiplying. Inference only: no tape.
import CQuillKernels

/// The most rows ``fewRowMatmul(_:_:bias:layout:)`` takes.
public let fewRowMatmulMaximumRows = 8

/// x (M, K) with 1 ≤ M ≤ 8 → (M, N), split over output columns across `Parallel` workers.
public func fewRowMatmul(_ x: Tensor, _ w: Tensor, bias: Tensor? = nil, layout: WeightLayout) -> Tensor {
    let M = x.rows, K = x.lastDimension
    let (wK, N) = layout == .inputByOutput ? (w.shape[0], w.shape[1]) : (w.shape[1], w.shape[0])
    precondition(M >= 1 && M <= fewRowMatmulMaximumRows, "fewRowMatmul: \(M) rows, need 1...8")
    precondition(wK == K, "fewRowMatmul: input has \(K) features but weight \(w.name ?? "") is \(w.shape)")
    if let bias { precondition(bias.count == N, "fewRowMatmul: bias has \(bias.count) elements, need \(N)") }
    let x8 = TensorStorage(count: fewRowMatmulMaximumRows * K)          // rows ≥ M stay zero
    x8.pointer.update(from: x.data, count: M * K)
    let y = Tensor(zeros: Array(x.shape.dropLast()) + [N])
    let strips = (N + 31) / 32                                           // split on 32-column strips
    Parallel.forEachChunk(strips, minimumChunk: 4) { r in
        let j0 = r.lowerBound * 32, j1 = min(N, r.upperBound * 32)
        if layout == .inputByOutput {
            qk_gemm_few_rows_kn(y.data, x8.pointer, w.data, bias?.data, M, K, N, j0, j1)
        } else {
            qk_gemm_few_rows_nk(y.data, x8.pointer, w.data, bias?.data, M, K, N, j0, j1)
        }
    }
    return y
}
