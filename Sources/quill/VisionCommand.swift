// `quill vision train` / `quill vision eval`: train the small CNN image encoder on Fashion-MNIST IDX
// files and measure its test accuracy. Wiring only: ImageDataset, ImageEncoder, ImageClassifierTrainer.
import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillTraining

struct VisionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vision",
        abstract: "Train and evaluate the CNN image encoder (Fashion-MNIST).",
        subcommands: [VisionTrainCommand.self, VisionEvalCommand.self])
}

struct VisionTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the image encoder as a classifier; prints train loss and test accuracy per epoch.",
        discussion: """
        --data holds the four uncompressed Fashion-MNIST IDX files (Scripts/setup/fetch_assets.sh puts
        them in .assets/fashion-mnist). --out receives config.json + model.safetensors.
        Example:
          quill vision train --data .assets/fashion-mnist --epochs 2 --out runs/fashion-cnn --threads 2
        """)

    @Option(help: "Folder with train-/t10k- images and labels IDX files.") var data: String
    @Option(help: "Passes over the training set.") var epochs: Int = 2
    @Option(help: "Output model folder.") var out: String
    @Option(name: .customLong("batch-size")) var batchSize: Int = 64
    @Option(name: .customLong("learning-rate")) var learningRate: Float = 2e-3
    @Option(name: .customLong("weight-decay")) var weightDecay: Float = 1e-4
    @Option(name: .customLong("train-limit"), help: "Use only the first N training images.") var trainLimit: Int?
    @Option(name: .customLong("embedding-size")) var embeddingSize: Int = 64
    @Option var seed: UInt64 = 0
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            let sets = try ImageDataset.fashionMNIST(directory: URL(fileURLWithPath: data))
            var config = ImageEncoderConfig()
            config.embeddingSize = embeddingSize
            let model = try ImageEncoder(config: config, seed: seed)
            var options = ImageTrainingOptions()
            options.epochs = epochs; options.batchSize = batchSize; options.learningRate = learningRate
            options.weightDecay = weightDecay; options.seed = seed; options.trainingLimit = trainLimit
            let trainer = try ImageClassifierTrainer(model: model, options: options)
            print("training on \(min(trainLimit ?? sets.train.count, sets.train.count)) images, testing on \(sets.test.count); \(model.parameterCount) parameters")
            var bar = ProgressBar(total: 1), start = Date()
            try trainer.train(sets.train, test: sets.test, batch: { done, total, loss in
                if done <= batchSize { bar = ProgressBar(total: total); start = Date() }
                let rate = Double(done) / max(1e-9, Date().timeIntervalSince(start))
                let eta = ProgressBar.duration(Double(total - done) / max(1e-9, rate))
                bar.update(done, String(format: "loss %.4f  %.0f img/s  ETA %@", loss, rate, eta))
            }, report: { r in
                print(String(format: "epoch %d  train loss %.4f  test accuracy %.2f%%  (%.1fs)", r.epoch, r.trainLoss, 100 * r.testAccuracy, r.seconds))
            })
            try model.save(directory: URL(fileURLWithPath: out))
            print("saved \(out)")
        }
    }
}

struct VisionEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Test accuracy of a trained image encoder, overall and per class.",
        discussion: """
        Example:
          quill vision eval --model runs/fashion-cnn --data .assets/fashion-mnist
        """)

    @Option(help: "Model folder written by `quill vision train`.") var model: String
    @Option(help: "Folder with the Fashion-MNIST IDX files.") var data: String
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            let encoder = try ImageEncoder.load(directory: URL(fileURLWithPath: model))
            let test = try ImageDataset.fashionMNIST(directory: URL(fileURLWithPath: data)).test
            let c = encoder.config
            guard test.height == c.imageSize, test.width == c.imageSize else {
                throw CommandError("test images are \(test.height)×\(test.width); the model takes \(c.imageSize)×\(c.imageSize)")
            }
            var correct = [Int](repeating: 0, count: c.classCount), seen = correct
            for b in stride(from: 0, to: test.count, by: 256) {
                let range = b..<min(test.count, b + 256)
                let bytes = test.pixels[range.lowerBound * test.imageBytes ..< range.upperBound * test.imageBytes]
                let predicted = encoder.predict(try encoder.pixels(bytes, count: range.count))
                for (p, i) in zip(predicted, range) {
                    let label = Int(test.labels[i])
                    guard label < c.classCount else { throw CommandError("label \(label) at \(i) is not below \(c.classCount)") }
                    seen[label] += 1
                    if p == label { correct[label] += 1 }
                }
            }
            let total = correct.reduce(0, +)
            print(String(format: "test accuracy %.2f%% (%d/%d)", 100 * Double(total) / Double(max(1, test.count)), total, test.count))
            for k in 0..<c.classCount {
                let name = k < c.labels.count ? c.labels[k] : "class \(k)"
                print("  " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + String(format: " %.1f%%", 100 * Double(correct[k]) / Double(max(1, seen[k]))))
            }
        }
    }
}
