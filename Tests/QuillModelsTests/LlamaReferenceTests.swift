// Llama, Llama with linear and llama3 RoPE scaling, and Qwen2 (biases, tied head) against the numpy
// reference (Scripts/reference/llama_reference.py, checked there against transformers): logits through the
// training and the cached path, 64 greedy tokens through the KV cache, prefill vs one-at-a-time.
import Foundation
import Testing
import QuillModels
import QuillTensor
import TestSupport

@Suite("Llama family vs numpy reference")
struct LlamaReferenceTests {
    static let folders = ["llama_tiny", "llama_scaled_linear", "llama_scaled_llama3", "qwen2_tiny"]

    static func directory(_ folder: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(folder)")
    }

    @Test(arguments: folders)
    func logitsMatchThroughBothPaths(folder: String) throws {
        let model = try Llama.load(directory: Self.directory(folder))
        let url = Self.directory(folder).appendingPathComponent("reference.safetensors")
        let ids = try Fixtures.integers(url, "input_ids")
        let expected = try Fixtures.tensors(url)["logits"]!.scalars
        // Tolerance 1e-4 max abs (fp32 vs the float64 reference; transformers lands within 1.2e-5).
        let training = model.logits(ids.map { Int32($0) }, batch: 1, time: ids.count)
        let trainingDiff = Fixtures.maxAbsoluteDifference(training.scalars, expected)
        #expect(trainingDiff < 1e-4, "\(folder): training-path logits differ by \(trainingDiff)")
        let cached = try model.forward(ids, cache: model.makeCache(), allLogits: true)
        let cachedDiff = Fixtures.maxAbsoluteDifference(cached.scalars, expected)
        #expect(cachedDiff < 1e-4, "\(folder): cached-path logits differ by \(cachedDiff)")
    }

    @Test(arguments: folders)
    func greedyContinuationThroughTheCacheMatches(folder: String) throws {
        let model = try Llama.load(directory: Self.directory(folder))
        let url = Self.directory(folder).appendingPathComponent("greedy.safetensors")
        let prompt = try Fixtures.integers(url, "prompt"), expected = try Fixtures.integers(url, "generated")
        let cache = model.makeCache()
        var logits = try model.forward(prompt, cache: cache)
        var generated: [Int] = []
        for _ in 0..<expected.count {
            let row = logits.scalars
            let next = row.indices.max { row[$0] < row[$1] }!
            generated.append(next)
            logits = try model.forward([next], cache: cache)
        }
        #expect(generated == expected)
    }

    @Test(arguments: folders)
    func prefillThenOneAtATimeEqualsOnePass(folder: String) throws {
        let model = try Llama.load(directory: Self.directory(folder))
        let ids = try Fixtures.integers(Self.directory(folder).appendingPathComponent("reference.safetensors"), "input_ids")
        let V = model.vocabularySize
        let full = try model.forward(ids, cache: model.makeCache(), allLogits: true).scalars
        let cache = model.makeCache()
        let split = ids.count / 3
        let prefill = try model.forward(Array(ids[..<split]), cache: cache, allLogits: true).scalars
        #expect(Fixtures.maxAbsoluteDifference(prefill, Array(full[..<(split * V)])) < 1e-5)
        for t in split..<ids.count {
            let step = try model.forward([ids[t]], cache: cache).scalars
            let diff = Fixtures.maxAbsoluteDifference(step, Array(full[t * V..<(t + 1) * V]))
            #expect(diff < 1e-5, "\(folder): position \(t) differs by \(diff)")
        }
        #expect(cache.length == ids.count)
    }

    @Test func trainingGradientsMatchFiniteDifferences() throws {
        let model = try Llama.load(directory: Self.directory("qwen2_tiny"))
        let ids: [Int32] = [3, 17, 42, 8, 8, 60]
        let layer = model.layers[1]
        let inputs = [model.norm.weight, layer.key.weight, layer.key.bias!, model.layers[0].inputNorm.weight]
        let bad = GradientCheck.mismatches(inputs: inputs, epsilon: 1e-2) {
            model.loss(ids, targets: [17, 42, 8, 8, 60, 1], batch: 2, time: 3)
        }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }

    @Test func saveThenLoadRoundTripsExactly() throws {
        for folder in ["llama_scaled_llama3", "qwen2_tiny"] {
            let model = try Llama.load(directory: Self.directory(folder))
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-llama-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            try model.save(directory: dir)
            let again = try Llama.load(directory: dir)
            #expect(again.config == model.config)
            #expect(again.namedParameters.map(\.name) == model.namedParameters.map(\.name))
            for ((name, a), (_, b)) in zip(model.namedParameters, again.namedParameters) {
                #expect(a.scalars == b.scalars, "\(folder): \(name) changed in the round trip")
            }
        }
    }

    @Test func badTokensAndContextOverflowAreTypedErrors() throws {
        let model = try Llama.load(directory: Self.directory("llama_tiny"))
        #expect(throws: ModelError.tokenOutOfRange(id: 64, vocabularySize: 64)) {
            try model.forward([1, 64], cache: model.makeCache())
        }
        let cache = model.makeCache()
        _ = try model.forward(Array(repeating: 5, count: 128), cache: cache)
        #expect(throws: ModelError.contextOverflow(needed: 129, contextLength: 128)) {
            try model.forward([1], cache: cache)
        }
        let small = model.makeCache(capacity: 8)
        _ = try model.forward(Array(repeating: 5, count: 8), cache: small)
        #expect(throws: ModelError.contextOverflow(needed: 9, contextLength: 8)) {
            try model.forward([1], cache: small)
        }
    }
}
