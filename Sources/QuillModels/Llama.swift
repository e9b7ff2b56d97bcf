// The Llama decoder (Touvron et al. 2023) as Hugging Face's LlamaForCausalLM computes it, which
// also covers Mistral and Qwen2: token embedding, pre-RMSNorm blocks (grouped-query attention with
// rotate_half RoPE → residual, SwiGLU MLP → residual), final RMSNorm, tied or separate LM head. The
// layer body is written once; a ForwardPass runs it for training, cached or batched inference.
// Legend: B batch, T time, C hidden, V vocabulary, NH query heads, KVH kv heads, hs head size.
import CQuillKernels
import QuillNN
import QuillTensor

/// One decoder layer: model.layers.{i}.*
public final class LlamaLayer: Module {
    public let inputNorm: RMSNorm, query: Linear, key: Linear, value: Linear, output: Linear
    public let postAttentionNorm: RMSNorm, gate: Linear, up: Linear, down: Linear

    init(_ c: LlamaConfig, index i: Int, parameters m: ParameterFactory?) {
        let p = "model.layers.\(i)", C = c.hiddenSize, hs = c.headSize
        inputNorm = RMSNorm(C, epsilon: c.rmsNormEpsilon, name: "\(p).input_layernorm", parameters: m)
        query = Linear(inputs: C, outputs: c.headCount * hs, bias: c.qkvBias, layout: .outputByInput, name: "\(p).self_attn.q_proj", parameters: m)
        key = Linear(inputs: C, outputs: c.kvHeadCount * hs, bias: c.qkvBias, layout: .outputByInput, name: "\(p).self_attn.k_proj", parameters: m)
        value = Linear(inputs: C, outputs: c.kvHeadCount * hs, bias: c.qkvBias, layout: .outputByInput, name: "\(p).self_attn.v_proj", parameters: m)
        output = Linear(inputs: c.headCount * hs, outputs: C, bias: c.outputBias, layout: .outputByInput, name: "\(p).self_attn.o_proj", parameters: m)
        postAttentionNorm = RMSNorm(C, epsilon: c.rmsNormEpsilon, name: "\(p).post_attention_layernorm", parameters: m)
        gate = Linear(inputs: C, outputs: c.intermediateSize, bias: c.mlpBias, layout: .outputByInput, name: "\(p).mlp.gate_proj", parameters: m)
        up = Linear(inputs: C, outputs: c.intermediateSize, bias: c.mlpBias, layout: .outputByInput, name: "\(p).mlp.up_proj", parameters: m)
        down = Linear(inputs: c.intermediateSize, outputs: C, bias: c.mlpBias, layout: .outputByInput, name: "\(p).mlp.down_proj", parameters: m)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        let parts: [any Module] = [inputNorm, query, key, value, output, postAttentionNorm, gate, up, down]
        return parts.flatMap { $0.namedParameters }
    }

    /// x (N, C) → x + attention + MLP: the layer's one body for training, cached and batched inference
    /// (`pass` decides how projections and attention run). `l` is the layer's index (its cache slot).
    func callAsFunction(_ x: Tensor, _ c: LlamaConfig, layer l: Int, pass: ForwardPass) -> Tensor {
        let h = inputNorm(x)                                                                   // (N, C)
        let q = pass.rope(pass.linear(query, h), heads: c.headCount, headSize: c.headSize)     // (N, NH·hs)
        let k = pass.rope(pass.linear(key, h), heads: c.kvHeadCount, headSize: c.headSize)    // (N, KVH·hs)
        let a = pass.attention(layer: l, query: q, key: k, value: pass.linear(value, h), heads: c.headCount,
                               kvHeads: c.kvHeadCount)                                         // (N, NH·hs)
        let r = add(x, pass.linear(output, a))                                                 // (N, C)
        let m = postAttentionNorm(r)
        return add(r, pass.linear(down, swiGLU(pass.linear(gate, m), pass.linear(up, m))))    // (N, C)
    }
}

