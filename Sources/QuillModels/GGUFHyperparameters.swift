// Model configs to and from llama.cpp's GGUF hyperparameter keys (`<arch>.context_length`,
// `<arch>.attention.head_count_kv`, `<arch>.rope.freq_base`, ...), as llama-arch.cpp names them.
// Shapes the keys do not give (vocabulary, biases, tied head) come from the tensors.
import QuillFormats

/// Reads `GPTConfig` / `LlamaConfig` from a GGUF file's metadata and writes them back.
struct GGUFHyperparameters {
    let file: GGUFFile

    private func value(_ key: String) -> GGUFValue? { file.metadata[key] }

    /// A required size, positive and at most `limit` (ModelLimits), else an error naming the key.
    private func int(_ key: String, limit: Int) throws -> Int {
        guard let v = value(key)?.intValue, v > 0 else {
            throw ModelError.invalidConfig("\(file.fileName): metadata '\(key)' is missing or not a positive integer")
        }
        return try ModelLimits.check(v, "\(file.fileName): metadata '\(key)'", limit: limit)
    }

    /// An optional size, bounded as `int` when present.
    private func optionalInt(_ key: String, limit: Int) throws -> Int? {
        guard value(key) != nil else { return nil }
        return try int(key, limit: limit)
    }

    /// A token id, kept only when it names a row of the vocabulary (an id past it is dropped, as the
    /// tokenizer could never produce it).
    private func tokenID(_ key: String, vocabularySize: Int) -> Int? {
        value(key)?.intValue.flatMap { $0 >= 0 && $0 < vocabularySize ? $0 : nil }
    }

    private func float(_ key: String) -> Double? { value(key)?.doubleValue }

    /// Rows of token_embd.weight (GGUF (V, C)).
    private func vocabularySize() throws -> Int {
        guard let embedding = file.tensor(named: "token_embd.weight"), embedding.shape.count == 2 else {
            throw ModelError.missingTensor("token_embd.weight (\(file.fileName))")
        }
        return embedding.shape[0]
    }

    func gpt2Config() throws -> GPTConfig {
        let C = try int("gpt2.embedding_length", limit: ModelLimits.width)
        if let ff = try optionalInt("gpt2.feed_forward_length", limit: ModelLimits.width), ff != 4 * C {
            throw ModelError.unsupported("\(file.fileName): gpt2.feed_forward_length \(ff) (Quill's GPT-2 uses 4·embedding_length = \(4 * C))")
        }
        let V = try vocabularySize()
        let eos = tokenID("tokenizer.ggml.eos_token_id", vocabularySize: V)
        let config = GPTConfig(nLayer: try int("gpt2.block_count", limit: ModelLimits.layers),
                               nHead: try int("gpt2.attention.head_count", limit: ModelLimits.heads), nEmbd: C,
                               contextLength: try int("gpt2.context_length", limit: ModelLimits.context), vocabularySize: V,
                               bias: true, layerNormEpsilon: Float(float("gpt2.attention.layer_norm_epsilon") ?? 1e-5),
                               eosTokenID: eos)
        try config.validate()
        // One layer past the config, to see that the file holds no more layers than it declares.
        var probed = config
        probed.nLayer += 1
        try check(GPT.shapeProbes(config), maps: GGUFTensorMap.gpt2(probed), fields: [
            "vocab_size": "token_embd.weight rows", "n_embd": "gpt2.embedding_length",
            "n_positions": "gpt2.context_length", "n_layer": "gpt2.block_count"])
        return config
    }

