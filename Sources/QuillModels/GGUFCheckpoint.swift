// GPT-2 and Llama-family models to and from GGUF files (spec v3) with llama.cpp's metadata keys
// (`gpt2.*`, `llama.*`, `qwen2.*`) and tensor names (GGUFTensorMap). Loading borrows or defers tensors
// (GGUFParameterSource); on write, 2-D weights take the requested type and 1-D ones stay F32.
import Foundation
import QuillFormats
import QuillTensor
import QuillTokenizer

/// Loads and writes language models as GGUF.
///
/// ```swift
/// let (model, tokenizer) = try GGUFCheckpoint.load(url: URL(fileURLWithPath: "tiny.gguf"))
/// try GGUFCheckpoint.write(model, tokenizer: tokenizer, to: URL(fileURLWithPath: "tiny-q8.gguf"), type: .q8_0)
/// ```
public enum GGUFCheckpoint {
    /// Architectures (`general.architecture`) Quill loads.
    public static let architectures = ["gpt2", "llama", "qwen2"]

    /// Loads the model and its tokenizer (nil when the file stores none). With `forInference`, matmul
    /// weights stay in the file's format as WeightMatrix views and their float copies are filled only
    /// on demand (`materialize()`, namedParameters, training, export); otherwise every parameter is
    /// float and `inferenceWeights` is nil, as a safetensors load gives.
    public static func load(url: URL, forInference: Bool = false) throws -> (model: any LanguageModel, tokenizer: BPETokenizer?) {
        let file = try GGUFFile(url: url)
        let model = try loadModel(file, forInference: forInference)
        return (model, try GGUFTokenizer.read(file))
    }

    /// The model in an already opened file (see `load(url:forInference:)`).
    public static func loadModel(_ file: GGUFFile, forInference: Bool = false) throws -> any LanguageModel {
        switch file.architecture {
        case "gpt2":
            let model = try inferenceGPT(file)
            if !forInference { model.materialize(); model.inferenceWeights = nil }
            return model
        case "llama", "qwen2":
            let model = try inferenceLlama(file)
            if !forInference { model.materialize(); model.inferenceWeights = nil }
            return model
        case let other:
            throw ModelError.unsupported("\(file.fileName): general.architecture '\(other ?? "missing")'; Quill loads "
                + architectures.joined(separator: ", ") + " from GGUF")
        }
    }

    /// Writes `model` (GPT or Llama) with `tokenizer` (nil: a placeholder vocabulary, see GGUFTokenizer)
    /// as GGUF; 2-D tensors are stored as `type` (F32, F16 or a block format), falling back as llama.cpp's
    /// quantizer does for rows that are not a multiple of the block size (WeightType.fallback).
    public static func write(_ model: any LanguageModel, tokenizer: BPETokenizer?, to url: URL, type: GGMLType = .f32,
                             name: String? = nil) throws {
        guard let weightType = WeightType(rawValue: type.rawValue) else {
            throw ModelError.unsupported("GGUF output type \(type.name); Quill writes F32, F16 and "
                + WeightType.allCases.filter(\.isQuantized).map(\.description).joined(separator: ", "))
        }
        let fileName = name ?? url.deletingPathExtension().lastPathComponent
        var writer: GGUFWriter
        let bos: Int?, eos: Int?
        if let gpt = model as? GPT {
            // One GPT-2 writer (also behind `quill quantize` and `bench generate --save-gguf`): the head stays
            // tied to token_embd (no output.weight copy; llama.cpp's gpt2 graph falls back to it).
            writer = try gpt.ggufWriter(type: weightType, name: fileName)
            (bos, eos) = (gpt.config.eosTokenID, gpt.config.eosTokenID)
        } else if let llama = model as? Llama {
            writer = GGUFWriter()
            try GGUFHyperparameters.addLlama(llama.config, to: &writer)
            writer.addMetadata("general.name", .string(fileName))
            writer.addMetadata("general.file_type", .uint32(fileType(type)))
            if weightType.isQuantized { writer.addMetadata("general.quantization_version", .uint32(2)) }
            let byName = Dictionary(llama.namedParameters.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
            for map in GGUFTensorMap.llama(llama.config) {
                guard let tensor = byName[map.quill] else { continue }
                let shape = map.ggufShape(tensor.shape)
                let values = map.toGGUF(tensor.scalars, shape: tensor.shape)
                try writer.addTensor(name: map.gguf, shape: shape, floats: values, as: storageType(type, shape: shape))
            }
            let c = llama.config
            if let factors = c.ropeScaling?.ggufFrequencyFactors(headSize: c.headSize, theta: c.ropeTheta) {
                try writer.addTensor(name: "rope_freqs.weight", shape: [factors.count], floats: factors.map(Float.init), as: .f32)
            }
            (bos, eos) = (llama.config.bosTokenID, llama.config.eosTokenIDs.first)
        } else {
            throw ModelError.unsupported("GGUF export of \(Swift.type(of: model)); Quill writes GPT and Llama models")
        }
        for (key, value) in try GGUFTokenizer.metadata(for: tokenizer, vocabularySize: model.vocabularySize,
                                                       bosTokenID: bos, eosTokenID: eos) {
            writer.addMetadata(key, value)
        }
        try writer.write(to: url)
    }

    static func storageType(_ type: GGMLType, shape: [Int]) -> GGMLType {
        guard shape.count >= 2 else { return .f32 }
        guard let weightType = WeightType(rawValue: type.rawValue) else { return type }
        return GGMLType(rawValue: weightType.fallback(forInputs: shape.last ?? 1).rawValue)!
    }

    /// llama.cpp's `llama_ftype` for a whole-file type.
    static func fileType(_ type: GGMLType) -> UInt32 {
        WeightType(rawValue: type.rawValue)?.llamaFileType ?? 0
    }
}
