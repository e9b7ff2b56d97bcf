// The image-encoder training loop on a synthetic, learnable task (which quadrant of an 8×8 image is
// bright): accuracy well above chance, the same loss curve for the same seed (a different one for
// another seed), save → load giving the same predictions, and typed errors for bad options and
// checkpoints. Plus Fashion-MNIST's real files when present (60k/10k images, 6,000/1,000 per class,
// as the dataset's documentation states).
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTensor
import QuillTraining
import TestSupport

@Suite("Image classifier training")
struct ImageClassifierTests {
    /// `count` 8×8 images: noise in 0…60, plus a 4×4 quadrant at 200+ chosen by the label (0…3).
    static func quadrants(_ count: Int, seed: UInt64) throws -> ImageDataset {
        var rng = RandomGenerator(seed: seed)
        var pixels: [UInt8] = [], labels: [UInt8] = []
        for _ in 0..<count {
            let label = Int(rng.next() % 4)
            for y in 0..<8 { for x in 0..<8 {
                let inside = (y / 4) * 2 + x / 4 == label
                pixels.append(UInt8(Int(rng.next() % 61) + (inside ? 195 : 0)))
            } }
            labels.append(UInt8(label))
        }
        return try ImageDataset(pixels: pixels, labels: labels, height: 8, width: 8)
    }

    static var smallConfig: ImageEncoderConfig {
        var c = ImageEncoderConfig()
        c.imageSize = 8; c.convChannels = [4, 8]; c.embeddingSize = 16; c.classCount = 4; c.labels = []
        return c
    }

    static func run(seed: UInt64) throws -> (ImageEncoder, [ImageEpochReport]) {
        let model = try ImageEncoder(config: smallConfig, seed: seed)
        var options = ImageTrainingOptions()
        options.epochs = 2; options.batchSize = 16; options.learningRate = 1e-2; options.seed = seed
        let trainer = try ImageClassifierTrainer(model: model, options: options)
        let reports = try trainer.train(try quadrants(320, seed: 1), test: try quadrants(100, seed: 2))
        return (model, reports)
    }

    @Test func learnsAndIsDeterministicForASeed() throws {
        let (_, a) = try Self.run(seed: 5)
        let (_, b) = try Self.run(seed: 5)
        let (_, c) = try Self.run(seed: 6)
        #expect(a.map(\.trainLoss) == b.map(\.trainLoss))
        #expect(a.map(\.testAccuracy) == b.map(\.testAccuracy))
        #expect(a.map(\.trainLoss) != c.map(\.trainLoss))
        #expect(a.last!.trainLoss < a.first!.trainLoss)
        #expect(a.last!.testAccuracy > 0.9, "accuracy \(a.last!.testAccuracy) on a 4-class task (chance 0.25)")
    }

    @Test func saveThenLoadPredictsTheSame() throws {
        let (model, _) = try Self.run(seed: 3)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-cnn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try model.save(directory: dir)
        let loaded = try ImageEncoder.load(directory: dir)
        #expect(loaded.config == model.config)
        let test = try Self.quadrants(50, seed: 9)
        let x = try model.pixels(test.pixels, count: test.count)
        #expect(loaded.logits(x, training: false).scalars == model.logits(x, training: false).scalars)
        for ((n, a), (_, b)) in zip(model.namedBuffers, loaded.namedBuffers) { #expect(a.scalars == b.scalars, "\(n)") }

        // A config whose sizes disagree with the weights is a typed error naming the fields.
        var wrong = model.config
        wrong.embeddingSize = 32
        try writeAtomically(JSONEncoder().encode(wrong), to: dir.appendingPathComponent("config.json"))
        #expect { try ImageEncoder.load(directory: dir) } throws: { error in
            guard case ModelError.configMismatch(let field, _) = error else { return false }
            return field.contains("embedding_size")
        }
        wrong.imageSize = 30
        try writeAtomically(JSONEncoder().encode(wrong), to: dir.appendingPathComponent("config.json"))
        #expect(throws: ModelError.self) { try ImageEncoder.load(directory: dir) }
    }

    @Test func badInputsAreTypedErrors() throws {
        let model = try ImageEncoder(config: Self.smallConfig, seed: 0)
        var options = ImageTrainingOptions()
        options.batchSize = 1
        #expect(throws: TrainingError.self) { try ImageClassifierTrainer(model: model, options: options) }
        #expect(throws: ModelError.self) { try model.pixels([UInt8](repeating: 0, count: 63), count: 1) }
        #expect(throws: TrainingError.self) { try ImageDataset(pixels: [1, 2, 3], labels: [0], height: 2, width: 2) }
        // 28×28 images into an 8×8 model.
        let trainer = try ImageClassifierTrainer(model: model, options: ImageTrainingOptions())
        let big = try ImageDataset(pixels: [UInt8](repeating: 0, count: 2 * 784), labels: [0, 1], height: 28, width: 28)
        #expect(throws: TrainingError.self) { try trainer.train(big, test: big) }
        // Labels past the class count in an IDX pair.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 9]).write(to: dir.appendingPathComponent("i"))
        try Data([0, 0, 8, 1, 0, 0, 0, 1, 12]).write(to: dir.appendingPathComponent("l"))
        #expect(throws: TrainingError.self) {
            try ImageDataset(images: dir.appendingPathComponent("i"), labels: dir.appendingPathComponent("l"))
        }
        #expect(throws: TrainingError.self) { try ImageDataset.fashionMNIST(directory: dir) }
    }

    @Test(.enabled(if: Fixtures.asset("fashion-mnist/t10k-labels-idx1-ubyte") != nil,
                   "Fashion-MNIST absent: run Scripts/setup/fetch_assets.sh (Debian dataset-fashion-mnist)"))
    func readsFashionMNIST() throws {
        let sets = try ImageDataset.fashionMNIST(directory: Fixtures.asset("fashion-mnist")!)
        #expect(sets.train.count == 60_000 && sets.test.count == 10_000)
        #expect(sets.train.height == 28 && sets.train.width == 28)
        for (set, per) in [(sets.train, 6_000), (sets.test, 1_000)] {
            var counts = [Int](repeating: 0, count: 10)
            for l in set.labels { counts[Int(l)] += 1 }
            #expect(counts == [Int](repeating: per, count: 10))
        }
    }
}
