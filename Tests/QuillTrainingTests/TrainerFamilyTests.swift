// The one Trainer over other families than a fresh GPT: the llama_tiny and qwen2_tiny (q/k/v biases,
// tied head) fixtures continued from their HF directories (loss falls, resume is bit-identical,
// checkpoints reload as the same family), a GPT given as
// --model, SmolLM2 from its Q4_1 GGUF dequantized (when the asset is present), and clear errors for
// what cannot be trained.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor
import QuillTokenizer
import TestSupport
@testable import QuillTraining

@Suite("Trainer over model families")
struct TrainerFamilyTests {
    static func fixture(_ name: String) -> URL {
        Fixtures.repositoryRoot.appendingPathComponent("Tests/QuillModelsTests/Fixtures/\(name)")
    }
    static let llamaTiny = fixture("llama_tiny")

    /// A repetitive corpus in ids below 64 (llama_tiny's vocabulary), so a few steps visibly learn it.
    static func smallVocabularyCorpus(_ tag: String) throws -> URL {
        let dir = temporaryDirectory(tag)
        let pattern = [3, 17, 42, 5, 9, 33, 61, 12, 7, 28, 50, 2]
        let ids = (0..<1200).map { pattern[$0 % pattern.count] }
        try TokenShard.write(Array(ids[0..<1000]), to: dir.appendingPathComponent("train.bin"))
        try TokenShard.write(Array(ids[1000...]), to: dir.appendingPathComponent("val.bin"))
        return dir
    }

    static func llamaConfig(data: URL, model: URL = llamaTiny) -> TrainingConfig {
        var c = TrainingConfig()
        c.model = model.path
        c.data = data.path; c.batchSize = 2; c.sequenceLength = 16; c.gradientAccumulation = 2
        c.maxSteps = 6; c.learningRate = 3e-3; c.minLearningRate = 3e-4; c.warmupSteps = 2
        c.evalInterval = 3; c.evalBatches = 2; c.checkpointInterval = 100
        return c
    }

    @Test(arguments: ["llama_tiny", "qwen2_tiny"])
    func llamaFamilyTrainsAndResumesBitIdentically(fixture: String) throws {
        let data = try Self.smallVocabularyCorpus("llama-data")
        let config = Self.llamaConfig(data: data, model: Self.fixture(fixture))
        let straight = try makeTrainer(config, temporaryDirectory("llama-straight"))
        let family = try #require(straight.model as? Llama).config.modelType
        #expect(family == String(fixture.prefix(while: { $0 != "_" })))
        try straight.run()
        let losses = straight.state.trainLosses.map(\.loss)
        #expect(losses.count == 6)
        #expect(losses.last! < losses.first!, "loss did not fall: \(losses)")

        let out = temporaryDirectory("llama-split")
        try makeTrainer(config, out).run(stopAfter: 4)
        let resumed = try makeTrainer(config, out, resume: true)
        #expect(resumed.state.step == 4)
        #expect(resumed.model is Llama)
        try resumed.run()
        #expect(resumed.state.trainLosses == straight.state.trainLosses)
        #expect(resumed.state.validationLosses == straight.state.validationLosses)
        for ((name, a), (_, b)) in zip(straight.model.namedParameters, resumed.model.namedParameters) {
            #expect(a.scalars == b.scalars, "\(name) differs after resume")
        }
        // What the trainer holds generates as it is (TrainableModel refines LanguageModel).
        let logits = try resumed.model.forward([3, 17, 42], cache: resumed.model.makeCache())
        #expect(logits.shape == [1, 64])
        // The checkpoint and the top of the output folder are Llama directories with the final weights.
        let reloaded = try Llama.load(directory: try Checkpoint.latestDirectory(in: out))
        #expect(reloaded.config.modelType == family)
        let top = try Llama.load(directory: out)
        for ((name, a), (_, b)) in zip(top.namedParameters, resumed.model.namedParameters) {
            #expect(a.scalars == b.scalars, "\(name) at the top of the output folder is not the final model")
        }
    }

