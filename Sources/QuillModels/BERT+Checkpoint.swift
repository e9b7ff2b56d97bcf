// Reads and writes BERT encoders as Hugging Face model directories: config.json (BertConfig keys)
// + model.safetensors or a sharded index, with BertModel's tensor names ("bert." prefix accepted;
// the position_ids buffer and the pooler are ignored on load and not written).
import Foundation
import QuillFormats
import QuillTensor

extension BERT {
    /// Loads a BERT model directory (single or sharded safetensors, any float dtype).
    public static func load(directory: URL) throws -> BERT {
        let model = try BERT(config: try ConfigLoading.config(BERTConfig.self, in: directory))
        try WeightSource(directory: directory).load(into: model.namedParameters, prefixes: ["bert."])
        return model
    }

    /// Writes config.json and model.safetensors (each atomically) into `directory`, creating it if
    /// needed. `dtype` is F32, F16 or BF16.
    public func save(directory: URL, dtype: SafetensorsDType = .f32) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(encoder.encode(config), to: directory.appendingPathComponent("config.json"))
        try SafetensorsWriter.write(tensors: namedParameters.map { $0.tensor.safetensorsEntry(name: $0.name, dtype: dtype) },
                                    metadata: ["format": "pt"],
                                    to: directory.appendingPathComponent("model.safetensors"))
    }
}
