// A small convolutional image encoder and classifier (LeNet-style, with batch norm, He et al. 2015
// initialisation): conv 3×3 → BN → ReLU → 2×2 max-pool, twice, then a linear layer to an embedding
// (ReLU) and a linear classifier. Tensor names are PyTorch's (`conv1.weight`, `bn1.running_mean`,
// `embed.weight`, `classifier.bias`), so Scripts/reference/cnn_reference.py's state_dict maps one to one.
// The convolutions have no bias: the batch norm after each subtracts the channel mean, so a bias there
// would get a zero gradient (and Adam, dividing by its root-mean-square, would move it by noise).
// Legend: N images, C channels, (H, W) image size, E embedding size, K classes.
import Foundation
import QuillFormats
import QuillNN
import QuillTensor

/// The encoder's shape (config.json, snake_case keys as written to disk).
public struct ImageEncoderConfig: Codable, Equatable, Sendable {
    public var modelType = "quill_cnn"
    /// Side of the square input images; a multiple of 4 (two 2×2 poolings).
    public var imageSize = 28
    public var inputChannels = 1
    /// Output channels of conv1 and conv2.
    public var convChannels = [16, 32]
    /// Width of the embedding the classifier reads (and a captioner would project).
    public var embeddingSize = 64
    public var classCount = 10
    /// Pixels (bytes / 255) are normalised as (p − mean) / std; Fashion-MNIST's training-set values.
    public var pixelMean: Float = 0.2860
    public var pixelStd: Float = 0.3530
    public var batchNormEpsilon: Float = 1e-5
    public var batchNormMomentum: Float = 0.1
    /// Class names for messages (Fashion-MNIST's by default).
    public var labels: [String] = ImageEncoderConfig.fashionMNISTLabels

    public static let fashionMNISTLabels = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                            "Shirt", "Sneaker", "Bag", "Ankle boot"]

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", imageSize = "image_size", inputChannels = "in_channels"
        case convChannels = "conv_channels", embeddingSize = "embedding_size", classCount = "num_classes"
        case pixelMean = "pixel_mean", pixelStd = "pixel_std", batchNormEpsilon = "batch_norm_eps"
        case batchNormMomentum = "batch_norm_momentum", labels
    }

    public init() {}

    /// Every key is optional (missing ones take the defaults above), so a hand-written config.json
    /// names only what differs.
    public init(from decoder: Decoder) throws {
        let k = try decoder.container(keyedBy: CodingKeys.self)
        func read<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T { try k.decodeIfPresent(T.self, forKey: key) ?? fallback }
        modelType = try read(.modelType, modelType); imageSize = try read(.imageSize, imageSize)
        inputChannels = try read(.inputChannels, inputChannels); convChannels = try read(.convChannels, convChannels)
        embeddingSize = try read(.embeddingSize, embeddingSize); classCount = try read(.classCount, classCount)
        pixelMean = try read(.pixelMean, pixelMean); pixelStd = try read(.pixelStd, pixelStd)
        batchNormEpsilon = try read(.batchNormEpsilon, batchNormEpsilon)
        batchNormMomentum = try read(.batchNormMomentum, batchNormMomentum)
        labels = try read(.labels, classCount == 10 ? labels : [])
    }

    /// Features after the second pooling: C2 · (H/4) · (W/4).
    public var flattenedSize: Int { convChannels[1] * (imageSize / 4) * (imageSize / 4) }

    public func validate() throws {
        guard modelType == "quill_cnn" else { throw ModelError.invalidConfig("model_type is \"\(modelType)\", expected \"quill_cnn\"") }
        guard imageSize > 0, imageSize % 4 == 0, imageSize <= 4096 else {
            throw ModelError.invalidConfig("image_size must be a positive multiple of 4 up to 4096, got \(imageSize)")
        }
        guard convChannels.count == 2 else { throw ModelError.invalidConfig("conv_channels must list 2 widths, got \(convChannels.count)") }
        try ModelLimits.check(inputChannels, "in_channels", limit: 64)
        for c in convChannels { try ModelLimits.check(c, "conv_channels", limit: 4096) }
        try ModelLimits.check(embeddingSize, "embedding_size", limit: ModelLimits.width)
        try ModelLimits.check(classCount, "num_classes", limit: 1 << 16)
        guard labels.isEmpty || labels.count == classCount else {
            throw ModelError.invalidConfig("labels has \(labels.count) names for num_classes \(classCount)")
        }
        guard pixelStd > 0, batchNormEpsilon > 0, batchNormMomentum >= 0, batchNormMomentum <= 1 else {
            throw ModelError.invalidConfig("pixel_std and batch_norm_eps must be positive, batch_norm_momentum in [0, 1]")
        }
    }
}

