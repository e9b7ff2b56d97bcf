// Forward values of the Llama-family and BERT ops against closed forms computed in Double, and
// the attention op against the fused GPT-2 kernel, a repeated-kv-head expansion and unpadded runs.
import Foundation
import Testing
import QuillTensor
import TestSupport

@Suite("Llama/BERT op values")
struct ModernOpValueTests {
    @Test func rmsNormMatchesClosedForm() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, -4, 0, 4])
        let y = rmsNorm(x, weight: Tensor(shape: [3], scalars: [1, 2, 0.5]), epsilon: 1e-5).scalars
        for row in 0..<2 {
            let xs = (0..<3).map { Double(x.scalars[row * 3 + $0]) }
            let r = 1 / (xs.map { $0 * $0 }.reduce(0, +) / 3 + 1e-5).squareRoot()
            let expected = [xs[0] * r, xs[1] * r * 2, xs[2] * r * 0.5]
            for j in 0..<3 { #expect(abs(Double(y[row * 3 + j]) - expected[j]) < 1e-6) }
        }
    }

    @Test func ropeRotatesHalfPairsByPositionTimesFrequency() {
        // One row, two heads of 4: pairs (0, 2) and (1, 3) in each head.
        let xs: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let freqs: [Double] = [0.5, 0.01]
        let y = rope(Tensor(shape: [1, 8], scalars: xs), positions: [3], heads: 2, headSize: 4, frequencies: freqs).scalars
        for h in 0..<2 {
            for i in 0..<2 {
                let a = 3 * freqs[i], x1 = Double(xs[h * 4 + i]), x2 = Double(xs[h * 4 + i + 2])
                #expect(abs(Double(y[h * 4 + i]) - (x1 * cos(a) - x2 * sin(a))) < 1e-5)
                #expect(abs(Double(y[h * 4 + i + 2]) - (x2 * cos(a) + x1 * sin(a))) < 1e-5)
            }
        }
        let atZero = rope(Tensor(shape: [1, 8], scalars: xs), positions: [0], heads: 2, headSize: 4, frequencies: freqs)
        #expect(atZero.scalars == xs)
    }

    @Test func siluSwiGLUAndErfGELUMatchClosedForms() {
        let xs: [Float] = [-12, -3, -1, -0.25, 0, 0.5, 1, 3, 12]
        let ups: [Float] = xs.map { 0.5 - $0 / 10 }
        let s = silu(Tensor(shape: [xs.count], scalars: xs)).scalars
        let g = swiGLU(Tensor(shape: [xs.count], scalars: xs), Tensor(shape: [xs.count], scalars: ups)).scalars
        let e = geluErf(Tensor(shape: [xs.count], scalars: xs)).scalars
        for (i, x) in xs.enumerated() {
            let d = Double(x), sil = d / (1 + exp(-d))
            #expect(abs(Double(s[i]) - sil) < 1e-5 * max(1, abs(sil)), "silu(\(x))")
            #expect(abs(Double(g[i]) - sil * Double(ups[i])) < 1e-5 * max(1, abs(sil)), "swiGLU(\(x))")
            let ge = 0.5 * d * (1 + erf(d / 2.0.squareRoot()))
            #expect(abs(Double(e[i]) - ge) < 2e-6 * max(1, abs(ge)), "geluErf(\(x)) = \(e[i]), expected \(ge)")
        }
    }

    @Test func multiHeadCausalCaseEqualsFusedGPTKernel() {
        let B = 2, T = 5, NH = 3, hs = 4, C = NH * hs
        let qkv = GradientCheck.random([B * T, 3 * C], seed: 60)
        let (q, k, v) = (columns(qkv, 0, C), columns(qkv, C, C), columns(qkv, 2 * C, C))
        let fused = causalSelfAttention(qkv, batch: B, time: T, heads: NH).scalars
        let split = groupedQueryAttention(query: q, key: k, value: v, batch: B, time: T, heads: NH, kvHeads: NH, causal: true).scalars
        #expect(Fixtures.maxAbsoluteDifference(fused, split) < 1e-6)
    }

    @Test func groupedHeadsEqualRepeatedKVHeads() {
        let T = 4, NH = 4, KVH = 2, hs = 3
        let q = GradientCheck.random([T, NH * hs], seed: 61)
        let k = GradientCheck.random([T, KVH * hs], seed: 62), v = GradientCheck.random([T, KVH * hs], seed: 63)
        // Expand kv head j to query heads 2j and 2j+1, as HF's repeat_kv does.
        func repeated(_ t: Tensor) -> Tensor {
            let out = Tensor(zeros: [T, NH * hs])
            for r in 0..<T { for h in 0..<NH { for i in 0..<hs { out.data[r * NH * hs + h * hs + i] = t.data[r * KVH * hs + (h / 2) * hs + i] } } }
            return out
        }
        let grouped = groupedQueryAttention(query: q, key: k, value: v, batch: 1, time: T, heads: NH, kvHeads: KVH, causal: true)
        let full = groupedQueryAttention(query: q, key: repeated(k), value: repeated(v), batch: 1, time: T, heads: NH, kvHeads: NH, causal: true)
        #expect(grouped.scalars == full.scalars)
    }

    @Test func paddedBidirectionalRowsEqualUnpaddedRuns() {
        let T = 6, NH = 2, hs = 4, C = NH * hs, lengths = [6, 2, 4]
        let q = GradientCheck.random([3 * T, C], seed: 64), k = GradientCheck.random([3 * T, C], seed: 65)
        let v = GradientCheck.random([3 * T, C], seed: 66)
        let batched = groupedQueryAttention(query: q, key: k, value: v, batch: 3, time: T, heads: NH, kvHeads: NH,
                                            causal: false, lengths: lengths)
        for (b, n) in lengths.enumerated() {
            func rows(_ t: Tensor) -> Tensor {
                Tensor(shape: [n, C], scalars: Array(t.scalars[b * T * C..<(b * T + n) * C]))
            }
            let alone = groupedQueryAttention(query: rows(q), key: rows(k), value: rows(v), batch: 1, time: n,
                                              heads: NH, kvHeads: NH, causal: false)
            #expect(Fixtures.maxAbsoluteDifference(alone.scalars, Array(batched.scalars[b * T * C..<(b * T + n) * C])) < 1e-6)
        }
    }
}

/// Columns lo ..< lo + width of a 2-D tensor.
private func columns(_ t: Tensor, _ lo: Int, _ width: Int) -> Tensor {
    let out = Tensor(zeros: [t.rows, width])
    for r in 0..<t.rows { (out.data + r * width).update(from: t.data + r * t.lastDimension + lo, count: width) }
    return out
}
