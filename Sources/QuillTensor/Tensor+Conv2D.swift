// 2-D convolution (cross-correlation, as torch.nn.functional.conv2d) over channels-first images by
// im2col + one BLAS product per image: y_n (O, Ho·Wo) = W (O, C·kh·kw) · cols_n + b. Backward recomputes
// the columns (cheaper than keeping them) for dW += dy_n · colsᵀ and dx += col2im(Wᵀ · dy_n).
// Legend: N images, C input channels, O output channels, (H, W) input size, (Ho, Wo) output size.
import CQuillKernels

/// A height × width pair: kernel sizes, strides, paddings and dilations. An integer literal means both.
public struct Size2D: Equatable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public init(_ height: Int, _ width: Int) { self.height = height; self.width = width }
    public init(integerLiteral value: Int) { self.init(value, value) }
    public var description: String { "(\(height), \(width))" }
}

/// The window arithmetic shared by convolution and pooling: output size and the C struct the kernels read.
struct ImageWindow {
    let N: Int, C: Int, H: Int, W: Int, Ho: Int, Wo: Int
    let window: qk_window

    /// Traps on a non-(N, C, H, W) input or a window that does not fit (programmer error: layers
    /// built from user configs check their sizes first).
    init(_ op: String, input x: Tensor, kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D) {
        precondition(x.shape.count == 4, "\(op): input must be (N, C, H, W), got \(x.shape)")
        precondition(kernel.height > 0 && kernel.width > 0 && stride.height > 0 && stride.width > 0
                     && dilation.height > 0 && dilation.width > 0 && padding.height >= 0 && padding.width >= 0,
                     "\(op): kernel \(kernel), stride \(stride), dilation \(dilation) must be positive, padding \(padding) ≥ 0")
        (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let spanH = dilation.height * (kernel.height - 1) + 1, spanW = dilation.width * (kernel.width - 1) + 1
        precondition(H + 2 * padding.height >= spanH && W + 2 * padding.width >= spanW,
                     "\(op): window \(spanH)×\(spanW) larger than the padded input \(H + 2 * padding.height)×\(W + 2 * padding.width)")
        Ho = (H + 2 * padding.height - spanH) / stride.height + 1
        Wo = (W + 2 * padding.width - spanW) / stride.width + 1
        window = qk_window(channels: C, height: H, width: W, kernel_h: kernel.height, kernel_w: kernel.width,
                           stride_h: stride.height, stride_w: stride.width, pad_h: padding.height, pad_w: padding.width,
                           dilation_h: dilation.height, dilation_w: dilation.width, out_h: Ho, out_w: Wo)
    }

    var inputPlane: Int { C * H * W }
    var outputPositions: Int { Ho * Wo }
}

/// Cross-correlation of x (N, C, H, W) with weight (O, C, kh, kw) (+ bias (O)) → (N, O, Ho, Wo), with
/// PyTorch's stride, zero padding and dilation (groups = 1).
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
                   dilation: Size2D = 1) -> Tensor {
    precondition(weight.shape.count == 4 && x.shape.count == 4 && weight.shape[1] == x.shape[1],
                 "conv2d: weight \(weight.shape) is not (O, C, kh, kw) for input \(x.shape)")
    let O = weight.shape[0]
    let g = ImageWindow("conv2d", input: x, kernel: Size2D(weight.shape[2], weight.shape[3]), stride: stride,
                        padding: padding, dilation: dilation)
    if let bias { precondition(bias.count == O, "conv2d: bias has \(bias.count) elements for \(O) channels") }
    let K = g.C * weight.shape[2] * weight.shape[3], P = g.outputPositions
    let y = Tensor(zeros: [g.N, O, g.Ho, g.Wo])
    forEachImage(g) { n, cols, _, serial in
        var window = g.window
        qk_im2col(cols, x.data + n * g.inputPlane, &window)                      // (K, P)
        let out = y.data + n * O * P                                              // (O, P)
        if let bias { for o in 0..<O { (out + o * P).initialize(repeating: bias.data[o], count: P) } }
        gemm(serial, transposeA: false, transposeB: false, m: O, n: P, k: K, a: weight.data, lda: K,
             b: cols, ldb: P, beta: bias == nil ? 0 : 1, c: out, ldc: P)
    }
    GradientTape.recordIfNeeded(inputs: [x, weight, bias], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.requiresGrad ? x.ensureGrad() : nil
        let dw = weight.requiresGrad ? weight.ensureGrad() : nil
        if let db = bias?.requiresGrad == true ? bias!.ensureGrad() : nil {
            for n in 0..<g.N { for o in 0..<O { db.data[o] += sum(dy.data + (n * O + o) * P, count: P) } }
        }
        // Each worker accumulates dW into its own buffer (summed after), so images never race.
        let partials = forEachImage(g, columnSets: dx == nil ? 1 : 2, partialCount: dw == nil ? 0 : O * K) { n, cols, partial, serial in
            let dyn = dy.data + n * O * P                                          // (O, P)
            if let dw {
                var window = g.window
                qk_im2col(cols, x.data + n * g.inputPlane, &window)
                gemm(serial, transposeA: false, transposeB: true, m: O, n: K, k: P, a: dyn, lda: P,
                     b: cols, ldb: P, beta: 1, c: partial ?? dw.data, ldc: K)   // dW += dy_n · colsᵀ
            }
            if let dx {
                let dcols = cols + K * P
                gemm(serial, transposeA: true, transposeB: false, m: K, n: P, k: O, a: weight.data, lda: K,
                     b: dyn, ldb: P, beta: 0, c: dcols, ldc: P)                   // Wᵀ · dy_n (K, P)
                var window = g.window
                qk_col2im(dx.data + n * g.inputPlane, dcols, &window)
            }
        }
        if let dw { for p in partials { qk_add_inplace(dw.data, p.pointer, O * K) } }
    }
    return y
}

