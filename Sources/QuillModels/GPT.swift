// GPT-2 exactly as Radford et al. 2019 / nanoGPT: learned token + position embeddings, pre-LN blocks
// (LN → masked multi-head attention → residual, LN → 4× MLP with tanh-GELU → residual), final LN,
// LM head tied to the token embedding. Parameter names and layouts are Hugging Face GPT-2's
// (Conv1D weights stored (in, out)), so the weights round-trip through an HF model directory. One
// block body serves training, cached and batched inference (ForwardPass decides how each step runs).
// Legend: B batch, T time, C channels (nEmbd), V vocabulary, NH heads, hs = C / NH.
import CQuillKernels
import QuillNN
import QuillTensor

/// One transformer block: h.{i}.*
public final class GPTBlock: Module {
    public let ln1: LayerNorm, attnQKV: Linear, attnProj: Linear
    public let ln2: LayerNorm, mlpFC: Linear, mlpProj: Linear

    init(_ c: GPTConfig, index i: Int, parameters m: ParameterFactory?) {
        let p = "h.\(i)"
        ln1 = LayerNorm(c.nEmbd, bias: c.bias, epsilon: c.layerNormEpsilon, name: "\(p).ln_1", parameters: m)
        attnQKV = Linear(inputs: c.nEmbd, outputs: 3 * c.nEmbd, bias: c.bias, layout: .inputByOutput, name: "\(p).attn.c_attn", parameters: m)
        attnProj = Linear(inputs: c.nEmbd, outputs: c.nEmbd, bias: c.bias, layout: .inputByOutput, name: "\(p).attn.c_proj", parameters: m)
        ln2 = LayerNorm(c.nEmbd, bias: c.bias, epsilon: c.layerNormEpsilon, name: "\(p).ln_2", parameters: m)
        mlpFC = Linear(inputs: c.nEmbd, outputs: 4 * c.nEmbd, bias: c.bias, layout: .inputByOutput, name: "\(p).mlp.c_fc", parameters: m)
        mlpProj = Linear(inputs: 4 * c.nEmbd, outputs: c.nEmbd, bias: c.bias, layout: .inputByOutput, name: "\(p).mlp.c_proj", parameters: m)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        let parts: [any Module] = [ln1, attnQKV, attnProj, ln2, mlpFC, mlpProj]
        return parts.flatMap { $0.namedParameters }
    }

    /// x (N, C) → x + attention + MLP: the block's one body for training, cached and batched inference
    /// (`pass` decides how projections and attention run). Dropout draws from `rng` when p > 0.
    func callAsFunction(_ x: Tensor, _ c: GPTConfig, layer l: Int, pass: ForwardPass, dropout p: Float,
                        rng: inout RandomGenerator) -> Tensor {
        let qkv = pass.linear(attnQKV, ln1(x))                                          // (N, 3C)
        let a = pass.attention(layer: l, qkv: qkv, heads: c.nHead)                      // (N, C)
        let r = add(x, dropout(pass.linear(attnProj, a), probability: p, rng: &rng))
        let m = pass.linear(mlpProj, gelu(pass.linear(mlpFC, ln2(r))))                  // (N, C)
        return add(r, dropout(m, probability: p, rng: &rng))
    }
}

