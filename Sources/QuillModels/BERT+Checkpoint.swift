// Reads and writes BERT encoders as Hugging Face model directories: config.json (BertConfig keys)
// + model.safetensors or a sharded index, with BertModel's tensor names ("bert." prefix accepted;
// the position_ids buffer and the pooler are ignored on load and not written).
import Foundation
import QuillFormats
import QuillTensor

extension BERT {
    /// Loads a BERT model directory (single or sharded safetensors, any float dtype).
    public static func load(directory: URL) throws -> BERT {
        let config = try ConfigLoading.config(BERTConfig.self, in: directory)
        let source = try WeightSource(directory: directory)
        try shapeProbes(config).check(source: source.name, lookup: source.probe(prefixes: ["bert."]))
        let model = try BERT(config: config)
        try source.load(into: model.namedParameters, prefixes: ["bert."])
        return model
    }

    /// Tensors whose shapes `c` fixes, checked against a checkpoint before the encoder is built.
    static func shapeProbes(_ c: BERTConfig) -> ShapeProbes {
        var p = ShapeProbes()
        let C = c.hiddenSize
        p.expect("embeddings.word_embeddings.weight", [c.vocabularySize, C], "vocab_size", "hidden_size")
        p.expect("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, C], "max_position_embeddings", "hidden_size")
        p.expect("embeddings.token_type_embeddings.weight", [c.typeVocabularySize, C], "type_vocab_size", "hidden_size")
        p.expect("encoder.layer.0.attention.self.query.weight", [C, C], "hidden_size")
        p.expect("encoder.layer.0.intermediate.dense.weight", [c.intermediateSize, C], "intermediate_size", "hidden_size")
        p.layers = (c.layerCount, "num_hidden_layers", { "encoder.layer.\($0).attention.self.query.weight" })
        return p
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
