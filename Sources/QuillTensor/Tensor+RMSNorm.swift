// Root-mean-square layer normalisation (Zhang & Sennrich 2019) as Llama uses it: no mean
// subtraction, no bias, x / sqrt(mean(x²) + eps) · weight per row, forward and backward.
import CQuillKernels

/// x · rsqrt(mean(x²) + ε) · weight over the last dimension. x: (N, C), weight: (C) → (N, C).
public func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float = 1e-6) -> Tensor {
    let N = x.rows, C = x.lastDimension
    precondition(weight.count == C, "rmsNorm: weight has \(weight.count) elements, need \(C)")
    let y = Tensor(zeros: x.shape)
    let rstd = Tensor(zeros: [N])                                  // (N) saved for backward
    Parallel.forEachChunk(N, minimumChunk: 16) { r in
        let o = r.lowerBound
        qk_rmsnorm_forward(y.data + o * C, rstd.data + o, x.data + o * C, weight.data, r.count, C, epsilon)
    }
    GradientTape.recordIfNeeded(inputs: [x, weight], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.requiresGrad ? x.ensureGrad() : Tensor(zeros: x.shape)
        // Each chunk sums its dw into its own scratch row; rows are added after, so no races.
        let chunks = min(Parallel.threadCount, max(1, N / 16))
        let per = (N + chunks - 1) / chunks
        let partial = TensorStorage(count: chunks * C)
        Parallel.forEachChunk(chunks) { cs in
            for c in cs {
                let lo = c * per, hi = min(N, lo + per)
                if lo >= hi { continue }
                qk_rmsnorm_backward(dx.data + lo * C, partial.pointer + c * C, dy.data + lo * C,
                                    x.data + lo * C, weight.data, rstd.data + lo, hi - lo, C)
            }
        }
        if weight.requiresGrad {
            let dw = weight.ensureGrad()
            for c in 0..<chunks { qk_add_inplace(dw.data, partial.pointer + c * C, C) }
        }
    }
    return y
}
