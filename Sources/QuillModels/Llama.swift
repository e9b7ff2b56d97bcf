// The Llama decoder (Touvron et al. 2023) as Hugging Face's LlamaForCausalLM computes it, which
// also covers Mistral and Qwen2: token embedding, pre-RMSNorm blocks (grouped-query attention with
// rotate_half RoPE → residual, SwiGLU MLP → residual), final RMSNorm, tied or separate LM head.
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

    /// x (N, C) → x + attention + MLP. `attend` maps RoPE'd q (N, NH·hs), k, v (N, KVH·hs) to (N, NH·hs).
    /// `weights` (inference only) replaces the float projections with their stored matrices.
    func callAsFunction(_ x: Tensor, _ c: LlamaConfig, positions: [Int], frequencies: [Double],
                        weights w: InferenceWeights? = nil, attend: (Tensor, Tensor, Tensor) -> Tensor) -> Tensor {
        let h = inputNorm(x)                                                                   // (N, C)
        let q = rope(infer(query, h, w), positions: positions, heads: c.headCount, headSize: c.headSize, frequencies: frequencies)
        let k = rope(infer(key, h, w), positions: positions, heads: c.kvHeadCount, headSize: c.headSize, frequencies: frequencies)
        let r = add(x, infer(output, attend(q, k, infer(value, h, w)), w))                    // (N, C)
        let m = postAttentionNorm(r)
        return add(r, infer(down, swiGLU(infer(gate, m, w), infer(up, m, w)), w))              // (N, C)
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

    /// (N, C) final hidden states → (N, V) logits through the head.
    func head(_ x: Tensor) -> Tensor {
        matmul(norm(x), lmHead?.weight ?? embedTokens.weight, layout: .outputByInput)
    }

    // MARK: Training forward (records on the tape when one is active)

    /// Logits (B·T, V) for `ids` laid out as B rows of T tokens, every row starting at position 0.
    public func logits(_ ids: [Int32], batch B: Int, time T: Int) -> Tensor {
        precondition(ids.count == B * T && T <= contextLength, "Llama.logits: ids must be B·T with T ≤ context")
        materialize()
        let positions = (0..<B).flatMap { _ in Array(0..<T) }
        let frequencies = config.ropeFrequencies(length: T)
        var x = embedTokens(ids)                                                               // (B·T, C)
        for layer in layers {
            x = layer(x, config, positions: positions, frequencies: frequencies) { q, k, v in
                groupedQueryAttention(query: q, key: k, value: v, batch: B, time: T, heads: config.headCount,
                                      kvHeads: config.kvHeadCount, causal: true)
            }
        }
        return head(x)                                                                         // (B·T, V)
    }

    /// Mean next-token cross-entropy of `targets` given `ids` (both B·T; negative targets ignored).
    public func loss(_ ids: [Int32], targets: [Int32], batch B: Int, time T: Int) -> Tensor {
        crossEntropy(logits(ids, batch: B, time: T), targets: targets)
    }

    // MARK: Inference with a KV cache (no tape)

    /// A cache of (contextLength, KVH·hs) keys and values per layer.
    public func makeCache() -> KVCache { makeCache(capacity: contextLength) }

    /// A cache for at most `capacity` positions (≤ contextLength). Real checkpoints declare contexts of
    /// 32k–128k positions; a cache sized for the request keeps memory to what it needs.
    public func makeCache(capacity: Int, type: KVCacheType = .f32) -> KVCache {
        KVCache(layers: config.layerCount, capacity: min(max(1, capacity), contextLength),
                width: config.kvHeadCount * config.headSize, heads: config.kvHeadCount, type: type)
    }

    public func makeCache(type: KVCacheType) -> KVCache { makeCache(capacity: contextLength, type: type) }

    public func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        try checkTokens(tokens, startingAt: cache.length)
        if cache.length + tokens.count > cache.capacity {
            throw ModelError.contextOverflow(needed: cache.length + tokens.count, contextLength: cache.capacity)
        }
        precondition(!tokens.isEmpty, "Llama.forward: no tokens")
        precondition(cache.width == config.kvHeadCount * config.headSize && cache.heads == config.kvHeadCount && cache.layerCount == config.layerCount,
                     "Llama.forward: cache from another model")
        let n = tokens.count, pos0 = cache.length
        let positions = Array(pos0..<pos0 + n), frequencies = config.ropeFrequencies(length: pos0 + n)
        var x = pending.embed(tokens.map { Int32($0) }, table: embedTokens)                     // (n, C)
        for (l, layer) in layers.enumerated() {
            x = layer(x, config, positions: positions, frequencies: frequencies, weights: inferenceWeights) { q, k, v in
                cachedAttention(q, k, v, cache: cache, layer: l, start: pos0)
            }
        }
        cache.advance(by: n)
        return inferenceHead(allLogits ? x : lastRow(of: x))                                   // (n or 1, V)
    }

    /// Appends k, v (n, KVH·hs) at rows start..< of the layer's cache, then attends every new query
    /// to the whole prefix. Query head h reads kv head h / (NH/KVH) through a column offset. → (n, NH·hs)
    func cachedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, cache: KVCache, layer l: Int, start pos0: Int) -> Tensor {
        let n = q.rows, NH = config.headCount, hs = config.headSize, KC = config.kvHeadCount * hs
        let group = NH / config.kvHeadCount
        cache.store(layer: l, at: pos0, rows: n, keys: k.data, values: v.data, stride: KC)
        let a = Tensor(zeros: [n, NH * hs])
        Parallel.forEachChunk(NH) { heads in
            let scratch = TensorStorage(count: pos0 + n)
            for h in heads {
                cache.attend(layer: l, head: h / group, queries: q.data + h * hs, ldq: NH * hs,
                             count: n, start: pos0, out: a.data + h * hs, ldo: NH * hs, scratch: scratch.pointer)
            }
        }
        return a
    }
}
