// Training behaviour on tiny corpora built in code: overfitting one batch, determinism for a fixed
// seed, resume equal to an uninterrupted run, and clear errors for bad inputs.
import Foundation
import Testing
import QuillModels
import QuillNN
import QuillTensor
import QuillTokenizer
@testable import QuillTraining

func temporaryDirectory(_ tag: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-\(tag)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes train.bin / val.bin from a small repeated text and returns the data folder.
func makeCorpus(_ tag: String) throws -> URL {
    let dir = temporaryDirectory(tag)
    let text = String(repeating: "to be or not to be, that is the question. ", count: 40)
    let ids = ByteTokenizer().encode(text)
    try TokenShard.write(Array(ids[0..<1400]), to: dir.appendingPathComponent("train.bin"))
    try TokenShard.write(Array(ids[1400...]), to: dir.appendingPathComponent("val.bin"))
    return dir
}

func tinyConfig(data: URL) -> TrainingConfig {
    var c = TrainingConfig()
    c.nLayer = 2; c.nHead = 2; c.nEmbd = 32; c.contextLength = 32
    c.data = data.path; c.batchSize = 4; c.sequenceLength = 16; c.gradientAccumulation = 2
    c.maxSteps = 6; c.learningRate = 3e-3; c.minLearningRate = 3e-4; c.warmupSteps = 2
    c.evalInterval = 3; c.evalBatches = 2; c.checkpointInterval = 100; c.dropout = 0.1
    return c
}

func makeTrainer(_ c: TrainingConfig, _ out: URL, resume: Bool = false) throws -> Trainer {
    try Trainer(config: c, output: out, tokenizerName: "bytes", vocabularySize: 257, eosTokenID: 256, resume: resume)
}

@Suite("Trainer")
struct TrainerTests {
    @Test func tinyModelOverfitsOneBatch() throws {
        let config = GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: 16, vocabularySize: 257)
        let model = try GPT(config: config, seed: 3)
        let ids = ByteTokenizer().encode("the quick brown fox jumps over!").map { Int32($0) }
        let inputs = Array(ids[0..<16]) + Array(ids[8..<24]), targets = Array(ids[1..<17]) + Array(ids[9..<25])
        let optimizer = AdamW(parameters: model.namedParameters, hyperparameters: .init(weightDecay: 0))
        var rng = RandomGenerator(seed: 0)
        var last: Float = .infinity
        for _ in 0..<150 {
            model.zeroGradients()
            let tape = GradientTape()
            let loss = tape.record { model.loss(inputs, targets: targets, batch: 2, time: 16, rng: &rng) }
            last = loss.scalars[0]
            tape.backward(from: loss)
            optimizer.update(learningRate: 1e-2)
        }
        #expect(last < 0.05, "loss after 150 steps on one batch: \(last)")
    }

    @Test func sameSeedGivesTheSameLossCurve() throws {
        let data = try makeCorpus("det")
        let a = try makeTrainer(tinyConfig(data: data), temporaryDirectory("a"))
        let b = try makeTrainer(tinyConfig(data: data), temporaryDirectory("b"))
        try a.run(); try b.run()
        #expect(a.state.trainLosses == b.state.trainLosses)
        #expect(a.state.trainLosses.count == 6)
        #expect(a.state.trainLosses.last!.loss < a.state.trainLosses.first!.loss)
    }

    @Test func resumeContinuesBitIdentically() throws {
        let data = try makeCorpus("resume")
        let straight = try makeTrainer(tinyConfig(data: data), temporaryDirectory("straight"))
        try straight.run()

        let out = temporaryDirectory("split")
        let first = try makeTrainer(tinyConfig(data: data), out)
        try first.run(stopAfter: 4)                 // checkpoint at step 4 (after an eval at 3)
        let resumed = try makeTrainer(tinyConfig(data: data), out, resume: true)
        #expect(resumed.state.step == 4)
        try resumed.run()
        #expect(resumed.state.trainLosses == straight.state.trainLosses)
        #expect(resumed.state.validationLosses == straight.state.validationLosses)
        for ((name, a), (_, b)) in zip(straight.model.namedParameters, resumed.model.namedParameters) {
            #expect(a.scalars == b.scalars, "\(name) differs after resume")
        }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("loss_curve.svg").path))
        // The top of the output folder is the latest model, loadable as an HF directory.
        let exported = try GPT.load(directory: out)
        for ((name, a), (_, b)) in zip(exported.namedParameters, resumed.model.namedParameters) {
            #expect(a.scalars == b.scalars, "\(name) at the top of the output folder is not the final model")
        }
    }

    @Test func resumeWithDifferentConfigOrTornCheckpointFails() throws {
        let data = try makeCorpus("torn")
        let out = temporaryDirectory("torn-out")
        try makeTrainer(tinyConfig(data: data), out).run(stopAfter: 2)
        var changed = tinyConfig(data: data)
        changed.learningRate = 1
        #expect(throws: TrainingError.self) { try makeTrainer(changed, out, resume: true) }
        // A checkpoint whose files disagree (cannot come from a save, which is one atomic step, but
        // can from hand edits): the state says step 5, the optimizer step 2.
        let checkpoint = try Checkpoint.latestDirectory(in: out)
        #expect(checkpoint.lastPathComponent == "step-00000002")
        let statePath = checkpoint.appendingPathComponent("trainer_state.json")
        var state = try Checkpoint.loadState(from: checkpoint)
        state.step = 5
        try JSONEncoder().encode(state).write(to: statePath)
        #expect(throws: TrainingError.self) { try makeTrainer(tinyConfig(data: data), out, resume: true) }
    }

    @Test func badInputsAreTypedErrors() throws {
        let data = try makeCorpus("bad")
        var c = tinyConfig(data: data)
        c.sequenceLength = 64   // longer than context_length 32
        #expect(throws: TrainingError.self) { try makeTrainer(c, temporaryDirectory("bad1")) }
        // Shard with ids beyond the vocabulary.
        let dir = temporaryDirectory("bigids")
        try TokenShard.write(Array(repeating: 300, count: 100), to: dir.appendingPathComponent("train.bin"))
        try TokenShard.write(Array(repeating: 1, count: 100), to: dir.appendingPathComponent("val.bin"))
        #expect(throws: TrainingError.self) { try makeTrainer(tinyConfig(data: dir), temporaryDirectory("bad2")) }
        // Not a shard at all.
        let junk = dir.appendingPathComponent("junk.bin")
        try Data("hello world, not tokens".utf8).write(to: junk)
        #expect(throws: TokenShardError.badMagic(path: junk.path)) { try TokenShard(url: junk) }
    }

    @Test func flatYAMLConfigParses() throws {
        let yaml = "n_layer: 3  # blocks\nlearning_rate: 0.002\ndata: \"some/dir\"\nbias: false\n"
        let url = temporaryDirectory("yaml").appendingPathComponent("c.yaml")
        try Data(yaml.utf8).write(to: url)
        let c = try TrainingConfig.load(url: url)
        #expect(c.nLayer == 3 && c.learningRate == 0.002 && c.data == "some/dir" && c.bias == false)
        try Data("n_layers: 3\n".utf8).write(to: url)
        #expect(throws: TrainingError.self) { try TrainingConfig.load(url: url) }
    }

    @Test func scheduleWarmsUpThenDecays() {
        let s = LearningRateSchedule(maxLearningRate: 1, minLearningRate: 0.1, warmupSteps: 10, decaySteps: 110)
        #expect(s.learningRate(at: 0) == 0.1)
        #expect(s.learningRate(at: 9) == 1)
        #expect(abs(s.learningRate(at: 60) - 0.55) < 1e-6)
        #expect(s.learningRate(at: 500) == 0.1)
    }
}
