// Hyperparameters of the Llama family (Llama 2/3, Mistral, Qwen2) as one struct, coded with the
// Hugging Face config.json keys (hidden_size, num_key_value_heads, rope_theta, rope_scaling, ...), so
// a Quill Llama directory is an HF one. Differences between the family members become flags here.
import Foundation

public struct LlamaConfig: Codable, Equatable, Sendable {
    /// "llama", "mistral" or "qwen2" (decides defaults such as Qwen2's q/k/v biases).
    public var modelType: String
    /// Rows of the token embedding / columns of the logits (V).
    public var vocabularySize: Int
    /// Width of the residual stream (C).
    public var hiddenSize: Int
    /// Width of the SwiGLU MLP's hidden layer.
    public var intermediateSize: Int
    /// Number of decoder layers.
    public var layerCount: Int
    /// Query heads (NH).
    public var headCount: Int
    /// Key/value heads (KVH); NH must be a multiple. Equal to NH without grouped-query attention.
    public var kvHeadCount: Int
    /// Floats per head (hs); head_dim in the config, else hiddenSize / headCount.
    public var headSize: Int
    /// RMSNorm epsilon.
    public var rmsNormEpsilon: Float
    /// RoPE base θ.
    public var ropeTheta: Double
    /// rope_scaling, if any.
    public var ropeScaling: RoPEScaling?
    /// max_position_embeddings.
    public var maxPositionEmbeddings: Int
    /// Sliding-window attention span (Mistral), if the config enables one. Quill attends over the
    /// whole prefix, which is exact while sequences fit in the window, so `contextLength` is capped to it.
    public var slidingWindow: Int?
    /// Whether the LM head reuses the token embedding (no lm_head.weight in the checkpoint).
    public var tieWordEmbeddings: Bool
    /// Biases on q_proj, k_proj, v_proj (Qwen2; Llama's attention_bias).
    public var qkvBias: Bool
    /// Bias on o_proj (Llama's attention_bias; Qwen2 has none).
    public var outputBias: Bool
    /// Biases on gate_proj, up_proj, down_proj (Llama's mlp_bias).
    public var mlpBias: Bool
    /// Beginning- and end-of-sequence ids (Llama 3 lists several end ids).
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]

    /// Longest sequence Quill runs: max_position_embeddings, or the sliding window if smaller.
    public var contextLength: Int { min(maxPositionEmbeddings, slidingWindow ?? .max) }

    public init(modelType: String = "llama", vocabularySize: Int, hiddenSize: Int, intermediateSize: Int,
                layerCount: Int, headCount: Int, kvHeadCount: Int? = nil, headSize: Int? = nil,
                rmsNormEpsilon: Float = 1e-5, ropeTheta: Double = 10_000, ropeScaling: RoPEScaling? = nil,
                maxPositionEmbeddings: Int, slidingWindow: Int? = nil, tieWordEmbeddings: Bool = false,
                qkvBias: Bool? = nil, outputBias: Bool = false, mlpBias: Bool = false,
                bosTokenID: Int? = nil, eosTokenIDs: [Int] = []) {
        self.modelType = modelType; self.vocabularySize = vocabularySize; self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize; self.layerCount = layerCount; self.headCount = headCount
        self.kvHeadCount = kvHeadCount ?? headCount; self.headSize = headSize ?? hiddenSize / max(1, headCount)
        self.rmsNormEpsilon = rmsNormEpsilon; self.ropeTheta = ropeTheta; self.ropeScaling = ropeScaling
        self.maxPositionEmbeddings = maxPositionEmbeddings; self.slidingWindow = slidingWindow
        self.tieWordEmbeddings = tieWordEmbeddings; self.qkvBias = qkvBias ?? (modelType == "qwen2")
        self.outputBias = outputBias; self.mlpBias = mlpBias
        self.bosTokenID = bosTokenID; self.eosTokenIDs = eosTokenIDs
    }

    /// The model types this config describes.
    public static let modelTypes: Set<String> = ["llama", "mistral", "qwen2"]

    /// Checks the numbers make a valid model; throws `ModelError.invalidConfig` naming the field.
    public func validate() throws {
        func fail(_ m: String) -> ModelError { .invalidConfig(m) }
        guard Self.modelTypes.contains(modelType) else { throw fail("model_type '\(modelType)' is not a Llama-family type") }
        guard vocabularySize > 0 else { throw fail("vocab_size must be positive, got \(vocabularySize)") }
        guard hiddenSize > 0, intermediateSize > 0 else { throw fail("hidden_size and intermediate_size must be positive") }
        guard layerCount > 0 else { throw fail("num_hidden_layers must be positive, got \(layerCount)") }
        guard headCount > 0, kvHeadCount > 0, headCount % kvHeadCount == 0 else {
            throw fail("num_attention_heads (\(headCount)) must be a positive multiple of num_key_value_heads (\(kvHeadCount))")
        }
        guard headSize > 0, headSize % 2 == 0 else { throw fail("head_dim must be positive and even, got \(headSize)") }
        guard maxPositionEmbeddings > 0 else { throw fail("max_position_embeddings must be positive") }
        guard ropeTheta > 0 else { throw fail("rope_theta must be positive, got \(ropeTheta)") }
        if let w = slidingWindow, w <= 0 { throw fail("sliding_window must be positive, got \(w)") }
        try ModelLimits.check(vocabularySize, "vocab_size", limit: ModelLimits.vocabulary)
        try ModelLimits.check(hiddenSize, "hidden_size", limit: ModelLimits.width)
        try ModelLimits.check(intermediateSize, "intermediate_size", limit: ModelLimits.width)
        try ModelLimits.check(layerCount, "num_hidden_layers", limit: ModelLimits.layers)
        try ModelLimits.check(headCount, "num_attention_heads", limit: ModelLimits.heads)
        try ModelLimits.check(headSize, "head_dim", limit: ModelLimits.width)
        try ModelLimits.check(headCount * headSize, "num_attention_heads × head_dim", limit: ModelLimits.width)
        try ModelLimits.check(maxPositionEmbeddings, "max_position_embeddings", limit: ModelLimits.context)
        guard rmsNormEpsilon > 0 && rmsNormEpsilon.isFinite else { throw fail("rms_norm_eps must be positive, got \(rmsNormEpsilon)") }
        guard ropeTheta.isFinite else { throw fail("rope_theta must be finite") }
        if case .frequencyFactors(let factors)? = ropeScaling {
            guard factors.count == headSize / 2, factors.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw fail("RoPE frequency factors must be \(headSize / 2) positive numbers (head_dim / 2), got \(factors.count)")
            }
        }
    }

    /// Inverse RoPE frequencies (headSize/2) for a sequence of `length` positions.
    public func ropeFrequencies(length: Int) -> [Double] {
        RoPEScaling.inverseFrequencies(headSize: headSize, theta: ropeTheta, scaling: ropeScaling,
                                       contextLength: maxPositionEmbeddings, length: length)
    }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", architectures, vocabularySize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", layerCount = "num_hidden_layers"
        case headCount = "num_attention_heads", kvHeadCount = "num_key_value_heads", headSize = "head_dim"
        case rmsNormEpsilon = "rms_norm_eps", ropeTheta = "rope_theta", ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings", slidingWindow = "sliding_window"
        case useSlidingWindow = "use_sliding_window", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias", mlpBias = "mlp_bias", hiddenAct = "hidden_act"
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
    }

    /// Only the kind of a rope_scaling object, to recognise "default" (no scaling) before decoding it.
    private struct ScalingKind: Decodable {
        let rope_type: String?, type: String?
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "llama"
        guard Self.modelTypes.contains(type) else {
            throw ModelError.invalidConfig("model_type is '\(type)', expected one of llama, mistral, qwen2")
        }
        let act = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        guard act == "silu" || act == "swish" else {
            throw ModelError.unsupported("hidden_act '\(act)' (the Llama family here uses silu)")
        }
        let hidden = try c.decode(Int.self, forKey: .hiddenSize), heads = try c.decode(Int.self, forKey: .headCount)
        let maxPositions = try c.decode(Int.self, forKey: .maxPositionEmbeddings)
        var scaling: RoPEScaling? = nil
        if let kind = try c.decodeIfPresent(ScalingKind.self, forKey: .ropeScaling),
           (kind.rope_type ?? kind.type) != "default" {
            scaling = try c.decode(RoPEScaling.self, forKey: .ropeScaling)
            if case .dynamic(let f, 0) = scaling { scaling = .dynamic(factor: f, originalContextLength: maxPositions) }
        }
        // Qwen2 writes sliding_window even when use_sliding_window is false; only an enabled one counts.
        let window = try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) == false
            ? nil : try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        let attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        var eos: [Int] = []
        if let one = try? c.decodeIfPresent(Int.self, forKey: .eosTokenID) { eos = [one] }
        else if let many = try? c.decodeIfPresent([Int].self, forKey: .eosTokenID) { eos = many }
        self.init(modelType: type, vocabularySize: try c.decode(Int.self, forKey: .vocabularySize), hiddenSize: hidden,
                  intermediateSize: try c.decode(Int.self, forKey: .intermediateSize),
                  layerCount: try c.decode(Int.self, forKey: .layerCount), headCount: heads,
                  kvHeadCount: try c.decodeIfPresent(Int.self, forKey: .kvHeadCount),
                  headSize: try c.decodeIfPresent(Int.self, forKey: .headSize),
                  rmsNormEpsilon: try c.decodeIfPresent(Float.self, forKey: .rmsNormEpsilon) ?? 1e-6,
                  ropeTheta: try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 10_000, ropeScaling: scaling,
                  maxPositionEmbeddings: maxPositions, slidingWindow: window,
                  tieWordEmbeddings: try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false,
                  qkvBias: type == "qwen2" || attentionBias, outputBias: type != "qwen2" && attentionBias,
                  mlpBias: try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false,
                  bosTokenID: try c.decodeIfPresent(Int.self, forKey: .bosTokenID), eosTokenIDs: eos)
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        let architecture = ["llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM"]
        try c.encode([architecture[modelType] ?? "LlamaForCausalLM"], forKey: .architectures)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(kvHeadCount, forKey: .kvHeadCount)
        try c.encode(headSize, forKey: .headSize)
        try c.encode("silu", forKey: .hiddenAct)
        try c.encode(rmsNormEpsilon, forKey: .rmsNormEpsilon)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encodeIfPresent(ropeScaling, forKey: .ropeScaling)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encodeIfPresent(slidingWindow, forKey: .slidingWindow)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if modelType != "qwen2" { try c.encode(qkvBias, forKey: .attentionBias) }
        try c.encode(mlpBias, forKey: .mlpBias)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        if eosTokenIDs.count == 1 { try c.encode(eosTokenIDs[0], forKey: .eosTokenID) }
        else if !eosTokenIDs.isEmpty { try c.encode(eosTokenIDs, forKey: .eosTokenID) }
    }
}
