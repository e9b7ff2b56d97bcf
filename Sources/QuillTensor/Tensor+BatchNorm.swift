// Batch normalisation over the channels of (N, C, H, W) images (Ioffe & Szegedy 2015), as
// torch.nn.functional.batch_norm: in training, each channel is normalised by its batch mean and biased
// variance, and the running averages move toward the batch mean and the unbiased variance by
// `momentum`; in evaluation the running averages normalise. Forward and backward for both modes.
import CQuillKernels

/// γ·(x − μ)/√(σ² + ε) + β per channel of x (N, C, H, W) (or (N, C)). `weight` γ and `bias` β are (C);
/// `runningMean` and `runningVariance` (C) are read in evaluation and updated in place in training.
public func batchNorm2d(_ x: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                        training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5) -> Tensor {
    precondition(x.shape.count >= 2, "batchNorm2d: input must be (N, C, ...), got \(x.shape)")
    let N = x.shape[0], C = x.shape[1], S = x.shape.dropFirst(2).reduce(1, *)     // S spatial positions
    precondition([weight, bias, runningMean, runningVariance].allSatisfy { $0.count == C },
                 "batchNorm2d: weight, bias and running statistics must have \(C) elements")
    let M = N * S
    precondition(!training || M > 1, "batchNorm2d: training needs more than one value per channel, got \(x.shape)")
    let mean = TensorStorage(count: C), rstd = TensorStorage(count: C)
    Parallel.forEachChunk(C) { channels in
        for c in channels {
            if training {
                var s = 0.0, ss = 0.0
                for n in 0..<N {
                    let p = x.data + (n * C + c) * S
                    for i in 0..<S { let v = Double(p[i]); s += v; ss += v * v }
                }
                let mu = s / Double(M), variance = max(0, ss / Double(M) - mu * mu)
                mean.pointer[c] = Float(mu)
                rstd.pointer[c] = Float(1 / (variance + Double(epsilon)).squareRoot())
                let unbiased = variance * Double(M) / Double(M - 1)
                runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * Float(mu)
                runningVariance.data[c] = (1 - momentum) * runningVariance.data[c] + momentum * Float(unbiased)
            } else {
                mean.pointer[c] = runningMean.data[c]
                rstd.pointer[c] = 1 / (runningVariance.data[c] + epsilon).squareRoot()
            }
        }
    }
    let y = Tensor(zeros: x.shape)
    Parallel.forEachChunk(N * C, minimumChunk: max(1, 4096 / max(1, S))) { planes in
        for nc in planes {
            let c = nc % C, scale = weight.data[c] * rstd.pointer[c], shift = bias.data[c] - mean.pointer[c] * scale
            let p = x.data + nc * S, q = y.data + nc * S
            for i in 0..<S { q[i] = p[i] * scale + shift }
        }
    }
    GradientTape.recordIfNeeded(inputs: [x, weight, bias], output: y) {
        guard let dy = y.grad else { return }
        // Per channel: Σdy and Σdy·x̂, with x̂ = (x − μ)·rstd.
        let sums = TensorStorage(count: 2 * C)
        Parallel.forEachChunk(C) { channels in
            for c in channels {
                var sd = 0.0, sdx = 0.0
                let mu = mean.pointer[c], r = rstd.pointer[c]
                for n in 0..<N {
                    let p = x.data + (n * C + c) * S, d = dy.data + (n * C + c) * S
                    for i in 0..<S { sd += Double(d[i]); sdx += Double(d[i] * (p[i] - mu) * r) }
                }
                sums.pointer[c] = Float(sd); sums.pointer[C + c] = Float(sdx)
            }
        }
        if weight.requiresGrad { qk_add_inplace(weight.ensureGrad().data, sums.pointer + C, C) }
        if bias.requiresGrad { qk_add_inplace(bias.ensureGrad().data, sums.pointer, C) }
        guard x.requiresGrad else { return }
        let dx = x.ensureGrad()
        Parallel.forEachChunk(N * C, minimumChunk: max(1, 4096 / max(1, S))) { planes in
            for nc in planes {
                let c = nc % C, mu = mean.pointer[c], r = rstd.pointer[c], k = weight.data[c] * r
                let p = x.data + nc * S, d = dy.data + nc * S, out = dx.data + nc * S
                if training {
                    // dx = γ·rstd·(dy − mean(dy) − x̂·mean(dy·x̂)): the batch statistics depend on x.
                    let md = sums.pointer[c] / Float(M), mdx = sums.pointer[C + c] / Float(M)
                    for i in 0..<S { out[i] += k * (d[i] - md - (p[i] - mu) * r * mdx) }
                } else {
                    for i in 0..<S { out[i] += k * d[i] }
                }
            }
        }
    }
    return y
}
