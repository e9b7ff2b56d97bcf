// Converts language models between Hugging Face directories (config.json + model.safetensors +
// tokenizer.json) and GGUF files, in both directions, for GPT-2 and the Llama family — the
// library half of `quill convert`, following llama.cpp's convert_hf_to_gguf.py conventions.
import Foundation
import QuillFormats
import QuillNN
import QuillTokenizer

/// HF directory ↔ GGUF conversion.
///
/// ```swift
/// try ModelConverter.convert(input: URL(fileURLWithPath: "models/tiny-llama"),
///                            output: URL(fileURLWithPath: "tiny-llama-q8_0.gguf"), type: .q8_0)
/// try ModelConverter.convert(input: URL(fileURLWithPath: "tiny-llama-q8_0.gguf"),
///                            output: URL(fileURLWithPath: "models/tiny-llama-back"))
/// ```
public enum ModelConverter {
    /// What was converted, for the CLI to report.
    public struct Report: Sendable {
        public let architecture: String
        public let parameterCount: Int
        public let tokenizer: String
    }

    /// Converts `input` (directory or .gguf) to `output` (.gguf when the input is a directory, a
    /// directory when the input is GGUF). `type` is F32/F16/Q8_0/Q4_0 for GGUF, F32/F16 for safetensors.
    @discardableResult
    public static func convert(input: URL, output: URL, type: GGMLType = .f32) throws -> Report {
        if ModelRegistry.isGGUF(input) {
            guard output.pathExtension.lowercased() != "gguf" else {
                throw ModelError.unsupported("GGUF → GGUF re-quantization; convert to a directory first")
            }
            let (model, tokenizer) = try GGUFCheckpoint.load(url: input)
            try save(model, tokenizer: tokenizer, directory: output, type: type)
            return Report(architecture: architecture(model), parameterCount: parameterCount(model),
                          tokenizer: tokenizer == nil ? "none" : "tokenizer.json from GGUF metadata")
        }
        guard output.pathExtension.lowercased() == "gguf" else {
            throw ModelError.unsupported("\(output.path): a directory converts to a .gguf file (name the output *.gguf)")
        }
        let model = try ModelRegistry.loadLanguageModel(directory: input)
        let tokenizer = try bpeTokenizer(directory: input)
        try GGUFCheckpoint.write(model, tokenizer: tokenizer, to: output, type: type)
        return Report(architecture: architecture(model), parameterCount: parameterCount(model),
                      tokenizer: tokenizer == nil ? "placeholder (byte ids)" : "from tokenizer.json")
    }

    /// The directory's byte-level BPE tokenizer; nil for none or Quill's byte tokenizer (the GGUF
    /// placeholder vocabulary encodes bytes identically).
    static func bpeTokenizer(directory: URL) throws -> BPETokenizer? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        guard names.contains("tokenizer.json") || names.contains("vocab.quilltok") else { return nil }
        let tokenizer = try TokenizerLoader.load(directory.path)
        guard let bpe = tokenizer as? BPETokenizer else {
            throw ModelError.unsupported("\(directory.path): GGUF stores byte-level BPE tokenizers; this one is \(Swift.type(of: tokenizer))")
        }
        return bpe
    }

    static func save(_ model: any LanguageModel, tokenizer: BPETokenizer?, directory: URL, type: GGMLType) throws {
        let dtype: SafetensorsDType
        switch type {
        case .f32: dtype = .f32
        case .f16: dtype = .f16
        default: throw ModelError.unsupported("safetensors output type \(type.name); use f32 or f16")
        }
        if let gpt = model as? GPT { try gpt.save(directory: directory, dtype: dtype) }
        else if let llama = model as? Llama { try llama.save(directory: directory, dtype: dtype) }
        else { throw ModelError.unsupported("saving \(Swift.type(of: model)) as a directory") }
        if let tokenizer { try tokenizer.writeHuggingFaceJSON(directory.appendingPathComponent("tokenizer.json").path) }
    }

    static func architecture(_ model: any LanguageModel) -> String {
        if model is GPT { return "gpt2" }
        return (model as? Llama)?.config.modelType ?? "\(Swift.type(of: model))"
    }

    static func parameterCount(_ model: any LanguageModel) -> Int {
        ((model as? any Module)?.namedParameters ?? []).reduce(0) { $0 + $1.tensor.count }
    }
}
