// Every fused op: backward against central finite differences (tolerances in GradientCheck).
import Testing
import QuillTensor
import TestSupport

@Suite("Op gradients vs finite differences")
struct OpGradientTests {
    @Test(arguments: [WeightLayout.inputByOutput, .outputByInput])
    func matmulWithBias(layout: WeightLayout) {
        let x = rand([3, 4], 1, 1)
        let w = rand(layout == .inputByOutput ? [4, 5] : [5, 4], 1, 2)
        let b = rand([5], 1, 3)
        let bad = GradientCheck.mismatches(inputs: [x, w, b]) { matmul(x, w, bias: b, layout: layout) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func matmulSingleRowUsesGemvPath() {
        let x = rand([1, 6], 1, 4), w = rand([6, 3], 1, 5)
        let bad = GradientCheck.mismatches(inputs: [x, w]) { matmul(x, w, layout: .inputByOutput) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func embeddingWithRepeatedIds() {
        let table = rand([5, 3], 1, 6)
        let bad = GradientCheck.mismatches(inputs: [table]) { embedding([1, 4, 1, 0], table: table) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func layerNorm() {
        let x = rand([4, 8], 2, 7), w = rand([8], 1, 8), b = rand([8], 1, 9)
        let bad = GradientCheck.mismatches(inputs: [x, w, b]) { QuillTensor.layerNorm(x, weight: w, bias: b) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func gelu() {
        let x = rand([3, 7], 2, 10)
        let bad = GradientCheck.mismatches(inputs: [x]) { QuillTensor.gelu(x) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test(arguments: [(1, 1, 1), (2, 5, 2), (1, 4, 3)])
    func causalAttention(shape: (Int, Int, Int)) {
        let (B, T, NH) = shape
        let C = 2 * NH
        let qkv = rand([B * T, 3 * C], 1, 11)
        let bad = GradientCheck.mismatches(inputs: [qkv]) { causalSelfAttention(qkv, batch: B, time: T, heads: NH) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func crossEntropyWithIgnoredTarget() {
        let logits = rand([4, 6], 2, 12)
        let bad = GradientCheck.mismatches(inputs: [logits]) { crossEntropy(logits, targets: [1, 5, -1, 0]) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func residualAdd() {
        let a = rand([2, 3], 1, 13), b = rand([2, 3], 1, 14)
        let bad = GradientCheck.mismatches(inputs: [a, b]) { add(a, b) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func dropoutUsesTheSameMaskInBackward() {
        let x = rand([4, 5], 1, 15)
        // Re-seeding inside f makes the forward deterministic so finite differences are valid.
        let bad = GradientCheck.mismatches(inputs: [x]) {
            var rng = RandomGenerator(seed: 99)
            return dropout(x, probability: 0.3, rng: &rng)
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func composedBlockLikeGraph() {
        // LN → matmul → GELU → matmul → residual → cross-entropy, all through one tape.
        let x = rand([3, 4], 1, 16), w1 = rand([4, 8], 0.5, 17), w2 = rand([8, 4], 0.5, 18)
        let g = rand([4], 1, 19), b = rand([4], 1, 20)
        let bad = GradientCheck.mismatches(inputs: [x, w1, w2, g, b]) {
            let h = QuillTensor.layerNorm(x, weight: g, bias: b)
            let m = matmul(QuillTensor.gelu(matmul(h, w1, layout: .inputByOutput)), w2, layout: .inputByOutput)
            return crossEntropy(add(x, m), targets: [0, 3, 2])
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }
}

private func rand(_ shape: [Int], _ std: Float, _ seed: UInt64) -> Tensor {
    GradientCheck.random(shape, std: std, seed: seed)
}

@Suite("Attention: BLAS path vs plain-loop reference kernels")
struct AttentionPathTests {
    @Test(arguments: [(2, 7, 3, 4), (1, 33, 2, 16), (3, 64, 4, 8)])
    func forwardAndBackwardAgree(shape: (Int, Int, Int, Int)) {
        let (B, T, NH, hs) = shape
        let C = NH * hs
        let qkv1 = GradientCheck.random([B * T, 3 * C], std: 1, seed: 77)
        let qkv2 = qkv1.copy()
        qkv1.requiresGrad = true; qkv2.requiresGrad = true
        let r = GradientCheck.random([B * T, C], std: 1, seed: 78)
        let t1 = GradientTape(), t2 = GradientTape()
        let y1 = t1.record { causalSelfAttention(qkv1, batch: B, time: T, heads: NH) }
        let y2 = t2.record { causalSelfAttentionReference(qkv2, batch: B, time: T, heads: NH) }
        let forward = zip(y1.scalars, y2.scalars).map { abs($0 - $1) }.max()!
        #expect(forward < 1e-5)
        t1.backward(from: y1, gradient: r); t2.backward(from: y2, gradient: r)
        let backward = zip(qkv1.grad!.scalars, qkv2.grad!.scalars).map { abs($0 - $1) }.max()!
        #expect(backward < 1e-4)
    }

    @Test func referenceKernelGradients() {
        let qkv = GradientCheck.random([2 * 5, 3 * 4], std: 1, seed: 79)
        let bad = GradientCheck.mismatches(inputs: [qkv]) { causalSelfAttentionReference(qkv, batch: 2, time: 5, heads: 2) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }
}
