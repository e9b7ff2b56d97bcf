// Exact GELU, x·Φ(x) with the Gaussian CDF through erf (Hendrycks & Gimpel 2016), as BERT's
// "gelu" activation computes it (GPT-2 uses the tanh form in Tensor+GELU.swift). Forward and backward.
import CQuillKernels

/// 0.5·x·(1 + erf(x/√2)), elementwise.
public func geluErf(_ x: Tensor) -> Tensor {
    let y = Tensor(zeros: x.shape)
    let n = x.count
    Parallel.forEachChunk(n, minimumChunk: 1 << 14) { r in
        qk_gelu_erf_forward(y.data + r.lowerBound, x.data + r.lowerBound, r.count)
    }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad()
        Parallel.forEachChunk(n, minimumChunk: 1 << 14) { r in
            qk_gelu_erf_backward(dx.data + r.lowerBound, x.data + r.lowerBound, dy.data + r.lowerBound, r.count)
        }
    }
    return y
}
