// ReLU and reshape, forward and backward: the two glue ops a CNN needs between its convolutions
// and its linear layers (torch.relu, torch.reshape / flatten on contiguous storage).
import CQuillKernels

/// max(x, 0) elementwise. Backward passes dy where the input was positive (0 at x = 0, as PyTorch).
public func relu(_ x: Tensor) -> Tensor {
    let y = Tensor(zeros: x.shape)
    let n = x.count
    Parallel.forEachChunk(n, minimumChunk: 1 << 16) { r in
        for i in r { y.data[i] = max(x.data[i], 0) }
    }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad()
        Parallel.forEachChunk(n, minimumChunk: 1 << 16) { r in
            for i in r where x.data[i] > 0 { dx.data[i] += dy.data[i] }
        }
    }
    return y
}

/// The same values under a new shape with the same element count (e.g. (N, C, H, W) → (N, C·H·W)).
/// The output shares the input's storage; its gradient is added back into the input's.
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor {
    precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == x.count,
                 "reshape: \(x.shape) has \(x.count) elements, cannot become \(shape)")
    let y = Tensor(shape: shape, storage: x.storage)
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        qk_add_inplace(x.ensureGrad().data, dy.data, x.count)
    }
    return y
}