public final class GPT: Module, LanguageModel {
    public let config: GPTConfig
    public let wte: Embedding   // (V, C), also the LM head
    public let wpe: Embedding   // (contextLength, C)
    public let blocks: [GPTBlock]
    public let lnF: LayerNorm
    /// Matrices used by `forward` in place of the float weights after `quantize(to:)`; nil = float.
    public internal(set) var inferenceWeights: InferenceWeights?
    /// Float parameters of an inference load still to be filled from their checkpoint (see ``materialize()``).
    let pending = PendingParameters()

    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.contextLength }

    /// A model with GPT-2's initialisation (none when `seed` is nil, for loaders that overwrite every
    /// parameter): N(0, 0.02) weights, residual projections scaled by
    /// 1/√(2·nLayer), zero biases, unit layer-norm gains — drawn in parameter order from `seed`.
    public convenience init(config: GPTConfig, seed: UInt64? = 0) throws {
        try self.init(config: config, seed: seed, parameters: nil)
    }

    /// A model whose parameters come from `parameters` (a loader's tensors; nil: zeros, unit gains).
    init(config: GPTConfig, seed: UInt64?, parameters m: ParameterFactory?) throws {
        try config.validate()
        self.config = config
        wte = Embedding(count: config.vocabularySize, dimension: config.nEmbd, name: "wte", parameters: m)
        wpe = Embedding(count: config.contextLength, dimension: config.nEmbd, name: "wpe", parameters: m)
        blocks = (0..<config.nLayer).map { GPTBlock(config, index: $0, parameters: m) }
        lnF = LayerNorm(config.nEmbd, bias: config.bias, epsilon: config.layerNormEpsilon, name: "ln_f", parameters: m)
        // seed nil: loaders overwrite every parameter, so skip the (slow, 124M-draw) initialisation.
        guard let seed else { return }
        var rng = RandomGenerator(seed: seed)
        let projectionStd = 0.02 / Float(2 * config.nLayer).squareRoot()
        for (name, t) in namedParameters where t.shape.count == 2 {
            t.fillNormal(std: name.hasSuffix("c_proj.weight") ? projectionStd : 0.02, rng: &rng)
        }
    }

    /// Every parameter, filled first if this is an inference load (see ``materialize()``).
    public var namedParameters: [(name: String, tensor: Tensor)] {
        materialize()
        return wte.namedParameters + wpe.namedParameters + blocks.flatMap { $0.namedParameters } + lnF.namedParameters
    }

    /// The block stack over `pass`: embeddings (N, C) → final hidden states after ln_f (N, C).
    func decoder(_ x: Tensor, _ pass: ForwardPass, dropout p: Float, rng: inout RandomGenerator) -> Tensor {
        var x = x
        for (l, block) in blocks.enumerated() { x = block(x, config, layer: l, pass: pass, dropout: p, rng: &rng) }
        return lnF(x)
    }

    // MARK: Training forward (records on the tape when one is active)

    /// Logits (B·T, V) for `ids` laid out as B rows of T tokens. Dropout draws from `rng` when
    /// `training` and config.dropout > 0.
    public func logits(_ ids: [Int32], batch B: Int, time T: Int, training: Bool = false,
                       rng: inout RandomGenerator) -> Tensor {
        precondition(ids.count == B * T && T <= config.contextLength, "GPT.logits: ids must be B·T with T ≤ context")
        materialize()
        let p = training ? config.dropout : 0
        let pass = ForwardPass(batch: B, time: T)
        let x = dropout(add(wte(ids), wpe(pass.positions.map { Int32($0) })), probability: p, rng: &rng)   // (B·T, C)
        return pass.logits(decoder(x, pass, dropout: p, rng: &rng), weight: wte.weight, matrix: nil, lastRows: false)  // (B·T, V)
    }

    /// Mean next-token cross-entropy of `targets` given `ids` (both B·T; negative targets ignored).
    public func loss(_ ids: [Int32], targets: [Int32], batch B: Int, time T: Int, training: Bool = false,
                     rng: inout RandomGenerator) -> Tensor {
        crossEntropy(logits(ids, batch: B, time: T, training: training, rng: &rng), targets: targets)
    }

    // MARK: Inference with a KV cache (no tape)

    public func makeCache() -> KVCache { makeCache(capacity: contextLength) }

    public func makeCache(type: KVCacheType) -> KVCache { makeCache(capacity: contextLength, type: type) }

    /// A cache for at most `capacity` positions (clamped to 1...contextLength and to
    /// KVCache.maximumReservedBytes), rows stored as `type`.
    public func makeCache(capacity: Int, type: KVCacheType = .f32) -> KVCache {
        let affordable = KVCache.affordableCapacity(layers: config.nLayer, width: config.nEmbd, type: type)
        return KVCache(layers: config.nLayer, capacity: min(max(1, capacity), contextLength, affordable),
                       width: config.nEmbd, heads: config.nHead, type: type)
    }

    public func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        try inference([tokens], caches: [cache], allLogits: allLogits)
    }

    /// The inference pass for one sequence or several (`forward(batch:caches:)`): (B, V) logits for each
    /// sequence's last token, or (n, V) for every token of a single sequence when `allLogits`.
    func inference(_ batch: [[Int]], caches: [KVCache], allLogits: Bool) throws -> Tensor {
        try checkBatch(batch, caches: caches)
        precondition(caches.allSatisfy { $0.width == config.nEmbd && $0.heads == config.nHead && $0.layerCount == config.nLayer },
                     "GPT.forward: cache from another model")
        let pass = ForwardPass(batch: batch, caches: caches, weights: inferenceWeights)
        var unused = RandomGenerator(seed: 0)                                          // no dropout in inference
        let ids = batch.flatMap { $0.map { Int32($0) } }
        let x = add(pending.embed(ids, table: wte), wpe(pass.positions.map { Int32($0) }))                 // (N, C)
        let h = decoder(x, pass, dropout: 0, rng: &unused)
        pass.advanceCaches()
        return pass.logits(pass.headRows(h, allLogits: allLogits), weight: wte.weight,
                           matrix: inferenceWeights?.matrices["wte.weight"], lastRows: !allLogits)         // (B or n, V)
    }
}

extension GPT: BatchedLanguageModel {
    public func forward(batch: [[Int]], caches: [KVCache]) throws -> Tensor {
        try inference(batch, caches: caches, allLogits: false)
    }
}
