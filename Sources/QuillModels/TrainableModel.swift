// What the one training loop (QuillTraining's Trainer) needs from a model of any family: a mean
// next-token loss over B rows of T token ids on the tape, its named parameters (Module: the keys of
// checkpoints and optimizer moments) and a save as a Hugging Face model directory. GPT-2 and the
// Llama family (llama, mistral, qwen2; SmolLM2 from its GGUF, dequantized) conform.
import Foundation
import QuillFormats
import QuillNN
import QuillTensor

/// A causal language model the Trainer can train: what it trains also generates (LanguageModel).
public protocol TrainableModel: LanguageModel, Module {
    /// config.json's model_type ("gpt2", "llama", "mistral", "qwen2").
    var modelType: String { get }
    /// Mean next-token cross-entropy of `targets` given `ids` (both B·T, row-major; negative targets
    /// ignored), recorded on the active tape. Dropout, where the family has it, draws from `rng` when
    /// `training`; the same rng state gives the same loss.
    func loss(_ ids: [Int32], targets: [Int32], batch: Int, time: Int, training: Bool,
              rng: inout RandomGenerator) -> Tensor
    /// Writes the model as an HF directory (config.json, generation_config.json, model.safetensors).
    func save(directory: URL, dtype: SafetensorsDType) throws
}

extension GPT: TrainableModel {
    public var modelType: String { "gpt2" }
}

extension Llama: TrainableModel {
    public var modelType: String { config.modelType }

    /// The TrainableModel loss: Llama-family models have no dropout, so `training` and `rng` do not
    /// change it (`rng` is left as it was).
    public func loss(_ ids: [Int32], targets: [Int32], batch B: Int, time T: Int, training: Bool,
                     rng: inout RandomGenerator) -> Tensor {
        loss(ids, targets: targets, batch: B, time: T)
    }
}

/// Opens a model to train (or to resume) from disk, by family.
public enum TrainableModels {
    /// model_type values that train; BERT (an encoder) has no next-token loss and is refused.
    public static let modelTypes = ["gpt2", "llama", "mistral", "qwen2"]

    /// A model with float parameters from an HF model directory (dispatched on config.json's
    /// model_type) or a `.gguf` file (every block format dequantized to F32).
    public static func load(_ url: URL) throws -> any TrainableModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.invalidConfig("\(url.path) does not exist: expected an HF model directory or a .gguf file")
        }
        if !isDirectory.boolValue {
            guard url.pathExtension.lowercased() == "gguf" else {
                throw ModelError.unsupported("\(url.path) is a file but not a .gguf; pass a GGUF file or an HF model directory")
            }
            let model = try GGUFCheckpoint.load(url: url, forInference: false).model
            guard let trainable = model as? any TrainableModel else {
                throw ModelError.unsupported("\(url.path): \(type(of: model)) cannot be trained")
            }
            return trainable
        }
        let type = try ConfigLoading.modelType(url)
        switch type {
        case "gpt2": return try GPT.load(directory: url)
        case "llama", "mistral", "qwen2": return try Llama.load(directory: url)
        default:
            throw ModelError.unsupported("\(url.path) holds a '\(type)' model; Quill trains \(modelTypes.joined(separator: ", ")) "
                + "(next-token loss)")
        }
    }
}
