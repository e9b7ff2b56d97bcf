// The image encoder against PyTorch (fixture from Scripts/reference/cnn_reference.py, float64 torch
// stored as float32): training-mode logits, cross-entropy and every parameter gradient; parameters and
// batch-norm running averages after two AdamW steps; evaluation-mode logits after them.
// Tolerances, per element: logits/loss 1e-5 + 1e-4·|ref|; gradients 1e-5 + 1e-3·|ref| (float32 sums
// through two batch norms); parameters after Adam 1e-5 + 1e-4·|ref| (each step moves them by ≤ lr).
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillNN
import QuillTensor
import TestSupport

@Suite("Image encoder vs PyTorch")
struct ImageEncoderReferenceTests {
    static let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/cnn_reference.safetensors")

    /// The fixture's model: its geometry, its initial weights copied in.
    static func model(_ all: [String: Tensor], _ g: [Int]) throws -> ImageEncoder {
        var config = ImageEncoderConfig()
        config.imageSize = g[0]; config.convChannels = [g[1], g[2]]; config.embeddingSize = g[3]
        config.classCount = g[4]; config.labels = []
        let model = try ImageEncoder(config: config, seed: 1)
        for (name, t) in model.namedParameters + model.namedBuffers {
            let ref = try #require(all["init." + name], "fixture lacks init.\(name)")
            #expect(ref.shape == t.shape, "\(name): \(t.shape) vs torch \(ref.shape)")
            t.data.update(from: ref.data, count: t.count)
        }
        return model
    }

    @Test func forwardLossAndGradientsMatchTorch() throws {
        let all = try Fixtures.tensors(Self.url), g = try Fixtures.integers(Self.url, "geometry")
        let labels = try Fixtures.integers(Self.url, "labels").map(Int32.init)
        let model = try Self.model(all, g), x = all["x"]!
        let tape = GradientTape()
        var logits: Tensor!
        let loss = tape.record { () -> Tensor in
            logits = model.logits(x, training: true)
            return crossEntropy(logits, targets: labels)
        }
        expectNear(logits, all["logits"]!, "logits")
        expectNear(loss, all["loss"]!, "loss")
        tape.backward(from: loss)
        for (name, t) in model.namedParameters {
            expectNear(try #require(t.grad), all["grad." + name]!, "grad." + name, relative: 1e-3)
        }
    }

    @Test func adamWStepsAndRunningAveragesMatchTorch() throws {
        let all = try Fixtures.tensors(Self.url), g = try Fixtures.integers(Self.url, "geometry")
        let labels = try Fixtures.integers(Self.url, "labels").map(Int32.init)
        let h = all["hyper"]!.scalars
        let model = try Self.model(all, g), x = all["x"]!
        let optimizer = AdamW(parameters: model.namedParameters,
                              hyperparameters: .init(beta1: h[1], beta2: h[2], epsilon: h[3], weightDecay: h[4]))
        for step in 1...g[6] {
            model.zeroGradients()
            let tape = GradientTape()
            let loss = tape.record { model.loss(x, labels: labels, training: true) }
            expectNear(loss, all["step\(step).loss"]!, "step\(step).loss")
            tape.backward(from: loss)
            optimizer.update(learningRate: h[0])
        }
        for (name, t) in model.namedParameters + model.namedBuffers {
            expectNear(t, all["after." + name]!, "after." + name)
        }
        expectNear(model.logits(x, training: false), all["eval_logits"]!, "eval_logits")
    }
}

extension ImageEncoderReferenceTests {
    /// torch's state_dict after the two steps (plus the int64 `num_batches_tracked` torch also saves),
    /// written as a model directory: ImageEncoder.load must give torch's evaluation-mode logits.
    @Test func loadsATorchStateDict() throws {
        let all = try Fixtures.tensors(Self.url), g = try Fixtures.integers(Self.url, "geometry")
        var config = ImageEncoderConfig()
        config.imageSize = g[0]; config.convChannels = [g[1], g[2]]; config.embeddingSize = g[3]
        config.classCount = g[4]; config.labels = []
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quill-torch-cnn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try JSONEncoder().encode(config).write(to: dir.appendingPathComponent("config.json"))
        var entries = all.filter { $0.key.hasPrefix("after.") }.sorted { $0.key < $1.key }.map { key, t in
            SafetensorsWriter.Entry(name: String(key.dropFirst("after.".count)), shape: t.shape, floats: t.scalars)
        }
        for bn in ["bn1", "bn2"] {
            entries.append(.init(name: bn + ".num_batches_tracked", dtype: .i64, shape: [], bytes: [2, 0, 0, 0, 0, 0, 0, 0]))
        }
        try SafetensorsWriter.write(tensors: entries, to: dir.appendingPathComponent("model.safetensors"))
        let model = try ImageEncoder.load(directory: dir)
        expectNear(model.logits(all["x"]!, training: false), all["eval_logits"]!, "eval_logits (loaded)")
    }
}

/// Every |actual − expected| ≤ absolute + relative·|expected|; reports the worst element.
func expectNear(_ actual: Tensor, _ expected: Tensor, _ label: String, absolute: Float = 1e-5, relative: Float = 1e-4) {
    #expect(actual.count == expected.count, "\(label): \(actual.shape) vs \(expected.shape)")
    guard actual.count == expected.count else { return }
    var worst: (Int, Float, Float)?, worstExcess: Float = 0
    for i in 0..<actual.count {
        let a = actual.data[i], e = expected.data[i], excess = abs(a - e) - (absolute + relative * abs(e))
        if excess > worstExcess || a.isNaN { worstExcess = max(excess, worstExcess); worst = (i, a, e) }
    }
    #expect(worst == nil, "\(label)[\(worst?.0 ?? 0)]: quill \(worst?.1 ?? 0) vs torch \(worst?.2 ?? 0)")
}

@Suite("Image encoder config")
struct ImageEncoderConfigTests {
    static func decode(_ json: String) throws -> ImageEncoderConfig {
        try JSONDecoder().decode(ImageEncoderConfig.self, from: Data(json.utf8))
    }

    @Test func missingKeysTakeDefaultsAndBadSizesAreRefused() throws {
        let c = try Self.decode(#"{"model_type": "quill_cnn", "embedding_size": 32}"#)
        #expect(c.embeddingSize == 32 && c.imageSize == 28 && c.convChannels == [16, 32] && c.labels.count == 10)
        #expect(c.flattenedSize == 32 * 7 * 7)
        for (json, field) in [(#"{"image_size": 30}"#, "image_size"), (#"{"conv_channels": [8]}"#, "conv_channels"),
                              (#"{"num_classes": 0}"#, "num_classes"), (#"{"model_type": "gpt2"}"#, "model_type"),
                              (#"{"num_classes": 3, "labels": ["a"]}"#, "labels"), (#"{"embedding_size": -1}"#, "embedding_size")] {
            #expect(throws: ModelError.self, "\(field)") { try Self.decode(json).validate() }
            do { try Self.decode(json).validate() } catch { #expect("\(error)".contains(field), "\(error)") }
        }
    }
}
