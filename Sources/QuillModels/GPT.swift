// GPT-2 exactly as Radford et al. 2019 / nanoGPT: learned token + position embeddings, pre-LN blocks
// (LN → masked multi-head attention → residual, LN → 4× MLP with tanh-GELU → residual), final LN,
// LM head tied to the token embedding. Parameter names and layouts are Hugging Face GPT-2's
// (Conv1D weights stored (in, out)), so the weights round-trip through an HF model directory.
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

    // MARK: Training forward (records on the tape when one is active)

    /// Logits (B·T, V) for `ids` laid out as B rows of T tokens. Dropout draws from `rng` when
    /// `training` and config.dropout > 0.
    public func logits(_ ids: [Int32], batch B: Int, time T: Int, training: Bool = false,
                       rng: inout RandomGenerator) -> Tensor {
        precondition(ids.count == B * T && T <= config.contextLength, "GPT.logits: ids must be B·T with T ≤ context")
        materialize()
        let p = training ? config.dropout : 0
        let positions = (0..<B).flatMap { _ in (0..<T).map { Int32($0) } }
        var x = dropout(add(wte(ids), wpe(positions)), probability: p, rng: &rng)   // (B·T, C)
        for block in blocks {
            let qkv = block.attnQKV(block.ln1(x))                                   // (B·T, 3C)
            let a = causalSelfAttention(qkv, batch: B, time: T, heads: config.nHead) // (B·T, C)
            x = add(x, dropout(block.attnProj(a), probability: p, rng: &rng))
            let m = block.mlpProj(gelu(block.mlpFC(block.ln2(x))))                  // (B·T, C)
            x = add(x, dropout(m, probability: p, rng: &rng))
        }
        return matmul(lnF(x), wte.weight, layout: .outputByInput)                   // (B·T, V)
    }

    /// Mean next-token cross-entropy of `targets` given `ids` (both B·T; negative targets ignored).
    public func loss(_ ids: [Int32], targets: [Int32], batch B: Int, time T: Int, training: Bool = false,
                     rng: inout RandomGenerator) -> Tensor {
        crossEntropy(logits(ids, batch: B, time: T, training: training, rng: &rng), targets: targets)
    }

    // MARK: Inference with a KV cache (no tape)

    public func makeCache() -> KVCache { makeCache(capacity: contextLength) }

    public func makeCache(type: KVCacheType) -> KVCache { makeCache(capacity: contextLength, type: type) }

    /// A cache for at most `capacity` positions (clamped to 1...contextLength), rows stored as `type`.
    public func makeCache(capacity: Int, type: KVCacheType = .f32) -> KVCache {
        KVCache(layers: config.nLayer, capacity: min(max(1, capacity), contextLength), width: config.nEmbd, heads: config.nHead, type: type)
    }

    public func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        try checkTokens(tokens, startingAt: cache.length)
        if cache.length + tokens.count > cache.capacity {
            throw ModelError.contextOverflow(needed: cache.length + tokens.count, contextLength: cache.capacity)
        }
        precondition(cache.width == config.nEmbd && cache.heads == config.nHead && cache.layerCount == config.nLayer, "GPT.forward: cache from another model")
        let n = tokens.count, C = config.nEmbd, NH = config.nHead, hs = C / NH, pos0 = cache.length
        precondition(n > 0, "GPT.forward: no tokens")
        var x = add(pending.embed(tokens.map { Int32($0) }, table: wte), wpe((pos0..<pos0 + n).map { Int32($0) }))  // (n, C)
        for (l, block) in blocks.enumerated() {
            let w = inferenceWeights
            let qkv = infer(block.attnQKV, block.ln1(x), w)                         // (n, 3C)
            cache.store(layer: l, at: pos0, rows: n, keys: qkv.data + C, values: qkv.data + 2 * C, stride: 3 * C)
            // A prompt from an empty cache attends in one pass through per-head BLAS products
            // (the training op); later chunks and decode steps read the cache.
            let a: Tensor
            if pos0 == 0 && n >= WeightMatrix.gemmRowThreshold {
                a = causalSelfAttention(qkv, batch: 1, time: n, heads: NH)            // (n, C)
            } else {
                a = Tensor(zeros: [n, C])
                Parallel.forEachChunk(NH) { heads in
                    let scratch = TensorStorage(count: pos0 + n)
                    for h in heads {
                        cache.attend(layer: l, head: h, queries: qkv.data + h * hs, ldq: 3 * C,
                                     count: n, start: pos0, out: a.data + h * hs, ldo: C, scratch: scratch.pointer)
                    }
                }
            }
            x = add(x, infer(block.attnProj, a, w))
            x = add(x, infer(block.mlpProj, gelu(infer(block.mlpFC, block.ln2(x), w)), w))
        }
        cache.advance(by: n)
        let last = allLogits ? x : lastRow(of: x)
        return inferenceHead(lnF(last))                                              // (n or 1, V)
    }
}

/// The final row of a (n, C) tensor as (1, C).
func lastRow(of x: Tensor) -> Tensor {
    let C = x.lastDimension
    let row = Tensor(zeros: [1, C])
    row.data.update(from: x.data + (x.rows - 1) * C, count: C)
    return row
}
