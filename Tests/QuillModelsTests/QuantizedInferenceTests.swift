// Inference through every weight format's matrices on the reference fixtures: logits stay within
// a stated tolerance of the float model (prefill and cached decode), and greedy picks agree wherever
// the float model's top-1 margin exceeds that tolerance. Training paths never see the matrices.
import Foundation
import Testing
import QuillModels
import QuillTensor
import TestSupport

@Suite("Quantized inference")
struct QuantizedInferenceTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    /// Max |Δlogit| allowed against the float model; these fixtures' logits span ±6. The tiny models
    /// (one 32-block per row) are a worst case: with Q8_0 the weight rounding alone moves logits by
    /// 0.11 and the activation rounding adds 0.07 (measured); Q4_0 weights alone move them by 3.6.
    /// Measured for the other formats (max over the fixtures): Q4_1 2.9, Q5_0 1.6, Q5_1 1.6, IQ4_NL 5.1
    /// (llama_tiny; ≤ 2.3 elsewhere). The k-quants need 256-element rows, so on these 32-wide models
    /// they run as llama.cpp's fallbacks (Q2_K / Q3_K → Q4_0, Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0).
    static let tolerance: [WeightType: Float] = [.f32: 1e-4, .f16: 2e-2, .q8_0: 0.3, .q4_0: 4, .q4_1: 4, .q5_0: 2,
                                                 .q5_1: 2, .iq4_NL: 6, .q2_K: 4, .q3_K: 4, .q4_K: 2, .q5_K: 2, .q6_K: 0.3]

    /// Logits for prefill of 10 tokens, then 6 single-token steps: (16, V).
    func run(_ model: any LanguageModel, _ ids: [Int]) throws -> [Float] {
        let cache = model.makeCache()
        var out = try model.forward(Array(ids[0..<10]), cache: cache, allLogits: true).scalars
        for t in 10..<16 { out += try model.forward([ids[t]], cache: cache).scalars }
        return out
    }

    func compare(_ float: [Float], _ quantized: [Float], V: Int, type: WeightType, _ label: String) {
        let tol = Self.tolerance[type]!
        let diff = Fixtures.maxAbsoluteDifference(float, quantized)
        #expect(diff <= tol, "\(label) \(type): max |Δlogit| \(diff) > \(tol)")
        for row in 0..<(float.count / V) {
            let f = Array(float[row * V..<(row + 1) * V]), q = Array(quantized[row * V..<(row + 1) * V])
            let sorted = f.sorted(by: >)
            if sorted[0] - sorted[1] > 2 * tol { #expect(f.firstIndex(of: sorted[0]) == q.firstIndex(of: q.max()!)) }
        }
    }

    @Test(arguments: WeightType.allCases)
    func gpt2(type: WeightType) throws {
        let dir = Self.fixtures.appendingPathComponent("gpt2_tiny")
        let ids = try Fixtures.integers(dir.appendingPathComponent("reference.safetensors"), "input_ids_full")
        let model = try GPT.load(directory: dir)
        let float = try run(model, ids)
        try model.quantize(to: type)
        #expect(model.inferenceWeights?.matrices.count == 4 * model.config.nLayer + 1)
        compare(float, try run(model, ids), V: model.vocabularySize, type: type, "gpt2_tiny")
        try model.quantize(to: nil)
        #expect(try run(model, ids) == float)
    }

    @Test(arguments: ["llama_tiny", "qwen2_tiny"], WeightType.allCases)
    func llama(folder: String, type: WeightType) throws {
        let model = try Llama.load(directory: Self.fixtures.appendingPathComponent(folder))
        let ids = (0..<16).map { ($0 * 7 + 3) % model.vocabularySize }
        let float = try run(model, ids)
        try model.quantize(to: type)
        compare(float, try run(model, ids), V: model.vocabularySize, type: type, folder)
    }
}

@Suite("Int8 GEMM prefill")
struct Int8PrefillTests {
    /// A random GPT-2 (K = 128 and 512, or 256 and 1024 for the k-quants: several blocks per row; the
    /// k-quant GEMM runs the decode kernel itself) and the Llama fixture quantized to
    /// `type`: logits of a 12-token prefill (the int8 GEMM where enabled) equal those of feeding the
    /// tokens one at a time (the decode matvec). Each activation row is quantized the same way on both
    /// paths, so only float summation order differs, but an upstream difference of one ulp can flip an
    /// activation's int8 rounding (one step, max|x|/127 of its block) further on: measured max |Δlogit|
    /// 0.0045 (GPT, Q8_0), ≤ 1e-3 otherwise; bound 1e-2. The dequantize + sgemm prefill, which does not
    /// quantize activations, is 0.1 away from decode on the Llama fixture and would fail it.
    @Test(arguments: WeightType.allCases.filter(\.isQuantized))
    func prefillMatchesPerTokenDecode(type: WeightType) throws {
        let width = type.isKQuant ? 256 : 128
        let gpt = try GPT(config: GPTConfig(nLayer: 2, nHead: 4, nEmbd: width, contextLength: 32, vocabularySize: 96), seed: 7)
        let llama = try Llama.load(directory: QuantizedInferenceTests.fixtures.appendingPathComponent("llama_tiny"))
        try gpt.quantize(to: type)
        try llama.quantize(to: type)
        for model in [gpt, llama] as [any LanguageModel] {
            let ids = (0..<12).map { ($0 * 11 + 5) % model.vocabularySize }
            let prefill = try model.forward(ids, cache: model.makeCache(), allLogits: true).scalars
            let cache = model.makeCache()
            var decode: [Float] = []
            for id in ids { decode += try model.forward([id], cache: cache).scalars }
            let diff = Fixtures.maxAbsoluteDifference(prefill, decode)
            #expect(diff <= 1e-2, "\(type) \(Swift.type(of: model)): max |Δlogit| \(diff)")
        }
    }
}

@Suite("GPT-2 GGUF zero-copy inference")
struct GPTGGUFTests {
    /// Writing the fixture as `type` GGUF and loading it back runs the very same blocks (byte-equal
    /// matrices). Logits differ only through the token embedding, which the file stores as `type`.
    @Test(arguments: WeightType.allCases)
    func writeThenLoadRunsTheSameBlocks(type: WeightType) throws {
        let dir = QuantizedInferenceTests.fixtures.appendingPathComponent("gpt2_tiny")
        let ids = try Fixtures.integers(dir.appendingPathComponent("reference.safetensors"), "input_ids_full")
        let model = try GPT.load(directory: dir)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-gpt2-\(type)-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.ggufWriter(type: type).write(to: url)
        try model.quantize(to: type)
        let loaded = try GPT.load(gguf: url)
        #expect(loaded.inferenceWeights?.matrices["h.0.mlp.c_fc.weight"]?.type == type.fallback(forInputs: 32))
        for (name, m) in model.inferenceWeights!.matrices {
            let l = try #require(loaded.inferenceWeights?.matrices[name])
            #expect(Array(UnsafeRawBufferPointer(start: m.base, count: m.byteCount)) == Array(UnsafeRawBufferPointer(start: l.base, count: l.byteCount)))
        }
        let a = try QuantizedInferenceTests().run(model, ids), b = try QuantizedInferenceTests().run(loaded, ids)
        let diff = Fixtures.maxAbsoluteDifference(a, b)
        #expect(diff <= QuantizedInferenceTests.tolerance[type]!, "max |Δlogit| \(diff)")
    }
}
