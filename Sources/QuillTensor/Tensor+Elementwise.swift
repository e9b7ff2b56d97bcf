// Residual add and dropout, forward and backward.
import CQuillKernels

/// a + b, same element count (the residual connection).
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.count == b.count, "add: shapes \(a.shape) and \(b.shape) differ")
    let y = Tensor(zeros: a.shape)
    let n = a.count
    Parallel.forEachChunk(n, minimumChunk: 1 << 16) { r in
        qk_add(y.data + r.lowerBound, a.data + r.lowerBound, b.data + r.lowerBound, r.count)
    }
    GradientTape.recordIfNeeded(inputs: [a, b], output: y) {
        guard let dy = y.grad else { return }
        for t in [a, b] where t.requiresGrad {
            let dt = t.ensureGrad()
            Parallel.forEachChunk(n, minimumChunk: 1 << 16) { r in
                qk_add_inplace(dt.data + r.lowerBound, dy.data + r.lowerBound, r.count)
            }
        }
    }
    return y
}

/// Inverted dropout: zeroes each element with probability `p` and scales the rest by 1/(1-p).
/// The mask is drawn from `rng` in element order, so it is reproducible for a given seed.
/// With `p == 0` returns `x` itself.
public func dropout(_ x: Tensor, probability p: Float, rng: inout RandomGenerator) -> Tensor {
    precondition(p >= 0 && p < 1, "dropout: probability must be in [0, 1), got \(p)")
    if p == 0 { return x }
    let keep = 1 / (1 - p)
    let mask = Tensor(zeros: x.shape)
    for i in 0..<x.count { mask.data[i] = rng.nextFloat() < p ? 0 : keep }
    let y = Tensor(zeros: x.shape)
    for i in 0..<x.count { y.data[i] = x.data[i] * mask.data[i] }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad()
        for i in 0..<x.count { dx.data[i] += dy.data[i] * mask.data[i] }
    }
    return y
}