    func llamaConfig() throws -> LlamaConfig {
        let arch = file.architecture ?? "llama"
        let heads = try int("\(arch).attention.head_count", limit: ModelLimits.heads)
        let C = try int("\(arch).embedding_length", limit: ModelLimits.width)
        var scaling: RoPEScaling?
        switch value("\(arch).rope.scaling.type")?.stringValue {
        case nil, "none": scaling = nil
        case "linear": scaling = .linear(factor: float("\(arch).rope.scaling.factor") ?? 1)
        case let other?:
            throw ModelError.unsupported("\(file.fileName): \(arch).rope.scaling.type '\(other)' (Quill reads none and linear from GGUF)")
        }
        let V = try vocabularySize()
        let eos = tokenID("tokenizer.ggml.eos_token_id", vocabularySize: V)
        var config = LlamaConfig(
            modelType: arch, vocabularySize: V, hiddenSize: C,
            intermediateSize: try int("\(arch).feed_forward_length", limit: ModelLimits.width),
            layerCount: try int("\(arch).block_count", limit: ModelLimits.layers),
            headCount: heads, kvHeadCount: try optionalInt("\(arch).attention.head_count_kv", limit: ModelLimits.heads) ?? heads,
            headSize: try optionalInt("\(arch).attention.key_length", limit: ModelLimits.width) ?? C / heads,
            rmsNormEpsilon: Float(float("\(arch).attention.layer_norm_rms_epsilon") ?? 1e-5),
            ropeTheta: float("\(arch).rope.freq_base") ?? 10_000, ropeScaling: scaling,
            maxPositionEmbeddings: try int("\(arch).context_length", limit: ModelLimits.context),
            tieWordEmbeddings: file.tensor(named: "output.weight") == nil,
            qkvBias: file.tensor(named: "blk.0.attn_q.bias") != nil,
            outputBias: file.tensor(named: "blk.0.attn_output.bias") != nil,
            mlpBias: file.tensor(named: "blk.0.ffn_up.bias") != nil,
            bosTokenID: tokenID("tokenizer.ggml.bos_token_id", vocabularySize: V), eosTokenIDs: eos.map { [$0] } ?? [])
        try config.validate()
        if let rotated = try optionalInt("\(arch).rope.dimension_count", limit: ModelLimits.width), rotated != config.headSize {
            throw ModelError.unsupported("\(file.fileName): \(arch).rope.dimension_count \(rotated) (partial rotary embeddings; Quill rotates all \(config.headSize) dimensions of a head)")
        }
        if let factors = try frequencyFactors(headSize: config.headSize) {
            // llama.cpp applies both: θ_i / factor_i, then the linear scale.
            if case .linear(let f)? = config.ropeScaling { config.ropeScaling = .frequencyFactors(factors.map { $0 * f }) }
            else { config.ropeScaling = .frequencyFactors(factors) }
            try config.validate()
        }
        var probed = config
        probed.layerCount += 1
        try check(Llama.shapeProbes(config), maps: GGUFTensorMap.llama(probed), fields: [
            "vocab_size": "token_embd.weight rows", "hidden_size": "\(arch).embedding_length",
            "num_attention_heads": "\(arch).attention.head_count", "num_key_value_heads": "\(arch).attention.head_count_kv",
            "head_dim": "\(arch).attention.key_length", "intermediate_size": "\(arch).feed_forward_length",
            "num_hidden_layers": "\(arch).block_count"])
        return config
    }

    /// `rope_freqs.weight`, llama.cpp's per-frequency RoPE divisors (Llama 3.1's scaling), when the file
    /// has it: headSize/2 positive finite numbers, else a typed error naming the tensor.
    private func frequencyFactors(headSize: Int) throws -> [Double]? {
        guard let tensor = file.tensor(named: "rope_freqs.weight") else { return nil }
        let name = "\(file.fileName): tensor 'rope_freqs.weight'"
        guard tensor.shape == [headSize / 2] else {
            throw ModelError.configMismatch(field: "rope_freqs.weight", detail: "\(name) has shape \(tensor.shape), need [\(headSize / 2)] (head size / 2)")
        }
        let values: [Float]
        do { values = try tensor.dequantize() } catch {
            throw ModelError.unsupported("\(name) is \(tensor.type.name), which Quill cannot read as numbers")
        }
        if let bad = values.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            throw ModelError.invalidConfig("\(name): factor \(bad) is \(values[bad]); RoPE frequency divisors must be positive numbers")
        }
        return values.map(Double.init)
    }

    /// Checks `probes` against the file's tensors through `maps` (names and layouts), naming fields by
    /// their GGUF keys.
    private func check(_ probes: ShapeProbes, maps: [GGUFTensorMapping], fields: [String: String]) throws {
        let byQuill = Dictionary(maps.map { ($0.quill, $0) }, uniquingKeysWith: { a, _ in a })
        try probes.check(source: file.fileName, field: { fields[$0] ?? $0 }) { name, shape in
            guard let map = byQuill[name], let entry = file.tensor(named: map.gguf) else { return nil }
            return ShapeProbes.Found(name: map.gguf, expected: map.ggufShape(shape), shape: entry.shape)
        }
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
        case .llama3?, .frequencyFactors?:
            break   // the rope_freqs.weight tensor carries it (GGUFCheckpoint.write), as llama.cpp writes llama3
        case let other?:
            throw ModelError.unsupported("GGUF export of rope_scaling \(other) (Quill writes none, linear and llama3)")
        }
    }
}
