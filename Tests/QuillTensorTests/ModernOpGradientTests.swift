// The Llama-family and BERT ops (RMSNorm, RoPE, SiLU, SwiGLU, erf GELU, grouped-query attention):
// hand-written backward against central finite differences, alone and composed into one block.
import Testing
import QuillTensor
import TestSupport

@Suite("Llama/BERT op gradients vs finite differences")
struct ModernOpGradientTests {
    @Test func rmsNorm() {
        let x = rand([4, 8], 2, 31), w = rand([8], 1, 32)
        let bad = GradientCheck.mismatches(inputs: [x, w]) { QuillTensor.rmsNorm(x, weight: w, epsilon: 1e-5) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func ropeAtScatteredPositions() {
        let x = rand([4, 2 * 6], 1, 33)
        let bad = GradientCheck.mismatches(inputs: [x]) {
            rope(x, positions: [0, 3, 17, 1], heads: 2, headSize: 6, frequencies: [1, 0.2, 0.01])
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func silu() {
        let x = rand([3, 7], 3, 34)
        let bad = GradientCheck.mismatches(inputs: [x]) { QuillTensor.silu(x) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func swiGLU() {
        let g = rand([3, 5], 2, 35), u = rand([3, 5], 1, 36)
        let bad = GradientCheck.mismatches(inputs: [g, u]) { QuillTensor.swiGLU(g, u) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func geluErf() {
        let x = rand([3, 7], 2, 37)
        let bad = GradientCheck.mismatches(inputs: [x]) { QuillTensor.geluErf(x) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    /// (B, T, NH, KVH, causal, lengths): grouped causal, plain causal, padded bidirectional, padded causal.
    static let attentionCases: [(Int, Int, Int, Int, Bool, [Int]?)] = [
        (2, 4, 4, 2, true, nil), (1, 5, 2, 2, true, nil), (2, 5, 4, 1, false, [3, 5]), (2, 4, 2, 1, true, [2, 4]),
    ]

    @Test(arguments: attentionCases)
    func groupedQueryAttention(c: (Int, Int, Int, Int, Bool, [Int]?)) {
        let (B, T, NH, KVH, causal, lengths) = c
        let hs = 3
        let q = rand([B * T, NH * hs], 1, 38), k = rand([B * T, KVH * hs], 1, 39), v = rand([B * T, KVH * hs], 1, 40)
        let bad = GradientCheck.mismatches(inputs: [q, k, v]) {
            QuillTensor.groupedQueryAttention(query: q, key: k, value: v, batch: B, time: T, heads: NH,
                                              kvHeads: KVH, causal: causal, lengths: lengths)
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func composedLlamaBlock() {
        // RMSNorm → q/k/v → RoPE → GQA → o → residual → RMSNorm → SwiGLU MLP → residual → CE.
        let T = 3, C = 8, NH = 2, KVH = 1, hs = 4, I = 6
        let x = rand([T, C], 1, 41), n1 = rand([C], 1, 42), n2 = rand([C], 1, 43)
        let wq = rand([NH * hs, C], 0.5, 44), wk = rand([KVH * hs, C], 0.5, 45), wv = rand([KVH * hs, C], 0.5, 46)
        let wo = rand([C, NH * hs], 0.5, 47), wg = rand([I, C], 0.5, 48), wu = rand([I, C], 0.5, 49)
        let wd = rand([C, I], 0.5, 50), bq = rand([NH * hs], 0.5, 51)
        let positions = Array(0..<T), freqs: [Double] = [1, 0.1]
        let bad = GradientCheck.mismatches(inputs: [x, n1, n2, wq, wk, wv, wo, wg, wu, wd, bq]) {
            let h = QuillTensor.rmsNorm(x, weight: n1, epsilon: 1e-5)
            let q = rope(matmul(h, wq, bias: bq, layout: .outputByInput), positions: positions, heads: NH, headSize: hs, frequencies: freqs)
            let k = rope(matmul(h, wk, layout: .outputByInput), positions: positions, heads: KVH, headSize: hs, frequencies: freqs)
            let a = QuillTensor.groupedQueryAttention(query: q, key: k, value: matmul(h, wv, layout: .outputByInput),
                                                      batch: 1, time: T, heads: NH, kvHeads: KVH, causal: true)
            let r = add(x, matmul(a, wo, layout: .outputByInput))
            let m = QuillTensor.rmsNorm(r, weight: n2, epsilon: 1e-5)
            let f = matmul(QuillTensor.swiGLU(matmul(m, wg, layout: .outputByInput), matmul(m, wu, layout: .outputByInput)),
                           wd, layout: .outputByInput)
            return crossEntropy(add(r, f), targets: [1, 7, 0])
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }
}

private func rand(_ shape: [Int], _ std: Float, _ seed: UInt64) -> Tensor {
    GradientCheck.random(shape, std: std, seed: seed)
}
