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
        try shapeProbes(config).check(source: source.name, lookup: source.probe())
        // F32 tensors are used in place from the mapping (no copy); others are converted.
        let model = try Llama(config: config, seed: nil, parameters: source.parameters(prefixes: [], failure: failure))
        try failure.check()
        return model
    }

    /// Tensors whose shapes `c` fixes, checked against a checkpoint (safetensors or GGUF) before the model is built.
    static func shapeProbes(_ c: LlamaConfig) -> ShapeProbes {
        var p = ShapeProbes()
        let C = c.hiddenSize, first = "model.layers.0"
        p.expect("model.embed_tokens.weight", [c.vocabularySize, C], "vocab_size", "hidden_size")
        p.expect("\(first).self_attn.q_proj.weight", [c.headCount * c.headSize, C], "num_attention_heads", "head_dim", "hidden_size")
        p.expect("\(first).self_attn.k_proj.weight", [c.kvHeadCount * c.headSize, C], "num_key_value_heads", "head_dim", "hidden_size")
        p.expect("\(first).self_attn.o_proj.weight", [C, c.headCount * c.headSize], "num_attention_heads", "head_dim", "hidden_size")
        p.expect("\(first).mlp.gate_proj.weight", [c.intermediateSize, C], "intermediate_size", "hidden_size")
        if !c.tieWordEmbeddings { p.expect("lm_head.weight", [c.vocabularySize, C], "vocab_size", "hidden_size") }
        p.layers = (c.layerCount, "num_hidden_layers", { "model.layers.\($0).input_layernorm.weight" })
        return p
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
