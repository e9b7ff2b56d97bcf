// Layer normalisation over the last dimension (Ba, Kiros & Hinton 2016), forward and backward.
import CQuillKernels

/// (x - mean) / sqrt(var + eps) · weight + bias, per row of the last dimension.
public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float = 1e-5) -> Tensor {
    let N = x.rows, C = x.lastDimension
    precondition(weight.count == C && bias.count == C, "layerNorm: weight/bias must have \(C) elements")
    let y = Tensor(zeros: x.shape)
    let mean = Tensor(zeros: [N]), rstd = Tensor(zeros: [N])
    Parallel.forEachChunk(N, minimumChunk: 16) { r in
        let o = r.lowerBound
        qk_layernorm_forward(y.data + o * C, mean.data + o, rstd.data + o, x.data + o * C,
                             weight.data, bias.data, r.count, C, epsilon)
    }
    GradientTape.recordIfNeeded(inputs: [x, weight, bias], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad(), dw = weight.ensureGrad(), db = bias.ensureGrad()
        // Each chunk accumulates dw/db into its own scratch row; summed after, so no races.
        let chunks = min(Parallel.threadCount, max(1, N / 16))
        let per = (N + chunks - 1) / chunks
        let partial = TensorStorage(count: chunks * 2 * C)
        Parallel.forEachChunk(chunks) { cs in
            for c in cs {
                let lo = c * per, hi = min(N, lo + per)
                if lo >= hi { continue }
                qk_layernorm_backward(dx.data + lo * C, partial.pointer + c * 2 * C,
                                      partial.pointer + c * 2 * C + C, dy.data + lo * C,
                                      x.data + lo * C, weight.data, mean.data + lo, rstd.data + lo,
                                      hi - lo, C)
            }
        }
        for c in 0..<chunks {
            qk_add_inplace(dw.data, partial.pointer + c * 2 * C, C)
            qk_add_inplace(db.data, partial.pointer + c * 2 * C + C, C)
        }
    }
    return y
}