/// Runs `body(n, columns, partial, serial)` for every image n: across the workers, each with
/// single-threaded products, when there are enough images; else image by image with the products split
/// across the workers. `columns` holds `columnSets` (C·kh·kw, Ho·Wo) buffers of the worker's own;
/// `partial` is the worker's zeroed accumulator of `partialCount` floats (nil when running image by
/// image or when none is asked for, so the caller accumulates in place). Returns the accumulators.
@discardableResult
func forEachImage(_ g: ImageWindow, columnSets: Int = 1, partialCount: Int = 0,
                  _ body: (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?, Bool) -> Void) -> [TensorStorage] {
    let columns = g.C * g.window.kernel_h * g.window.kernel_w * g.outputPositions * columnSets
    let workers = min(Parallel.threadCount, g.N)
    guard workers > 1 else {
        let scratch = TensorStorage(uninitializedCount: columns)
        for n in 0..<g.N { body(n, scratch.pointer, nil, false) }
        withExtendedLifetime(scratch) {}
        return []
    }
    let per = (g.N + workers - 1) / workers
    let partials = (0..<workers).map { _ in TensorStorage(count: partialCount) }
    Parallel.forEach(workers) { w in
        let scratch = TensorStorage(uninitializedCount: columns)
        for n in min(g.N, w * per)..<min(g.N, (w + 1) * per) {
            body(n, scratch.pointer, partialCount > 0 ? partials[w].pointer : nil, true)
        }
        withExtendedLifetime(scratch) {}
    }
    return partialCount > 0 ? partials : []
}

/// sgemm on this thread (`serial`, inside a parallel region) or split across the workers.
@inline(__always)
func gemm(_ serial: Bool, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
          b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if serial {
        BLAS.sgemmSerial(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda,
                         b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    } else {
        BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

/// Σ of `count` floats, accumulated in Double.
func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var s = 0.0
    for i in 0..<count { s += Double(p[i]) }
    return Float(s)
}
