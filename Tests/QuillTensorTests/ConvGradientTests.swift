// Hand-written backward of conv2d, max/avg pooling and batch norm against central finite differences
// (TestSupport's GradientCheck), on shapes that exercise stride, padding and dilation, both batch-norm
// modes, and a small conv → batch norm → max pool → conv stack; plus the images-across-workers path
// against the image-by-image one.
import Testing
import QuillTensor
import TestSupport

@Suite("Image op gradients vs finite differences")
struct ConvGradientTests {
    /// (kernel, stride, padding, dilation, bias)
    static let convCases: [(Size2D, Size2D, Size2D, Size2D, Bool)] = [
        (3, 1, 0, 1, true), (3, 2, 1, 1, false), (Size2D(2, 3), Size2D(2, 1), Size2D(1, 2), Size2D(1, 2), true),
    ]

    @Test(arguments: convCases)
    func conv2dGradients(c: (Size2D, Size2D, Size2D, Size2D, Bool)) {
        let (k, s, p, d, hasBias) = c
        let x = GradientCheck.random([2, 2, 6, 5], seed: 200), w = GradientCheck.random([3, 2, k.height, k.width], std: 0.5, seed: 201)
        let b = hasBias ? GradientCheck.random([3], seed: 202) : nil
        let bad = GradientCheck.mismatches(inputs: [x, w] + (b.map { [$0] } ?? [])) {
            conv2d(x, weight: w, bias: b, stride: s, padding: p, dilation: d)
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    /// (kernel, stride, padding)
    static let poolCases: [(Size2D, Size2D, Size2D)] = [(2, 2, 0), (3, 2, 1), (Size2D(3, 2), Size2D(1, 2), Size2D(1, 0))]

    @Test(arguments: poolCases)
    func poolingGradients(c: (Size2D, Size2D, Size2D)) {
        let (k, s, p) = c
        // Values 0.1 apart (a shuffled ramp): no ties, so the max moves nowhere within ε = 0.01.
        var rng = RandomGenerator(seed: 203)
        var values: [Float] = (0..<168).map { Float($0) * 0.1 - 4 }   // (2, 2, 7, 6)
        for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let x = Tensor(shape: [2, 2, 7, 6], scalars: values)
        let maxBad = GradientCheck.mismatches(inputs: [x]) { maxPool2d(x, kernel: k, stride: s, padding: p) }
        #expect(maxBad.isEmpty, "max: \(maxBad.prefix(5))")
        for countPadding in [true, false] {
            let bad = GradientCheck.mismatches(inputs: [x]) { avgPool2d(x, kernel: k, stride: s, padding: p, countPadding: countPadding) }
            #expect(bad.isEmpty, "avg countPadding=\(countPadding): \(bad.prefix(5))")
        }
    }

    @Test(arguments: [true, false])
    func batchNormGradients(training: Bool) {
        let x = GradientCheck.random([3, 2, 3, 2], std: 2, seed: 204)
        let gamma = GradientCheck.random([2], seed: 205), beta = GradientCheck.random([2], seed: 206)
        let mean = Tensor(shape: [2], scalars: [0.3, -0.2]), variance = Tensor(shape: [2], scalars: [1.5, 0.7])
        let bad = GradientCheck.mismatches(inputs: [x, gamma, beta]) {
            // Fresh copies each call: training mode updates the running averages in place.
            batchNorm2d(x, weight: gamma, bias: beta, runningMean: mean.copy(), runningVariance: variance.copy(), training: training)
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func smallConvolutionalStack() {
        let x = GradientCheck.random([2, 1, 6, 6], seed: 207)
        let w1 = GradientCheck.random([3, 1, 3, 3], std: 0.6, seed: 208), b1 = GradientCheck.random([3], seed: 209)
        let gamma = GradientCheck.random([3], seed: 210), beta = GradientCheck.random([3], seed: 211)
        let w2 = GradientCheck.random([2, 3, 2, 2], std: 0.6, seed: 212)
        let bad = GradientCheck.mismatches(inputs: [x, w1, b1, gamma, beta, w2]) {
            let h = conv2d(x, weight: w1, bias: b1, padding: 1)                                     // (2, 3, 6, 6)
            let n = batchNorm2d(h, weight: gamma, bias: beta, runningMean: Tensor(zeros: [3]),
                                runningVariance: Tensor(zeros: [3]), training: true)
            return conv2d(avgPool2d(n, kernel: 2), weight: w2)                                     // (2, 2, 2, 2)
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func imagesAcrossWorkersMatchImageByImage() {
        // 5 images over 4 workers (per-worker dW accumulators) against one worker, values and gradients.
        let x = GradientCheck.random([5, 3, 9, 8], seed: 213), w = GradientCheck.random([4, 3, 3, 3], seed: 214)
        let b = GradientCheck.random([4], seed: 215)
        func run(_ threads: Int) -> [[Float]] {
            Parallel.withThreadCount(threads) {
                for t in [x, w, b] { t.requiresGrad = true; t.grad = nil }
                let tape = GradientTape()
                let y = tape.record { conv2d(x, weight: w, bias: b, stride: 2, padding: 1) }
                tape.backward(from: y, gradient: GradientCheck.random(y.shape, seed: 216))
                return [y.scalars, x.grad!.scalars, w.grad!.scalars, b.grad!.scalars]
            }
        }
        for (a, c) in zip(run(1), run(4)) { #expect(Fixtures.maxAbsoluteDifference(a, c) <= 1e-4) }
    }
}
