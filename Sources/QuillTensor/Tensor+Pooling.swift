// 2-D max and average pooling over channels-first images, as torch.nn.functional.max_pool2d and
// avg_pool2d (floor mode): the window loops are in CQuillKernels/kernels_conv.c, images run across
// the workers. Max pooling keeps each window's argmax for backward; ties go to the first maximum.
import CQuillKernels

/// Max over kernel-sized windows of x (N, C, H, W) → (N, C, Ho, Wo). `stride` defaults to the kernel,
/// as in PyTorch; padding (implicit −∞) must be at most half the kernel.
public func maxPool2d(_ x: Tensor, kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, dilation: Size2D = 1) -> Tensor {
    precondition(2 * padding.height <= kernel.height && 2 * padding.width <= kernel.width,
                 "maxPool2d: padding \(padding) must be at most half of kernel \(kernel)")
    let g = ImageWindow("maxPool2d", input: x, kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: dilation)
    let plane = g.C * g.outputPositions
    let y = Tensor(zeros: [g.N, g.C, g.Ho, g.Wo])
    let argmax = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, g.N * plane))
    let indices = IndexBuffer(argmax)
    Parallel.forEachChunk(g.N) { images in
        var window = g.window
        for n in images { qk_max_pool_forward(y.data + n * plane, argmax + n * plane, x.data + n * g.inputPlane, &window) }
    }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad()
        Parallel.forEachChunk(g.N) { images in
            var window = g.window
            for n in images { qk_max_pool_backward(dx.data + n * g.inputPlane, dy.data + n * plane, indices.pointer + n * plane, &window) }
        }
    }
    return y
}

/// Mean over kernel-sized windows of x (N, C, H, W) → (N, C, Ho, Wo). `stride` defaults to the kernel;
/// `countPadding` divides by the whole window (PyTorch's count_include_pad=True, its default), else by
/// the positions inside the image.
public func avgPool2d(_ x: Tensor, kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0,
                      countPadding: Bool = true) -> Tensor {
    precondition(2 * padding.height <= kernel.height && 2 * padding.width <= kernel.width,
                 "avgPool2d: padding \(padding) must be at most half of kernel \(kernel)")
    let g = ImageWindow("avgPool2d", input: x, kernel: kernel, stride: stride ?? kernel, padding: padding, dilation: 1)
    let plane = g.C * g.outputPositions
    let y = Tensor(zeros: [g.N, g.C, g.Ho, g.Wo])
    Parallel.forEachChunk(g.N) { images in
        var window = g.window
        for n in images { qk_avg_pool_forward(y.data + n * plane, x.data + n * g.inputPlane, &window, countPadding ? 1 : 0) }
    }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad()
        Parallel.forEachChunk(g.N) { images in
            var window = g.window
            for n in images { qk_avg_pool_backward(dx.data + n * g.inputPlane, dy.data + n * plane, &window, countPadding ? 1 : 0) }
        }
    }
    return y
}

/// Owns the argmax indices a max-pooling backward reads (freed with the tape's closure).
final class IndexBuffer {
    let pointer: UnsafeMutablePointer<Int32>
    init(_ pointer: UnsafeMutablePointer<Int32>) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}
