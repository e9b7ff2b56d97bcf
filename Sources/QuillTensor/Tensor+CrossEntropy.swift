// Fused softmax + cross-entropy: mean over positions whose target is not negative (negative
// targets are ignored, as PyTorch's ignore_index), numerically stable via max subtraction.
import CQuillKernels

/// Mean cross-entropy of `logits` (N, V) against `targets` (N). Returns a scalar tensor [1].
public func crossEntropy(_ logits: Tensor, targets: [Int32]) -> Tensor {
    let N = logits.rows, V = logits.lastDimension
    precondition(targets.count == N, "crossEntropy: \(targets.count) targets for \(N) rows")
    precondition(targets.allSatisfy { $0 < V }, "crossEntropy: target outside vocabulary of \(V)")
    let counted = targets.filter { $0 >= 0 }.count
    let losses = Tensor(zeros: [N])
    targets.withUnsafeBufferPointer { tp in
        Parallel.forEachChunk(N, minimumChunk: 4) { r in
            qk_cross_entropy_forward(losses.data + r.lowerBound, logits.data + r.lowerBound * V,
                                     tp.baseAddress! + r.lowerBound, r.count, V)
        }
    }
    var total = 0.0
    for i in 0..<N { total += Double(losses.data[i]) }
    let loss = Tensor(shape: [1], scalars: [counted == 0 ? 0 : Float(total / Double(counted))])
    GradientTape.recordIfNeeded(inputs: [logits], output: loss) {
        guard let dl = loss.grad, counted > 0 else { return }
        let scale = dl.data[0] / Float(counted)
        // Usually nothing else has touched the logits' gradient: write into it directly.
        let fresh = logits.grad == nil
        let dlogits = logits.ensureGrad()
        let target = fresh ? dlogits.storage : TensorStorage(count: N * V)
        targets.withUnsafeBufferPointer { tp in
            Parallel.forEachChunk(N, minimumChunk: 4) { r in
                let o = r.lowerBound * V
                qk_cross_entropy_backward(target.pointer + o, logits.data + o,
                                          tp.baseAddress! + r.lowerBound, r.count, V, scale)
                if !fresh { qk_add_inplace(dlogits.data + o, target.pointer + o, r.count * V) }
            }
        }
    }
    return loss
}
