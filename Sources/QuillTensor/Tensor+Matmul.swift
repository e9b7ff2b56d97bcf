// Matrix product with optional bias, forward and backward, through BLAS sgemm (sgemv for one row).
// Weight layouts: `.inputByOutput` (K, N) as GPT-2's Conv1D stores it (y = x·W + b), and
// `.outputByInput` (N, K) as nn.Linear and tied LM heads store it (y = x·Wᵀ + b).
import CQuillKernels

/// How a weight matrix is laid out in memory.
public enum WeightLayout: Sendable {
    /// (in, out): y = x · W. GPT-2 Conv1D.
    case inputByOutput
    /// (out, in): y = x · Wᵀ. nn.Linear, embeddings used as an output head.
    case outputByInput
}

/// y = x · W (+ bias). x: (..., K) → y: (..., N).
public func matmul(_ x: Tensor, _ w: Tensor, bias: Tensor? = nil, layout: WeightLayout) -> Tensor {
    precondition(w.shape.count == 2, "matmul: weight must be 2-D, got \(w.shape)")
    let K = x.lastDimension, M = x.rows
    let (wK, N) = layout == .inputByOutput ? (w.shape[0], w.shape[1]) : (w.shape[1], w.shape[0])
    precondition(wK == K, "matmul: input has \(K) features but weight \(w.name ?? "") is \(w.shape)")
    if let bias { precondition(bias.count == N, "matmul: bias has \(bias.count) elements, need \(N)") }
    let y = Tensor(zeros: Array(x.shape.dropLast()) + [N])
    matmulForward(y.data, x.data, w.data, bias?.data, M: M, K: K, N: N, layout: layout)
    GradientTape.recordIfNeeded(inputs: [x, w, bias], output: y) {
        guard let dy = y.grad else { return }
        matmulBackward(dx: x.requiresGrad ? x.ensureGrad().data : nil,
                       dw: w.requiresGrad ? w.ensureGrad().data : nil,
                       db: bias?.requiresGrad == true ? bias!.ensureGrad().data : nil,
                       dy: dy.data, x: x.data, w: w.data, M: M, K: K, N: N, layout: layout)
    }
    return y
}

/// y (M, N) = x (M, K) · W (+ b), overwriting y.
public func matmulForward(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                          _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                          M: Int, K: Int, N: Int, layout: WeightLayout) {
    var beta: Float = 0
    if let bias {
        for i in 0..<M { (y + i * N).update(from: bias, count: N) }
        beta = 1
    }
    if M == 1 {
        // One row: y = Wᵀx (Conv1D) or W x (Linear).
        BLAS.sgemv(transpose: layout == .inputByOutput, rows: layout == .inputByOutput ? K : N,
                   cols: layout == .inputByOutput ? N : K, a: w, lda: layout == .inputByOutput ? N : K,
                   x: x, beta: beta, y: y)
    } else {
        BLAS.sgemm(transposeA: false, transposeB: layout == .outputByInput, m: M, n: N, k: K,
                   a: x, lda: K, b: w, ldb: layout == .inputByOutput ? N : K, beta: beta, c: y, ldc: N)
    }
}

/// Accumulates dx (M, K), dW (weight's layout) and db (N) from dy (M, N).
public func matmulBackward(dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                           db: UnsafeMutablePointer<Float>?, dy: UnsafePointer<Float>,
                           x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                           M: Int, K: Int, N: Int, layout: WeightLayout) {
    if let dx {
        // dx += dy · Wᵀ (Conv1D: W is (K,N)) or dy · W (Linear: W is (N,K)).
        BLAS.sgemm(transposeA: false, transposeB: layout == .inputByOutput, m: M, n: K, k: N,
                   a: dy, lda: N, b: w, ldb: layout == .inputByOutput ? N : K, beta: 1, c: dx, ldc: K)
    }
    if let dw {
        switch layout {
        case .inputByOutput:  // dW (K,N) += xᵀ · dy
            BLAS.sgemm(transposeA: true, transposeB: false, m: K, n: N, k: M,
                       a: x, lda: K, b: dy, ldb: N, beta: 1, c: dw, ldc: N)
        case .outputByInput:  // dW (N,K) += dyᵀ · x
            BLAS.sgemm(transposeA: true, transposeB: false, m: N, n: K, k: M,
                       a: dy, lda: N, b: x, ldb: K, beta: 1, c: dw, ldc: K)
        }
    }
    if let db {
        // db += column sums of dy, split over columns so threads never share an output.
        Parallel.forEachChunk(N, minimumChunk: 256) { cols in
            for i in 0..<M {
                let row = dy + i * N
                for j in cols { db[j] += row[j] }
            }
        }
    }
}
