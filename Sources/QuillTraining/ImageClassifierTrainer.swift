// Trains the image encoder as a classifier: each epoch shuffles the training set with the seeded RNG,
// runs mini-batches of forward (batch statistics) → cross-entropy → backward → AdamW, then measures
// accuracy on the test set in evaluation mode. Same seed, data and options give the same loss curve.
import Foundation
import QuillModels
import QuillNN
import QuillTensor

public struct ImageTrainingOptions: Codable, Equatable, Sendable {
    public var epochs = 2
    public var batchSize = 64
    public var learningRate: Float = 2e-3
    public var weightDecay: Float = 1e-4
    public var seed: UInt64 = 0
    /// Use only the first N training images (nil: all); for quick runs and tests.
    public var trainingLimit: Int?
    public init() {}

    func validate() throws {
        guard epochs > 0, epochs <= 10_000 else { throw TrainingError.invalidConfig("epochs must be in 1...10000, got \(epochs)") }
        guard batchSize > 1, batchSize <= 65_536 else {
            throw TrainingError.invalidConfig("batch size must be in 2...65536 (batch norm needs two images), got \(batchSize)")
        }
        guard learningRate > 0, learningRate.isFinite else { throw TrainingError.invalidConfig("learning rate must be positive, got \(learningRate)") }
        guard weightDecay >= 0 else { throw TrainingError.invalidConfig("weight decay must be ≥ 0, got \(weightDecay)") }
    }
}

/// One epoch's figures.
public struct ImageEpochReport: Sendable, Equatable {
    public let epoch: Int
    /// Mean training loss over the epoch's batches.
    public let trainLoss: Float
    public let testAccuracy: Double
    public let seconds: Double
}

public final class ImageClassifierTrainer {
    public let model: ImageEncoder
    public let options: ImageTrainingOptions
    public let optimizer: AdamW

    public init(model: ImageEncoder, options: ImageTrainingOptions) throws {
        try options.validate()
        self.model = model
        self.options = options
        optimizer = AdamW(parameters: model.namedParameters,
                          hyperparameters: .init(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: options.weightDecay))
    }

    /// Checks that a data set fits the model (image size, single channel).
    func check(_ data: ImageDataset, _ role: String) throws {
        let c = model.config
        guard data.height == c.imageSize, data.width == c.imageSize, c.inputChannels == 1 else {
            throw TrainingError.invalidConfig("\(role) images are \(data.height)×\(data.width); the model takes \(c.inputChannels)×\(c.imageSize)×\(c.imageSize)")
        }
        guard data.count > 0 else { throw TrainingError.invalidConfig("\(role) set is empty") }
    }

    /// One AdamW step on the images at `indices`; returns the batch loss.
    @discardableResult
    public func step(_ data: ImageDataset, indices: some Collection<Int>) throws -> Float {
        let (bytes, labels) = data.batch(indices)
        let x = try model.pixels(bytes, count: labels.count)
        model.zeroGradients()
        let tape = GradientTape()
        let loss = tape.record { model.loss(x, labels: labels, training: true) }
        tape.backward(from: loss)
        optimizer.update(learningRate: options.learningRate)
        return loss.data[0]
    }

    /// Runs every epoch, calling `batch(done, total, loss)` after each step (for a progress bar) and
    /// `report` after each epoch (e.g. to print it).
    @discardableResult
    public func train(_ train: ImageDataset, test: ImageDataset, batch: (Int, Int, Float) -> Void = { _, _, _ in },
                      report: (ImageEpochReport) -> Void = { _ in }) throws -> [ImageEpochReport] {
        let data = options.trainingLimit.map { train.prefix($0) } ?? train
        try check(data, "training"); try check(test, "test")
        guard data.count >= 2 else { throw TrainingError.invalidConfig("training needs at least 2 images, got \(data.count)") }
        var rng = RandomGenerator(seed: options.seed)
        var reports: [ImageEpochReport] = []
        for epoch in 1...options.epochs {
            let start = Date()
            var order = Array(0..<data.count)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            var total = 0.0, batches = 0
            var b = 0
            // A last batch of one image is dropped: batch norm needs two values per channel.
            while b + 1 < order.count {
                let e = min(order.count, b + options.batchSize)
                let loss = try step(data, indices: order[b..<e])
                total += Double(loss); batches += 1
                b = e
                batch(b, order.count, loss)
            }
            let accuracy = try Self.accuracy(model, on: test, batchSize: max(options.batchSize, 256))
            let r = ImageEpochReport(epoch: epoch, trainLoss: Float(total / Double(batches)), testAccuracy: accuracy,
                                     seconds: Date().timeIntervalSince(start))
            reports.append(r)
            report(r)
        }
        return reports
    }

    /// Fraction of `data` the model classifies correctly (evaluation mode, no tape).
    public static func accuracy(_ model: ImageEncoder, on data: ImageDataset, batchSize: Int = 256) throws -> Double {
        var correct = 0
        for b in stride(from: 0, to: data.count, by: batchSize) {
            let (bytes, labels) = data.batch(b..<min(data.count, b + batchSize))
            let predictions = model.predict(try model.pixels(bytes, count: labels.count))
            correct += zip(predictions, labels).filter { $0 == Int($1) }.count
        }
        return Double(correct) / Double(max(1, data.count))
    }
}