    @Test func gptGivenAsModelContinuesFromItsWeights() throws {
        let data = try makeCorpus("gpt-model")
        let first = temporaryDirectory("gpt-first")
        let fresh = try makeTrainer(tinyConfig(data: data), first)
        try fresh.run()
        var c = tinyConfig(data: data)
        c.model = first.path
        c.nLayer = 7                            // ignored: the shape is the model's
        let continued = try makeTrainer(c, temporaryDirectory("gpt-second"))
        #expect((continued.model as? GPT)?.config.nLayer == 2)
        for ((name, a), (_, b)) in zip(fresh.model.namedParameters, continued.model.namedParameters) {
            #expect(a.scalars == b.scalars, "\(name) was not loaded from the given model")
        }
        try continued.run(stopAfter: 1)
        #expect(continued.state.trainLosses.count == 1)
    }

    @Test func untrainableInputsAreTypedErrors() throws {
        let data = try Self.smallVocabularyCorpus("bad-model")
        var c = Self.llamaConfig(data: data)
        c.model = temporaryDirectory("no-model").appendingPathComponent("missing").path
        #expect(throws: ModelError.self) { try makeTrainer(c, temporaryDirectory("bad-a")) }
        // A file that is not GGUF.
        let junk = temporaryDirectory("junk").appendingPathComponent("weights.bin")
        try Data("not a model".utf8).write(to: junk)
        c.model = junk.path
        #expect(throws: ModelError.self) { try makeTrainer(c, temporaryDirectory("bad-b")) }
        // Longer windows than the model's context (128 positions).
        c = Self.llamaConfig(data: data)
        c.sequenceLength = 200
        #expect(throws: TrainingError.self) { try makeTrainer(c, temporaryDirectory("bad-c")) }
        // Byte-level ids (up to 256) in a 64-id vocabulary.
        c = Self.llamaConfig(data: try makeCorpus("bytes-for-llama"))
        #expect(throws: TrainingError.self) { try makeTrainer(c, temporaryDirectory("bad-d")) }
    }

    /// SmolLM2-135M-Instruct from its Q4_1 GGUF: dequantized to F32, one step on a tiny batch lowers
    /// the loss of that batch, and a checkpoint of it reloads as a tied-head Llama.
    @Test func smolLM2FromGGUFTrains() throws {
        guard let gguf = Fixtures.asset("SmolLM2-135M-Instruct.Q4_1.gguf") else {
            print("skipping: .assets/SmolLM2-135M-Instruct.Q4_1.gguf is missing (make assets)")
            return
        }
        let model = try TrainableModels.load(gguf)
        let llama = try #require(model as? Llama)
        #expect(llama.config.tieWordEmbeddings && llama.lmHead == nil)
        let ids: [Int32] = [1, 4093, 314, 253, 1345, 28, 357, 4093, 314]
        let batch = Batch(inputs: Array(ids.dropLast()), targets: Array(ids.dropFirst()), batchSize: 1, time: 8)
        let optimizer = AdamW(parameters: model.namedParameters, hyperparameters: .init(weightDecay: 0))
        let stepper = OptimizerStep(model: model, optimizer: optimizer,
                                    schedule: LearningRateSchedule(maxLearningRate: 1e-4, minLearningRate: 1e-4, warmupSteps: 0, decaySteps: 1),
                                    gradientClip: 1)
        var rng = RandomGenerator(seed: 0)
        let first = try stepper.run([batch], step: 0, rng: &rng)
        let second = try stepper.run([batch], step: 1, rng: &rng)
        #expect(first.loss.isFinite && first.gradientNorm > 0)
        #expect(second.loss < first.loss, "one step did not lower the loss of its own batch: \(first.loss) → \(second.loss)")
        // The run's output folder gets the GGUF's tokenizer as tokenizer.json, encoding as the GGUF does.
        let dir = temporaryDirectory("smol-tokenizer")
        let written = try TokenizerFiles.copy(from: gguf, to: dir)
        #expect(written.contains("tokenizer.json") && written.contains("chat_template.jinja"))
        let original = try GGUFTokenizer.load(spec: gguf.path)
        let copied = try TokenizerLoader.load(dir.path)
        for text in ["Hello world, it's 2026 — naïve café!", "  def f(x):\n\treturn x**2  # 12345", "<|im_start|>user"] {
            #expect(copied.encode(text) == original.encode(text), "\(text)")
        }
    }
}
