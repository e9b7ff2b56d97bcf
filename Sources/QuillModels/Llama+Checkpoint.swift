// Reads and writes Llama-family models as Hugging Face model directories: config.json (HF keys) +
// model.safetensors or a sharded index (HF names, nn.Linear (out, in) layout). A tied head is
// not stored; a checkpoint that still carries lm_head.weight for a tied model loads too.
import Foundation
import QuillFormats
import QuillTensor

extension Llama {
    /// Loads a llama / mistral / qwen2 model directory (single or sharded safetensors, any float dtype).
    public static func load(directory: URL) throws -> Llama {
        let config = try ConfigLoading.config(LlamaConfig.self, in: directory)
        let failure = LoadFailure()
        let source = try WeightSource(directory: directory)
        // F32 tensors are used in place from the mapping (no copy); others are converted.
        let model = try Llama(config: config, seed: nil, parameters: source.parameters(prefixes: [], failure: failure))
        try failure.check()
        return model
    }

    /// Writes config.json, generation_config.json and model.safetensors (each atomically) into
    /// `directory`, creating it if needed. `dtype` is F32, F16 or BF16.
    public func save(directory: URL, dtype: SafetensorsDType = .f32) throws {
        var generation: [String: Int] = [:]
        if let bos = config.bosTokenID { generation["bos_token_id"] = bos }
        if let eos = config.eosTokenIDs.first { generation["eos_token_id"] = eos }
        try saveHuggingFaceDirectory(directory, config: config, generation: generation,
                                     parameters: namedParameters, dtype: dtype)
    }
}
