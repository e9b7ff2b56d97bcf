// SFT packing and the masked loss against PyTorch: Scripts/reference/sft_masked_loss_reference.py
// packs fixed examples (prompt segments masked, reply segments trained, plus a cut-long example, one
// with no reply and one of a single token) by SFTData.swift's documented rule and takes the tiny
// Llama's cross-entropy with ignore_index=-100; Quill must pack the same rows exactly and give the
// same loss and parameter gradients (float32 on both sides; tolerances below).
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor
import TestSupport
@testable import QuillTraining

@Suite("SFT data and masked loss")
struct SFTDataTests {
    static let model = Fixtures.repositoryRoot.appendingPathComponent("Tests/QuillModelsTests/Fixtures/llama_tiny")
    static let reference = Fixtures.repositoryRoot
        .appendingPathComponent("Tests/QuillTrainingTests/Fixtures/sft_masked/reference.safetensors")
    /// |loss − torch loss| relative to the loss (~5.1).
    static let lossTolerance: Float = 1e-5
    /// Largest |g − torch g| over every parameter's gradient, relative to that tensor's largest |torch g|.
    static let gradientTolerance: Float = 1e-4

    static func examples() throws -> [SFTExample] {
        let tokens = try Fixtures.integers(reference, "example_tokens").map(Int32.init)
        let mask = try Fixtures.integers(reference, "example_mask").map { $0 != 0 }
        var start = 0
        return try Fixtures.integers(reference, "example_lengths").map { n in
            defer { start += n }
            return try SFTExample(tokens: Array(tokens[start..<start + n]), lossMask: Array(mask[start..<start + n]))
        }
    }

    @Test func packsAsTheReference() throws {
        let packed = try SFTPacking.pack(try Self.examples(), time: 12, padToken: 0)
        #expect(packed.inputs == (try Fixtures.integers(Self.reference, "inputs").map(Int32.init)))
        #expect(packed.targets == (try Fixtures.integers(Self.reference, "targets").map(Int32.init)))
        #expect(packed.rows == 6)
    }

    /// Hand-worked: [p p a a] then [p a] into rows of 4: 3 positions, then 1 (fits: 4), pads none.
    @Test func handWorkedPacking() throws {
        let a = SFTExample(segments: [([10, 11], false), ([12, 13], true)])
        let b = SFTExample(segments: [([20], false), ([21], true)])
        let c = SFTExample(segments: [([30, 31, 32], false)])   // nothing to train: skipped
        let packed = try SFTPacking.pack([a, c, b, b], time: 4, padToken: 7)
        #expect(packed.rows == 2)
        #expect(packed.inputs == [10, 11, 12, 20, 20, 7, 7, 7])
        #expect(packed.targets == [-100, 12, 13, 21, 21, -100, -100, -100])
        #expect(a.trainedTargets == 2 && c.trainedTargets == 0)
    }

    @Test func mismatchedMaskIsATypedError() {
        #expect(throws: TrainingError.self) { try SFTExample(tokens: [1, 2], lossMask: [true]) }
        #expect(throws: TrainingError.self) {
            try SFTLoader(examples: [SFTExample(segments: [([1, 2], false)])], batchSize: 1, time: 4, padToken: 0,
                          seed: 0, name: "train")
        }
    }

    @Test func maskedLossAndGradientsMatchPyTorch() throws {
        let tensors = try Fixtures.tensors(Self.reference)
        let inputs = try Fixtures.integers(Self.reference, "inputs").map(Int32.init)
        let targets = try Fixtures.integers(Self.reference, "targets").map(Int32.init)
        let model = try TrainableModels.load(Self.model)
        var rng = RandomGenerator(seed: 0)
        model.zeroGradients()
        let tape = GradientTape()
        let loss = tape.record {
            model.loss(inputs, targets: targets, batch: inputs.count / 12, time: 12, training: true, rng: &rng)
        }
        tape.backward(from: loss)
        let expected = tensors["loss"]!.scalars[0]
        #expect(abs(loss.scalars[0] - expected) <= Self.lossTolerance * expected, "loss \(loss.scalars[0]), torch \(expected)")
        var worst: Float = 0, worstName = ""
        for (name, parameter) in model.namedParameters {
            let reference = try #require(tensors["grad." + name], "the reference has no gradient for \(name)")
            let grad = try #require(parameter.grad, "\(name) got no gradient")
            let scale = reference.scalars.map(abs).max() ?? 1
            let d = Fixtures.maxAbsoluteDifference(grad.scalars, reference.scalars) / max(scale, 1e-12)
            if d > worst { (worst, worstName) = (d, name) }
        }
        #expect(worst <= Self.gradientTolerance, "largest relative gradient difference \(worst) in \(worstName)")
        print("SFT masked loss: |Δloss| \(abs(loss.scalars[0] - expected)), worst relative gradient difference \(worst) (\(worstName))")
    }

    /// The same rows drawn twice from the same seed, and a restored RNG continues identically.
    @Test func loaderIsDeterministicAndResumes() throws {
        let examples = try Self.examples()
        var a = try SFTLoader(examples: examples, batchSize: 3, time: 12, padToken: 0, seed: 9, name: "train")
        var b = a
        _ = a.next()
        let saved = a.rng
        let second = a.next()
        _ = b.next()
        var c = try SFTLoader(examples: examples, batchSize: 3, time: 12, padToken: 0, seed: 0, name: "train")
        c.restore(rng: saved, batchesDrawn: 1)
        #expect(c.next().inputs == second.inputs && b.next().targets == second.targets)
        #expect(a.sequentialBatches().map(\.batchSize) == [3, 3])
    }
}
