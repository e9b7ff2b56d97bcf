// The F16 KV cache against the F32 one on the reference fixtures (GPT-2, Llama with grouped-query
// attention, Qwen2): logits within a stated tolerance, the fixtures' greedy tokens unchanged; the
// half-precision attention kernel (every ISA) against a scalar reference; capacity checks and copies.
import CQuillKernels
import Foundation
import Testing
import QuillModels
import QuillTensor
import TestSupport

@Suite("KV cache storage types")
struct KVCacheTypeTests {
    static let folders = ["gpt2_tiny", "llama_tiny", "qwen2_tiny"]

    static func load(_ folder: String) throws -> any LanguageModel {
        let dir = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)")
        return folder.hasPrefix("gpt2") ? try GPT.load(directory: dir) : try Llama.load(directory: dir)
    }

    static func greedy(_ folder: String) throws -> (prompt: [Int], generated: [Int]) {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)/greedy.safetensors")
        return (try Fixtures.integers(url, "prompt"), try Fixtures.integers(url, "generated"))
    }

    /// Prefill the fixture prompt, then decode its greedy continuation: every step's logits through an
    /// F16 cache stay within 2e-2 of the F32 cache's (half rounding of k/v is ~5e-4 relative; the tiny
    /// models' logits are O(1)), and the tokens are the fixture's.
    @Test(arguments: folders)
    func f16LogitsMatchF32AndGreedyTokensAreUnchanged(folder: String) throws {
        let model = try Self.load(folder)
        let (prompt, expected) = try Self.greedy(folder)
        let c32 = model.makeCache(type: .f32), c16 = model.makeCache(type: .f16)
        #expect(c16.type == .f16 && c16.byteCount * 2 == c32.byteCount)
        var l32 = try model.forward(prompt, cache: c32, allLogits: true).scalars
        var l16 = try model.forward(prompt, cache: c16, allLogits: true).scalars
        var worst = Fixtures.maxAbsoluteDifference(l32, l16)
        var generated: [Int] = []
        for _ in 0..<expected.count {
            let V = model.vocabularySize, last = Array(l16[(l16.count - V)...])
            let next = last.indices.max { last[$0] < last[$1] }!
            generated.append(next)
            l32 = try model.forward([next], cache: c32).scalars
            l16 = try model.forward([next], cache: c16).scalars
            worst = max(worst, Fixtures.maxAbsoluteDifference(l32, l16))
        }
        #expect(worst < 2e-2, "\(folder): F16 cache logits differ from F32 by \(worst)")
        #expect(worst > 0, "\(folder): F16 cache gave bit-identical logits; is it really stored as halves?")
        #expect(generated == expected, "\(folder): greedy tokens through the F16 cache")
    }

    /// Scalar reference in Double over the decoded halves: softmax(q·kᵀ/√hs)·v per query.
    static func reference(q: [Float], ldq: Int, k: [UInt16], v: [UInt16], ldkv: Int, n: Int, pos0: Int, hs: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n * hs)
        for i in 0..<n {
            let len = pos0 + i + 1
            let scores = (0..<len).map { t in
                (0..<hs).reduce(0.0) { $0 + Double(q[i * ldq + $1]) * Double(qk_fp16_to_fp32(k[t * ldkv + $1])) } / Double(hs).squareRoot()
            }
            let m = scores.max()!, e = scores.map { Foundation.exp($0 - m) }, sum = e.reduce(0, +)
            for j in 0..<hs {
                out[i * hs + j] = Float((0..<len).reduce(0.0) { $0 + e[$1] / sum * Double(qk_fp16_to_fp32(v[$1 * ldkv + j])) })
            }
        }
        return out
    }

    @Test(arguments: [(64, 3, 40), (48, 2, 0), (20, 1, 17), (128, 4, 9)])
    func f16AttentionKernelMatchesScalarReference(hs: Int, n: Int, pos0: Int) {
        var rng = RandomGenerator(seed: UInt64(hs * 100 + pos0))
        let ldkv = hs + 8, ldq = hs + 4, T = pos0 + n       // strides wider than a head, as in a real cache
        let q = (0..<n * ldq).map { _ in rng.nextNormal() }
        let k = (0..<T * ldkv).map { _ in qk_fp32_to_fp16(rng.nextNormal()) }
        let v = (0..<T * ldkv).map { _ in qk_fp32_to_fp16(rng.nextNormal()) }
        let want = Self.reference(q: q, ldq: ldq, k: k, v: v, ldkv: ldkv, n: n, pos0: pos0, hs: hs)
        for isa in [QK_ISA_SCALAR, QK_ISA_AVX2, QK_ISA_AVX512, QK_ISA_BEST] {
            var out = [Float](repeating: .nan, count: n * hs), scratch = [Float](repeating: 0, count: T)
            qk_attention_cached_f16(&out, hs, q, ldq, k, v, ldkv, n, pos0, hs, &scratch, Int32(isa))
            let diff = Fixtures.maxAbsoluteDifference(out, want)
            #expect(diff < 1e-5, "hs \(hs) n \(n) pos0 \(pos0) isa \(isa): max |Δ| \(diff)")
        }
    }

    @Test func f16ConversionIsRoundToNearestEvenOnEveryISA() {
        var rng = RandomGenerator(seed: 3)
        let rows = 3, cols = 37, lds = 41, ldd = 40
        var src = (0..<rows * lds).map { _ in rng.nextNormal() * 300 }
        src[0] = 65520; src[1] = 1e-6; src[2] = -0.0; src[3] = 2049    // overflow, subnormal, sign, tie
        for isa in [QK_ISA_SCALAR, QK_ISA_AVX2, QK_ISA_AVX512] {
            var dst = [UInt16](repeating: 0xFFFF, count: rows * ldd)
            qk_fp32_to_fp16_rows(&dst, ldd, src, lds, rows, cols, Int32(isa))
            for r in 0..<rows {
                for j in 0..<cols { #expect(dst[r * ldd + j] == qk_fp32_to_fp16(src[r * lds + j]), "isa \(isa) (\(r), \(j))") }
                for j in cols..<ldd { #expect(dst[r * ldd + j] == 0xFFFF, "isa \(isa) wrote past a row") }
            }
        }
    }

    /// A capacity-8 cache refuses a 9th position with a typed error and is left untouched (the store
    /// itself traps rather than write out of bounds: storeOrAttendPastTheCapacityTraps).
    @Test(arguments: [KVCacheType.f32, .f16])
    func overflowIsATypedErrorBeforeAnyWrite(type: KVCacheType) throws {
        let gpt = try Self.load("gpt2_tiny") as! GPT, llama = try Self.load("llama_tiny") as! Llama
        for (model, cache) in [(gpt as any LanguageModel, gpt.makeCache(capacity: 8, type: type)),
                               (llama, llama.makeCache(capacity: 8, type: type))] {
            #expect(cache.capacity == 8 && cache.type == type)
            _ = try model.forward([1, 2, 3, 4, 5, 6, 7], cache: cache)
            let before = cache.keys.map { Array($0.buffer) } + cache.values.map { Array($0.buffer) }
            #expect(throws: ModelError.contextOverflow(needed: 9, contextLength: 8)) {
                try model.forward([8, 9], cache: cache)
            }
            #expect(throws: ModelError.contextOverflow(needed: 10, contextLength: 8)) {
                try model.forwardBatch([[8, 9, 10]], caches: [cache])
            }
            #expect(cache.length == 7)
            #expect(before == cache.keys.map { Array($0.buffer) } + cache.values.map { Array($0.buffer) })
            _ = try model.forward([8], cache: cache)                   // the last position still fits
            #expect(cache.length == 8)
        }
    }

    /// The last line of defence: a store or an attend past the capacity stops the process instead of
    /// writing or reading out of bounds (Swift Testing exit tests run it in a child process).
    @Test func storeOrAttendPastTheCapacityTraps() async {
        await #expect(processExitsWith: .failure) {
            let cache = KVCache(layers: 1, capacity: 2, width: 4, heads: 2, type: .f16)
            let row = [Float](repeating: 1, count: 4)
            cache.store(layer: 0, at: 2, rows: 1, keys: row, values: row, stride: 4)
        }
        await #expect(processExitsWith: .failure) {
            let cache = KVCache(layers: 1, capacity: 2, width: 4, heads: 2, type: .f32)
            var out = [Float](repeating: 0, count: 2), scratch = [Float](repeating: 0, count: 4)
            cache.attend(layer: 0, head: 0, queries: out, ldq: 2, count: 2, start: 1, out: &out, ldo: 2, scratch: &scratch)
        }
    }

    @Test(arguments: [KVCacheType.f32, .f16])
    func copiesKeepTheTypeAndContinueIdentically(type: KVCacheType) throws {
        let model = try Self.load("llama_tiny")
        let a = model.makeCache(type: type)
        _ = try model.forward([1, 2, 3, 4, 5], cache: a)
        let b = a.copy(), c = model.makeCache(type: type)
        c.copy(from: a)
        #expect(b.type == type && c.length == 5)
        let la = try model.forward([6], cache: a).scalars
        #expect(la == (try model.forward([6], cache: b).scalars))
        #expect(la == (try model.forward([6], cache: c).scalars))
    }
}
