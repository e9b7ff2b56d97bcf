// SiLU (Elfwing et al. 2017; "swish") and the SwiGLU gate of Llama's MLP (Shazeer 2020):
// down(silu(gate(x)) · up(x)). Elementwise, forward and backward, through the C kernels.
import CQuillKernels

/// x · sigmoid(x), elementwise.
public func silu(_ x: Tensor) -> Tensor {
    let y = Tensor(zeros: x.shape)
    let n = x.count
    Parallel.forEachChunk(n, minimumChunk: 1 << 14) { r in
        qk_silu_forward(y.data + r.lowerBound, x.data + r.lowerBound, r.count)
    }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad()
        Parallel.forEachChunk(n, minimumChunk: 1 << 14) { r in
            qk_silu_backward(dx.data + r.lowerBound, x.data + r.lowerBound, dy.data + r.lowerBound, r.count)
        }
    }
    return y
}

/// silu(gate) · up, elementwise; gate and up have the same shape (N, I) → (N, I).
public func swiGLU(_ gate: Tensor, _ up: Tensor) -> Tensor {
    precondition(gate.count == up.count, "swiGLU: gate \(gate.shape) and up \(up.shape) differ")
    let y = Tensor(zeros: gate.shape)
    let n = gate.count
    Parallel.forEachChunk(n, minimumChunk: 1 << 14) { r in
        let o = r.lowerBound
        qk_swiglu_forward(y.data + o, gate.data + o, up.data + o, r.count)
    }
    GradientTape.recordIfNeeded(inputs: [gate, up], output: y) {
        guard let dy = y.grad else { return }
        let dg = gate.requiresGrad ? gate.ensureGrad().data : nil
        let du = up.requiresGrad ? up.ensureGrad().data : nil
        Parallel.forEachChunk(n, minimumChunk: 1 << 14) { r in
            let o = r.lowerBound
            qk_swiglu_backward(dg.map { $0 + o }, du.map { $0 + o }, gate.data + o, up.data + o,
                               dy.data + o, r.count)
        }
    }
    return y
}
