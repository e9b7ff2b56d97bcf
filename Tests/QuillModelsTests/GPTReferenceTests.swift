// The whole GPT-2 against an independent numpy implementation (Scripts/reference/gpt2_reference.py, checked
// there by finite differences and against transformers): logits, loss, every parameter gradient,
// full-context logits and a greedy continuation through the KV cache. Model of: llm.c's test_gpt2.
import Foundation
import Testing
import QuillModels
import QuillTensor
import TestSupport

@Suite("GPT-2 vs numpy reference")
struct GPTReferenceTests {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/gpt2_tiny")

    func loadModel() throws -> GPT { try GPT.load(directory: Self.directory) }

    @Test func logitsLossAndEveryGradientMatch() throws {
        let model = try loadModel()
        let ref = try Fixtures.tensors(Self.directory.appendingPathComponent("reference.safetensors"))
        let ids = try Fixtures.integers(Self.directory.appendingPathComponent("reference.safetensors"), "input_ids").map { Int32($0) }
        let targets = try Fixtures.integers(Self.directory.appendingPathComponent("reference.safetensors"), "targets").map { Int32($0) }
        var rng = RandomGenerator(seed: 0)
        let tape = GradientTape()
        let (logits, loss) = tape.record { () -> (Tensor, Tensor) in
            let l = model.logits(ids, batch: 2, time: 8, rng: &rng)
            return (l, crossEntropy(l, targets: targets))
        }
        // Tolerances: fp32 vs float64 reference; logits 1e-4 (issue), loss 1e-5, gradients 1e-4 abs.
        #expect(Fixtures.maxAbsoluteDifference(logits.scalars, ref["logits"]!.scalars) < 1e-4)
        #expect(abs(loss.scalars[0] - ref["loss"]!.scalars[0]) < 1e-5)
        tape.backward(from: loss)
        for (name, tensor) in model.namedParameters {
            let expected = try #require(ref["grad." + name], "reference has no gradient for \(name)")
            let diff = Fixtures.maxAbsoluteDifference(tensor.grad!.scalars, expected.scalars)
            #expect(diff < 1e-4, "gradient of \(name) differs by \(diff)")
        }
    }

    @Test func fullContextLogitsMatch() throws {
        let model = try loadModel()
        let url = Self.directory.appendingPathComponent("reference.safetensors")
        let ids = try Fixtures.integers(url, "input_ids_full").map { Int32($0) }
        var rng = RandomGenerator(seed: 0)
        let logits = model.logits(ids, batch: 1, time: ids.count, rng: &rng)
        #expect(Fixtures.maxAbsoluteDifference(logits.scalars, try Fixtures.tensors(url)["logits_full"]!.scalars) < 1e-4)
    }

    @Test func cachedForwardMatchesFullForward() throws {
        // Prefill 10 tokens, then 6 one at a time: every step's logits equal the full pass's rows.
        let model = try loadModel()
        let url = Self.directory.appendingPathComponent("reference.safetensors")
        let ids = try Fixtures.integers(url, "input_ids_full")
        let full = try Fixtures.tensors(url)["logits_full"]!
        let V = model.vocabularySize
        let cache = model.makeCache()
        let prefill = try model.forward(Array(ids[0..<10]), cache: cache, allLogits: true)
        #expect(Fixtures.maxAbsoluteDifference(prefill.scalars, Array(full.scalars[0..<10 * V])) < 1e-4)
        for t in 10..<16 {
            let step = try model.forward([ids[t]], cache: cache)
            #expect(Fixtures.maxAbsoluteDifference(step.scalars, Array(full.scalars[t * V..<(t + 1) * V])) < 1e-4)
        }
        #expect(throws: ModelError.contextOverflow(needed: 17, contextLength: 16)) {
            try model.forward([1], cache: cache)
        }
    }

    @Test func greedyContinuationThroughTheCacheMatches() throws {
        let model = try loadModel()
        let url = Self.directory.appendingPathComponent("greedy.safetensors")
        let prompt = try Fixtures.integers(url, "prompt"), expected = try Fixtures.integers(url, "generated")
        let cache = model.makeCache()
        var logits = try model.forward(prompt, cache: cache)
        var generated: [Int] = []
        for _ in 0..<expected.count {
            let next = logits.scalars.indices.max { logits.scalars[$0] < logits.scalars[$1] }!
            generated.append(next)
            logits = try model.forward([next], cache: cache)
        }
        #expect(generated == expected)
    }

    @Test func saveThenLoadRoundTripsExactly() throws {
        let model = try loadModel()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-gpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.save(directory: dir)
        let again = try GPT.load(directory: dir)
        #expect(again.config == model.config)
        for ((n1, t1), (_, t2)) in zip(model.namedParameters, again.namedParameters) {
            #expect(t1.scalars == t2.scalars, "\(n1) changed in the round trip")
        }
    }

    @Test func badTokenIdsAreTypedErrors() throws {
        let model = try loadModel()
        #expect(throws: ModelError.tokenOutOfRange(id: 64, vocabularySize: 64)) {
            try model.forward([1, 64], cache: model.makeCache())
        }
        #expect(throws: ModelError.tokenOutOfRange(id: -1, vocabularySize: 64)) {
            try model.forward([-1], cache: model.makeCache())
        }
    }
}
