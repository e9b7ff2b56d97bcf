// Reads and writes the image encoder as a model directory: config.json (snake_case keys) +
// model.safetensors holding the parameters and batch norm's running averages under PyTorch's names.
// The config's sizes are checked against the file's tensors before the model is built.
import Foundation
import QuillFormats
import QuillTensor

extension ImageEncoder {
    /// Loads DIR/config.json and DIR/model.safetensors (written by ``save(directory:)`` or by a
    /// torch state_dict with the same names; an extra `num_batches_tracked` is ignored).
    public static func load(directory: URL) throws -> ImageEncoder {
        let config = try ConfigLoading.config(ImageEncoderConfig.self, in: directory)
        try config.validate()
        let source = try WeightSource(directory: directory)
        var probes = ShapeProbes()
        let (c1, c2) = (config.convChannels[0], config.convChannels[1])
        probes.expect("conv1.weight", [c1, config.inputChannels, 3, 3], "conv_channels", "in_channels")
        probes.expect("conv2.weight", [c2, c1, 3, 3], "conv_channels")
        probes.expect("embed.weight", [config.embeddingSize, config.flattenedSize], "embedding_size", "image_size", "conv_channels")
        probes.expect("classifier.weight", [config.classCount, config.embeddingSize], "num_classes", "embedding_size")
        try probes.check(source: source.name, lookup: source.probe())
        let failure = LoadFailure()
        let model = try ImageEncoder(config: config, parameters: source.parameters(failure: failure))
        try failure.check()
        return model
    }

    /// Writes config.json and model.safetensors (each atomically) into `directory`, creating it.
    public func save(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(encoder.encode(config), to: directory.appendingPathComponent("config.json"))
        let tensors = (namedParameters + namedBuffers).map { $0.tensor.safetensorsEntry(name: $0.name, dtype: .f32) }
        try SafetensorsWriter.write(tensors: tensors, metadata: ["format": "pt"],
                                    to: directory.appendingPathComponent("model.safetensors"))
    }
}