public final class ImageEncoder: BufferedModule {
    public let config: ImageEncoderConfig
    public let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    public let embed: Linear, classifier: Linear

    /// A freshly initialised model, drawn in parameter order from `seed`: He-normal conv and linear
    /// weights (std √(2/fan_in)), zero biases, unit batch-norm gains.
    public convenience init(config: ImageEncoderConfig = .init(), seed: UInt64 = 0) throws {
        try self.init(config: config, parameters: nil)
        var rng = RandomGenerator(seed: seed)
        for (_, t) in namedParameters where t.shape.count >= 2 {
            let fanIn = t.shape.dropFirst().reduce(1, *)
            t.fillNormal(std: (2 / Float(fanIn)).squareRoot(), rng: &rng)
        }
    }

    init(config c: ImageEncoderConfig, parameters m: ParameterFactory?) throws {
        try c.validate()
        config = c
        let (c1, c2) = (c.convChannels[0], c.convChannels[1])
        conv1 = Conv2d(inputChannels: c.inputChannels, outputChannels: c1, kernel: 3, padding: 1, bias: false, name: "conv1", parameters: m)
        bn1 = BatchNorm2d(c1, momentum: c.batchNormMomentum, epsilon: c.batchNormEpsilon, name: "bn1", parameters: m)
        conv2 = Conv2d(inputChannels: c1, outputChannels: c2, kernel: 3, padding: 1, bias: false, name: "conv2", parameters: m)
        bn2 = BatchNorm2d(c2, momentum: c.batchNormMomentum, epsilon: c.batchNormEpsilon, name: "bn2", parameters: m)
        embed = Linear(inputs: c.flattenedSize, outputs: c.embeddingSize, layout: .outputByInput, name: "embed", parameters: m)
        classifier = Linear(inputs: c.embeddingSize, outputs: c.classCount, layout: .outputByInput, name: "classifier", parameters: m)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        let parts: [any Module] = [conv1, bn1, conv2, bn2, embed, classifier]
        return parts.flatMap { $0.namedParameters }
    }

    public var namedBuffers: [(name: String, tensor: Tensor)] { bn1.namedBuffers + bn2.namedBuffers }

    /// images (N, C, H, W), already normalised → embeddings (N, E). `training` uses batch statistics
    /// and moves the running averages; otherwise the running averages normalise.
    public func embedding(_ images: Tensor, training: Bool) -> Tensor {
        let N = images.shape[0]
        var h = maxPool2d(relu(bn1(conv1(images), training: training)), kernel: 2)     // (N, C1, H/2, W/2)
        h = maxPool2d(relu(bn2(conv2(h), training: training)), kernel: 2)              // (N, C2, H/4, W/4)
        return relu(embed(reshape(h, [N, config.flattenedSize])))                      // (N, E)
    }

    /// images (N, C, H, W) → class logits (N, K).
    public func logits(_ images: Tensor, training: Bool) -> Tensor {
        classifier(embedding(images, training: training))
    }

    /// Mean cross-entropy of the logits against `labels` (each in 0..<K; checked by the caller's data).
    public func loss(_ images: Tensor, labels: [Int32], training: Bool = true) -> Tensor {
        crossEntropy(logits(images, training: training), targets: labels)
    }

    /// `count` images of raw bytes (row-major C·H·W each, 0…255) → the normalised (N, C, H, W) input.
    public func pixels(_ bytes: some Collection<UInt8>, count: Int) throws -> Tensor {
        let c = config, plane = c.inputChannels * c.imageSize * c.imageSize
        guard bytes.count == count * plane else {
            throw ModelError.invalidInput("\(bytes.count) bytes for \(count) images of \(c.inputChannels)×\(c.imageSize)×\(c.imageSize)")
        }
        let t = Tensor(zeros: [count, c.inputChannels, c.imageSize, c.imageSize])
        let scale = 1 / (255 * c.pixelStd), shift = c.pixelMean / c.pixelStd
        for (i, b) in bytes.enumerated() { t.data[i] = Float(b) * scale - shift }
        return t
    }

    /// The predicted class of each image (argmax of the logits, evaluation mode).
    public func predict(_ images: Tensor) -> [Int] {
        let y = logits(images, training: false), K = config.classCount
        return (0..<y.rows).map { n in
            let row = y.data + n * K
            return (0..<K).max { row[$0] < row[$1] } ?? 0
        }
    }
}
