// From a Hugging Face model directory to a ready model, by config.json's model_type: gpt2, llama,
// mistral and qwen2 become a LanguageModel, bert a SentenceEmbedder. One place lists what Quill
// runs, so the CLI and server need not know the architectures.
import Foundation

/// A model loaded by ``ModelRegistry``.
public enum LoadedModel {
    /// A causal language model (generation).
    case languageModel(any LanguageModel)
    /// An encoder with pooling (sentence embeddings).
    case embedder(SentenceEmbedder)
}

/// Dispatches model directories to their architecture by `model_type`.
///
/// ```swift
/// let model = try ModelRegistry.loadLanguageModel(directory: URL(fileURLWithPath: "models/qwen2-tiny"))
/// let logits = try model.forward([1, 2, 3], cache: model.makeCache())
/// let embedder = try ModelRegistry.loadEmbedder(directory: URL(fileURLWithPath: ".assets/all-MiniLM-L6-v2"))
/// ```
public enum ModelRegistry {
    /// model_type values that load as language models.
    public static let languageModelTypes = ["gpt2", "llama", "mistral", "qwen2"]
    /// model_type values that load as sentence embedders.
    public static let embedderTypes = ["bert"]

    /// The model_type of DIR/config.json.
    public static func modelType(directory: URL) throws -> String {
        try ConfigLoading.modelType(directory)
    }

    /// Loads whatever the directory holds. A sentence-transformers directory whose encoder lives in
    /// a subfolder (no top-level config.json, but a modules.json) loads as an embedder.
    public static func load(directory: URL) throws -> LoadedModel {
        let hasConfig = FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.json").path)
        let hasModules = FileManager.default.fileExists(atPath: directory.appendingPathComponent("modules.json").path)
        if !hasConfig && hasModules { return .embedder(try SentenceEmbedder.load(directory: directory)) }
        let type = try modelType(directory: directory)
        if embedderTypes.contains(type) { return .embedder(try SentenceEmbedder.load(directory: directory)) }
        return .languageModel(try loadLanguageModel(directory: directory, modelType: type))
    }

    /// Loads a causal language model; throws `ModelError.unsupported` for encoders and unknown types.
    public static func loadLanguageModel(directory: URL) throws -> any LanguageModel {
        try loadLanguageModel(directory: directory, modelType: try modelType(directory: directory))
    }

    /// Loads a sentence embedder (BERT + pooling); throws `ModelError.unsupported` for other types.
    public static func loadEmbedder(directory: URL) throws -> SentenceEmbedder {
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.json").path),
           FileManager.default.fileExists(atPath: directory.appendingPathComponent("modules.json").path) {
            return try SentenceEmbedder.load(directory: directory)
        }
        let type = try modelType(directory: directory)
        guard embedderTypes.contains(type) else {
            throw ModelError.unsupported("\(directory.path) holds a '\(type)' model; embeddings need one of \(embedderTypes.joined(separator: ", "))")
        }
        return try SentenceEmbedder.load(directory: directory)
    }

    private static func loadLanguageModel(directory: URL, modelType type: String) throws -> any LanguageModel {
        switch type {
        case "gpt2":
            return try GPT.load(directory: directory)
        case "llama", "mistral", "qwen2":
            return try Llama.load(directory: directory)
        case let t where embedderTypes.contains(t):
            throw ModelError.unsupported("\(directory.path) holds a '\(t)' encoder, not a language model; load it as an embedder")
        default:
            throw ModelError.unsupported("model_type '\(type)' in \(directory.path)/config.json; Quill loads "
                + "\((languageModelTypes + embedderTypes).joined(separator: ", "))")
        }
    }
}
