// Op forward values on small cases computed by hand (or with a closed form), and RNG determinism.
import Foundation
import Testing
import QuillTensor

@Suite("Op values on hand-computed cases")
struct OpValueTests {
    @Test func matmulBothLayoutsAndBias() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let w = Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1])          // (K, N)
        let b = Tensor(shape: [2], scalars: [10, 20])
        #expect(matmul(x, w, bias: b, layout: .inputByOutput).scalars == [14, 25, 20, 31])
        let wt = Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 1, 1])         // (N, K), same matrix
        #expect(matmul(x, wt, layout: .outputByInput).scalars == [4, 5, 10, 11])
        #expect(matmul(Tensor(shape: [1, 3], scalars: [1, 2, 3]), wt, layout: .outputByInput).scalars == [4, 5])
    }

    @Test func layerNormNormalisesEachRow() {
        let x = Tensor(shape: [1, 4], scalars: [1, 2, 3, 4])
        let y = layerNorm(x, weight: Tensor(shape: [4], scalars: [1, 1, 1, 2]),
                          bias: Tensor(shape: [4], scalars: [0, 0, 0, 1]), epsilon: 0)
        // mean 2.5, variance 1.25
        let s = Float(1 / 1.25.squareRoot())
        let expected: [Float] = [-1.5 * s, -0.5 * s, 0.5 * s, 2 * 1.5 * s + 1]
        for (a, e) in zip(y.scalars, expected) { #expect(abs(a - e) < 1e-6) }
    }

    @Test func geluMatchesClosedForm() {
        let xs: [Float] = [-3, -1, 0, 0.5, 1, 3, 10, -10]
        let y = gelu(Tensor(shape: [xs.count], scalars: xs)).scalars
        for (x, v) in zip(xs, y) {
            let d = Double(x)
            let ref = 0.5 * d * (1 + tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d)))
            #expect(abs(Double(v) - ref) < 2e-6, "gelu(\(x)) = \(v), expected \(ref)")
        }
    }

    @Test func crossEntropyMatchesLogSumExp() {
        let logits = Tensor(shape: [2, 3], scalars: [1, 2, 3, 1000, 0, -1000])
        let loss = crossEntropy(logits, targets: [0, 0]).scalars[0]
        let row0 = log(exp(1.0) + exp(2.0) + exp(3.0)) - 1.0
        let expected = Float((row0 + 0) / 2)  // second row: target holds the max, loss ≈ 0
        #expect(abs(loss - expected) < 1e-5)
    }

    @Test func attentionAtFirstPositionReturnsItsValue() {
        // T = 2, one head, C = 2: position 0 sees only itself, so its output is v0.
        let qkv = Tensor(shape: [2, 6], scalars: [1, 0, 1, 0, 5, 6,
                                                  0, 1, 0, 1, 7, 8])
        let y = causalSelfAttention(qkv, batch: 1, time: 2, heads: 1).scalars
        #expect(y[0] == 5 && y[1] == 6)
        // position 1: scores q1·k0 = 0, q1·k1 = 1, scaled by 1/√2.
        let p1 = exp(1 / 2.0.squareRoot()) / (1 + exp(1 / 2.0.squareRoot()))
        #expect(abs(Double(y[2]) - ((1 - p1) * 5 + p1 * 7)) < 1e-5)
    }

    @Test func rngIsDeterministicAndSeedSensitive() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let xa = (0..<100).map { _ in a.nextNormal() }
        let xb = (0..<100).map { _ in b.nextNormal() }
        let xc = (0..<100).map { _ in c.nextNormal() }
        #expect(xa == xb)
        #expect(xa != xc)
        let mean = xa.reduce(0, +) / 100
        #expect(abs(mean) < 0.3)
    }

    @Test func parallelResultsDoNotDependOnThreadCount() {
        let x = Tensor(zeros: [64, 96])
        var rng = RandomGenerator(seed: 5)
        x.fillNormal(std: 1, rng: &rng)
        let w = Tensor(zeros: [96]), b = Tensor(zeros: [96])
        w.fill(1)
        // Task-local, so tests running concurrently (e.g. the bit-identical resume test) are unaffected.
        let one = Parallel.withThreadCount(1) { layerNorm(x, weight: w, bias: b).scalars }
        let four = Parallel.withThreadCount(4) { layerNorm(x, weight: w, bias: b).scalars }
        #expect(one == four)
    }
}
