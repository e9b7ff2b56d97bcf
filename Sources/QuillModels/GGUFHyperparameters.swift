// Model configs to and from llama.cpp's GGUF hyperparameter keys (`<arch>.context_length`,
// `<arch>.attention.head_count_kv`, `<arch>.rope.freq_base`, ...), as llama-arch.cpp names them.
// Shapes the keys do not give (vocabulary, biases, tied head) come from the tensors.
import QuillFormats

/// Reads `GPTConfig` / `LlamaConfig` from a GGUF file's metadata and writes them back.
struct GGUFHyperparameters {
    let file: GGUFFile

    private func value(_ key: String) -> GGUFValue? { file.metadata[key] }

    private func int(_ key: String) throws -> Int {
        guard let v = value(key)?.intValue, v > 0 else {
            throw ModelError.invalidConfig("\(file.fileName): metadata '\(key)' is missing or not a positive integer")
        }
        return v
    }

    private func optionalInt(_ key: String) -> Int? { value(key)?.intValue }
    private func float(_ key: String) -> Double? { value(key)?.doubleValue }

    /// Rows of token_embd.weight (GGUF (V, C)).
    private func vocabularySize() throws -> Int {
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.shape.count == 2 else {
            throw ModelError.missingTensor("token_embd.weight (\(file.fileName))")
        }
        return embedding.shape[0]
    }

    func gpt2Config() throws -> GPTConfig {
        let C = try int("gpt2.embedding_length")
        if let ff = optionalInt("gpt2.feed_forward_length"), ff != 4 * C {
            throw ModelError.unsupported("\(file.fileName): gpt2.feed_forward_length \(ff) (Quill's GPT-2 uses 4·embedding_length = \(4 * C))")
        }
        let eos = optionalInt("tokenizer.ggml.eos_token_id")
        let config = GPTConfig(nLayer: try int("gpt2.block_count"), nHead: try int("gpt2.attention.head_count"), nEmbd: C,
                               contextLength: try int("gpt2.context_length"), vocabularySize: try vocabularySize(),
                               bias: true, layerNormEpsilon: Float(float("gpt2.attention.layer_norm_epsilon") ?? 1e-5),
                               eosTokenID: eos)
        try config.validate()
        return config
    }

    func llamaConfig() throws -> LlamaConfig {
        let arch = file.architecture ?? "llama"
        let heads = try int("\(arch).attention.head_count"), C = try int("\(arch).embedding_length")
        var scaling: RoPEScaling?
        switch value("\(arch).rope.scaling.type")?.stringValue {
        case nil, "none": scaling = nil
        case "linear": scaling = .linear(factor: float("\(arch).rope.scaling.factor") ?? 1)
        case let other?:
            throw ModelError.unsupported("\(file.fileName): \(arch).rope.scaling.type '\(other)' (Quill reads none and linear from GGUF)")
        }
        let eos = optionalInt("tokenizer.ggml.eos_token_id")
        let config = LlamaConfig(
            modelType: arch, vocabularySize: try vocabularySize(), hiddenSize: C,
            intermediateSize: try int("\(arch).feed_forward_length"), layerCount: try int("\(arch).block_count"),
            headCount: heads, kvHeadCount: optionalInt("\(arch).attention.head_count_kv") ?? heads,
            headSize: optionalInt("\(arch).attention.key_length") ?? C / heads,
            rmsNormEpsilon: Float(float("\(arch).attention.layer_norm_rms_epsilon") ?? 1e-5),
            ropeTheta: float("\(arch).rope.freq_base") ?? 10_000, ropeScaling: scaling,
            maxPositionEmbeddings: try int("\(arch).context_length"),
            tieWordEmbeddings: file.tensor(named: "output.weight") == nil,
            qkvBias: file.tensor(named: "blk.0.attn_q.bias") != nil,
            outputBias: file.tensor(named: "blk.0.attn_output.bias") != nil,
            mlpBias: file.tensor(named: "blk.0.ffn_up.bias") != nil,
            bosTokenID: optionalInt("tokenizer.ggml.bos_token_id"), eosTokenIDs: eos.map { [$0] } ?? [])
        try config.validate()
        return config
    }

    static func addGPT2(_ c: GPTConfig, to writer: inout GGUFWriter) {
        writer.addMetadata("general.architecture", .string("gpt2"))
        writer.addMetadata("gpt2.context_length", .uint32(UInt32(c.contextLength)))
        writer.addMetadata("gpt2.embedding_length", .uint32(UInt32(c.nEmbd)))
        writer.addMetadata("gpt2.feed_forward_length", .uint32(UInt32(4 * c.nEmbd)))
        writer.addMetadata("gpt2.block_count", .uint32(UInt32(c.nLayer)))
        writer.addMetadata("gpt2.attention.head_count", .uint32(UInt32(c.nHead)))
        writer.addMetadata("gpt2.attention.layer_norm_epsilon", .float32(c.layerNormEpsilon))
    }

    /// Mistral is written as "llama" (llama.cpp's converter does the same); a sliding window and rope
    /// scalings other than linear have no GGUF form here and are refused rather than silently dropped.
    static func addLlama(_ c: LlamaConfig, to writer: inout GGUFWriter) throws {
        let arch = c.modelType == "qwen2" ? "qwen2" : "llama"
        if c.slidingWindow != nil && c.slidingWindow! < c.maxPositionEmbeddings {
            throw ModelError.unsupported("GGUF export of a sliding-window attention model (window \(c.slidingWindow!))")
        }
        writer.addMetadata("general.architecture", .string(arch))
        writer.addMetadata("\(arch).vocab_size", .uint32(UInt32(c.vocabularySize)))
        writer.addMetadata("\(arch).context_length", .uint32(UInt32(c.maxPositionEmbeddings)))
        writer.addMetadata("\(arch).embedding_length", .uint32(UInt32(c.hiddenSize)))
        writer.addMetadata("\(arch).feed_forward_length", .uint32(UInt32(c.intermediateSize)))
        writer.addMetadata("\(arch).block_count", .uint32(UInt32(c.layerCount)))
        writer.addMetadata("\(arch).attention.head_count", .uint32(UInt32(c.headCount)))
        writer.addMetadata("\(arch).attention.head_count_kv", .uint32(UInt32(c.kvHeadCount)))
        writer.addMetadata("\(arch).attention.key_length", .uint32(UInt32(c.headSize)))
        writer.addMetadata("\(arch).attention.value_length", .uint32(UInt32(c.headSize)))
        writer.addMetadata("\(arch).rope.dimension_count", .uint32(UInt32(c.headSize)))
        writer.addMetadata("\(arch).rope.freq_base", .float32(Float(c.ropeTheta)))
        writer.addMetadata("\(arch).attention.layer_norm_rms_epsilon", .float32(c.rmsNormEpsilon))
        switch c.ropeScaling {
        case nil: break
        case .linear(let factor)?:
            writer.addMetadata("\(arch).rope.scaling.type", .string("linear"))
            writer.addMetadata("\(arch).rope.scaling.factor", .float32(Float(factor)))
        case let other?:
            throw ModelError.unsupported("GGUF export of rope_scaling \(other) (Quill writes none or linear)")
        }
    }
}
