// GELU, tanh approximation as GPT-2 uses it (Hendrycks & Gimpel 2016), forward and backward.
import CQuillKernels

/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), elementwise.
public func gelu(_ x: Tensor) -> Tensor {
    let y = Tensor(zeros: x.shape)
    let n = x.count
    Parallel.forEachChunk(n, minimumChunk: 1 << 14) { r in
        qk_gelu_forward(y.data + r.lowerBound, x.data + r.lowerBound, r.count)
    }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad()
        Parallel.forEachChunk(n, minimumChunk: 1 << 14) { r in
            qk_gelu_backward(dx.data + r.lowerBound, x.data + r.lowerBound, dy.data + r.lowerBound, r.count)
        }
    }
    return y
}
