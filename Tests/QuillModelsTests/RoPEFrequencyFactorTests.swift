// Llama 3.1 RoPE scaling from GGUF: llama.cpp stores it as the tensor rope_freqs.weight (one divisor
// per frequency), not as a rope.scaling.type key. Checked against the numpy reference of both forms
// (Scripts/reference/rope_freqs_reference.py): Quill's exported divisors, the frequencies a file
// carrying the reference divisors loads with, the logits it gives (against the llama3 fixture's
// reference logits), and typed errors for divisors a file cannot mean.
import Foundation
import Testing
import QuillFormats
import QuillModels
import TestSupport

@Suite("RoPE frequency factors (GGUF rope_freqs)")
struct RoPEFrequencyFactorTests {
    struct Case: Decodable {
        let name: String, head_dim: Int, theta: Double, factor: Double, low: Double, high: Double, original: Int
        let hf_inverse_frequencies: [Double], rope_freqs: [Double], rope_freqs_float32: [Float]
        var scaling: RoPEScaling { .llama3(factor: factor, lowFrequencyFactor: low, highFrequencyFactor: high, originalContextLength: original) }
    }

    static let cases: [Case] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/rope_freqs/reference.json")
        return try! JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
    }()

    static func fixture(_ folder: String) -> URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)") }

    static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) / abs($1) }.max()!
    }

    /// The divisors Quill writes for llama3 scaling are llama.cpp's (relative error < 1e-12, float64 both).
    @Test func exportedDivisorsMatchTheReference() {
        for c in Self.cases {
            let factors = c.scaling.ggufFrequencyFactors(headSize: c.head_dim, theta: c.theta)!
            #expect(Self.relativeError(factors, c.rope_freqs) < 1e-12, "\(c.name)")
            // Dividing the defaults by the reference divisors gives HF's llama3 frequencies.
            let frequencies = RoPEScaling.inverseFrequencies(headSize: c.head_dim, theta: c.theta,
                                                             scaling: .frequencyFactors(c.rope_freqs), contextLength: 1, length: 1)
            #expect(Self.relativeError(frequencies, c.hf_inverse_frequencies) < 1e-12, "\(c.name)")
        }
    }

    /// The llama3 fixture as a Quill-written GGUF, its rope_freqs.weight replaced by `factors`
    /// (nil: dropped), metadata changed by `metadata`.
    static func gguf(factors: [Float]?, shape: [Int]? = nil, metadata: [String: GGUFValue] = [:]) throws -> GGUFFile {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-rope-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try ModelConverter.convert(input: fixture("llama_scaled_llama3"), output: url)
        let source = try GGUFFile(url: url)
        var writer = GGUFWriter()
        for key in source.metadataKeys { writer.addMetadata(key, metadata[key] ?? source.metadata[key]!) }
        for (key, value) in metadata where source.metadata[key] == nil { writer.addMetadata(key, value) }
        for info in source.tensors where info.name != "rope_freqs.weight" {
            try writer.addTensor(name: info.name, type: info.type, shape: info.shape, bytes: source.tensor(named: info.name)!.bytes)
        }
        #expect(source.tensor(named: "rope_freqs.weight") != nil, "Quill's GGUF export of a llama3 model writes rope_freqs.weight")
        if let factors { try writer.addTensor(name: "rope_freqs.weight", shape: shape ?? [factors.count], floats: factors) }
        return try GGUFFile(bytes: writer.serialized(), fileName: "llama3-rope.gguf")
    }

    @Test func ggufWithRopeFreqsRunsScaled() throws {
        let c = Self.cases.first { $0.name == "llama_scaled_llama3" }!
        let model = try GGUFCheckpoint.loadModel(try Self.gguf(factors: c.rope_freqs_float32), forInference: true) as! Llama
        // Float32 storage of the divisors: relative error < 1e-7.
        #expect(Self.relativeError(model.config.ropeFrequencies(length: 1), c.hf_inverse_frequencies) < 1e-7)
        let reference = Self.fixture("llama_scaled_llama3").appendingPathComponent("reference.safetensors")
        let ids = try Fixtures.integers(reference, "input_ids"), expected = try Fixtures.tensors(reference)["logits"]!.scalars
        let logits = try model.forward(ids, cache: model.makeCache(), allLogits: true).scalars
        // 1e-4 max abs, as the safetensors path (LlamaReferenceTests).
        #expect(Fixtures.maxAbsoluteDifference(logits, expected) < 1e-4)
        // Without the tensor the same weights run unscaled, visibly apart from the reference.
        let unscaled = try GGUFCheckpoint.loadModel(try Self.gguf(factors: nil), forInference: true)
        let apart = Fixtures.maxAbsoluteDifference(try unscaled.forward(ids, cache: unscaled.makeCache(), allLogits: true).scalars, expected)
        #expect(apart > 1e-2, "unscaled logits differ by only \(apart)")
    }

    @Test func linearScalingMultipliesTheDivisors() throws {
        let c = Self.cases.first { $0.name == "llama_scaled_llama3" }!
        let file = try Self.gguf(factors: c.rope_freqs_float32, metadata: [
            "llama.rope.scaling.type": .string("linear"), "llama.rope.scaling.factor": .float32(2)])
        let model = try GGUFCheckpoint.loadModel(file) as! Llama
        #expect(Self.relativeError(model.config.ropeFrequencies(length: 1), c.hf_inverse_frequencies.map { $0 / 2 }) < 1e-7)
    }

    @Test(arguments: [([Float](repeating: 1, count: 3), nil), ([Float](repeating: 1, count: 5), nil), ([1, 2, 0, 8], nil),
                      ([1, -2, 8, 8], nil), ([1, .nan, 8, 8], nil), ([1, .infinity, 8, 8], nil), ([1, 2, 8, 8], [2, 2])] as [([Float], [Int]?)])
    func divisorsAFileCannotMeanAreTypedErrors(factors: [Float], shape: [Int]?) throws {
        let file = try Self.gguf(factors: factors, shape: shape)
        #expect(throws: ModelError.self) { _ = try GGUFCheckpoint.loadModel(file) }
    }

    @Test func partialRotaryEmbeddingsAreRefused() throws {
        let file = try Self.gguf(factors: nil, metadata: ["llama.rope.dimension_count": .uint32(4)])
        #expect(throws: ModelError.self) { _ = try GGUFCheckpoint.loadModel(file) }
    }

    /// A model whose scaling exists only as divisors has no config.json form: saving says so.
    @Test func divisorsHaveNoConfigJSONForm() throws {
        let c = Self.cases.first { $0.name == "llama_scaled_llama3" }!
        let model = try GGUFCheckpoint.loadModel(try Self.gguf(factors: c.rope_freqs_float32)) as! Llama
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-rope-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ModelError.self) { try model.save(directory: dir) }
    }
}