/// A Llama-family causal language model (llama, mistral, qwen2 configs).
///
/// ```swift
/// let model = try Llama.load(directory: URL(fileURLWithPath: "models/tiny-llama"))
/// let cache = model.makeCache()
/// let logits = try model.forward([1, 15, 27], cache: cache)      // (1, V) for the last token
/// ```
public final class Llama: Module, LanguageModel {
    public let config: LlamaConfig
    public let embedTokens: Embedding      // (V, C)
    public let layers: [LlamaLayer]
    public let norm: RMSNorm
    /// lm_head (V, C); nil when the head is tied to `embedTokens`.
    public let lmHead: Linear?
    /// Matrices used by `forward` in place of the float weights after `quantize(to:)`; nil = float.
    public internal(set) var inferenceWeights: InferenceWeights?
    /// Float parameters of an inference load still to be filled from their checkpoint (see ``materialize()``).
    let pending = PendingParameters()

    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.contextLength }

    /// A model with HF's initialisation (none when `seed` is nil, for loaders): N(0, 0.02) matrices drawn
    /// in parameter order from `seed`,
    /// zero biases, unit RMSNorm gains.
    public convenience init(config: LlamaConfig, seed: UInt64? = 0) throws {
        try self.init(config: config, seed: seed, parameters: nil)
    }

    /// A model whose parameters come from `parameters` (a loader's tensors; nil: zeros, unit gains).
    init(config: LlamaConfig, seed: UInt64?, parameters m: ParameterFactory?) throws {
        try config.validate()
        self.config = config
        embedTokens = Embedding(count: config.vocabularySize, dimension: config.hiddenSize, name: "model.embed_tokens", parameters: m)
        layers = (0..<config.layerCount).map { LlamaLayer(config, index: $0, parameters: m) }
        norm = RMSNorm(config.hiddenSize, epsilon: config.rmsNormEpsilon, name: "model.norm", parameters: m)
        lmHead = config.tieWordEmbeddings ? nil
            : Linear(inputs: config.hiddenSize, outputs: config.vocabularySize, bias: false, layout: .outputByInput, name: "lm_head",
                     parameters: m)
        // seed nil: loaders overwrite every parameter, so skip the random initialisation.
        guard let seed else { return }
        var rng = RandomGenerator(seed: seed)
        for (_, t) in namedParameters where t.shape.count == 2 { t.fillNormal(std: 0.02, rng: &rng) }
    }

    /// Every parameter, filled first if this is an inference load (see ``materialize()``).
    public var namedParameters: [(name: String, tensor: Tensor)] {
        materialize()
        return embedTokens.namedParameters + layers.flatMap { $0.namedParameters } + norm.namedParameters
            + (lmHead?.namedParameters ?? [])
    }

    /// The decoder stack over `pass`: embeddings (N, C) → final hidden states, normed (N, C).
    func decoder(_ x: Tensor, _ pass: ForwardPass) -> Tensor {
        var x = x
        for (l, layer) in layers.enumerated() { x = layer(x, config, layer: l, pass: pass) }
        return norm(x)
    }

    /// The head's float weight (V, C): lm_head, or the tied token embedding.
    var headWeight: Tensor { lmHead?.weight ?? embedTokens.weight }

    // MARK: Training forward (records on the tape when one is active)

    /// Logits (B·T, V) for `ids` laid out as B rows of T tokens, every row starting at position 0.
    public func logits(_ ids: [Int32], batch B: Int, time T: Int) -> Tensor {
        precondition(ids.count == B * T && T <= contextLength, "Llama.logits: ids must be B·T with T ≤ context")
        materialize()
        let pass = ForwardPass(batch: B, time: T, ropeFrequencies: { self.config.ropeFrequencies(length: $0) })
        return pass.logits(decoder(embedTokens(ids), pass), weight: headWeight, matrix: nil, lastRows: false)  // (B·T, V)
    }

    /// Mean next-token cross-entropy of `targets` given `ids` (both B·T; negative targets ignored).
    public func loss(_ ids: [Int32], targets: [Int32], batch B: Int, time T: Int) -> Tensor {
        crossEntropy(logits(ids, batch: B, time: T), targets: targets)
    }

    // MARK: Inference with a KV cache (no tape)

    /// A cache of (contextLength, KVH·hs) keys and values per layer.
    public func makeCache() -> KVCache { makeCache(capacity: contextLength) }

    /// A cache for at most `capacity` positions (≤ contextLength, and within KVCache.maximumReservedBytes).
    /// Real checkpoints declare contexts of 32k–128k positions; a cache sized for the request keeps memory
    /// to what it needs.
    public func makeCache(capacity: Int, type: KVCacheType = .f32) -> KVCache {
        let width = config.kvHeadCount * config.headSize
        let affordable = KVCache.affordableCapacity(layers: config.layerCount, width: width, type: type)
        return KVCache(layers: config.layerCount, capacity: min(max(1, capacity), contextLength, affordable),
                       width: width, heads: config.kvHeadCount, type: type)
    }

    public func makeCache(type: KVCacheType) -> KVCache { makeCache(capacity: contextLength, type: type) }

    public func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        try inference([tokens], caches: [cache], allLogits: allLogits)
    }

    /// The inference pass for one sequence or several (`forward(batch:caches:)`): (B, V) logits for each
    /// sequence's last token, or (n, V) for every token of a single sequence when `allLogits`.
    func inference(_ batch: [[Int]], caches: [KVCache], allLogits: Bool) throws -> Tensor {
        try checkBatch(batch, caches: caches)
        precondition(caches.allSatisfy { $0.width == config.kvHeadCount * config.headSize && $0.heads == config.kvHeadCount
                                         && $0.layerCount == config.layerCount }, "Llama.forward: cache from another model")
        let pass = ForwardPass(batch: batch, caches: caches, weights: inferenceWeights,
                               ropeFrequencies: { self.config.ropeFrequencies(length: $0) })
        let x = decoder(pending.embed(batch.flatMap { $0.map { Int32($0) } }, table: embedTokens), pass)   // (N, C)
        pass.advanceCaches()
        return pass.logits(pass.headRows(x, allLogits: allLogits), weight: headWeight,
                           matrix: inferenceWeights?.matrices["head"], lastRows: !allLogits)                 // (B or n, V)
    }
}

extension Llama: BatchedLanguageModel {
    public func forward(batch: [[Int]], caches: [KVCache]) throws -> Tensor {
        try inference(batch, caches: caches, allLogits: false)
    }
}
