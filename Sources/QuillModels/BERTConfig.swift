// BERT encoder hyperparameters as one struct, coded with Hugging Face's config.json keys
// (hidden_size, num_hidden_layers, type_vocab_size, layer_norm_eps, hidden_act, ...), as
// BertModel reads them; covers sentence-transformers checkpoints such as all-MiniLM-L6-v2.
import Foundation

public struct BERTConfig: Codable, Equatable, Sendable {
    /// Activation of the intermediate layer.
    public enum Activation: String, Codable, Sendable {
        /// Exact GELU through erf, BERT's "gelu".
        case gelu
        /// The tanh approximation ("gelu_new", "gelu_pytorch_tanh").
        case geluTanh = "gelu_new"
    }

    /// Rows of the word-piece embedding (V).
    public var vocabularySize: Int
    /// Width of the hidden states (C).
    public var hiddenSize: Int
    /// Number of encoder layers.
    public var layerCount: Int
    /// Attention heads per layer; hiddenSize must be divisible by it.
    public var headCount: Int
    /// Width of the feed-forward hidden layer.
    public var intermediateSize: Int
    /// Activation of the feed-forward layer.
    public var activation: Activation
    /// Rows of the learned position table: the longest sequence the encoder takes.
    public var maxPositionEmbeddings: Int
    /// Rows of the token-type (segment) table.
    public var typeVocabularySize: Int
    /// Layer-norm epsilon.
    public var layerNormEpsilon: Float
    /// Id used to pad batched sequences (its embeddings are masked out of attention and pooling).
    public var padTokenID: Int

    public init(vocabularySize: Int, hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int,
                activation: Activation = .gelu, maxPositionEmbeddings: Int = 512, typeVocabularySize: Int = 2,
                layerNormEpsilon: Float = 1e-12, padTokenID: Int = 0) {
        self.vocabularySize = vocabularySize; self.hiddenSize = hiddenSize; self.layerCount = layerCount
        self.headCount = headCount; self.intermediateSize = intermediateSize; self.activation = activation
        self.maxPositionEmbeddings = maxPositionEmbeddings; self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon; self.padTokenID = padTokenID
    }

    /// Checks the numbers make a valid encoder; throws `ModelError.invalidConfig` naming the field.
    public func validate() throws {
        func fail(_ m: String) -> ModelError { .invalidConfig(m) }
        guard vocabularySize > 0 else { throw fail("vocab_size must be positive, got \(vocabularySize)") }
        guard headCount > 0, hiddenSize > 0, hiddenSize % headCount == 0 else {
            throw fail("hidden_size (\(hiddenSize)) must be a positive multiple of num_attention_heads (\(headCount))")
        }
        guard layerCount > 0, intermediateSize > 0 else { throw fail("num_hidden_layers and intermediate_size must be positive") }
        guard maxPositionEmbeddings > 0, typeVocabularySize > 0 else {
            throw fail("max_position_embeddings and type_vocab_size must be positive")
        }
        guard padTokenID >= 0 && padTokenID < vocabularySize else { throw fail("pad_token_id \(padTokenID) is outside the vocabulary") }
        try ModelLimits.check(vocabularySize, "vocab_size", limit: ModelLimits.vocabulary)
        try ModelLimits.check(hiddenSize, "hidden_size", limit: ModelLimits.width)
        try ModelLimits.check(layerCount, "num_hidden_layers", limit: ModelLimits.layers)
        try ModelLimits.check(headCount, "num_attention_heads", limit: ModelLimits.heads)
        try ModelLimits.check(intermediateSize, "intermediate_size", limit: ModelLimits.width)
        try ModelLimits.check(maxPositionEmbeddings, "max_position_embeddings", limit: ModelLimits.context)
        try ModelLimits.check(typeVocabularySize, "type_vocab_size", limit: ModelLimits.tokenTypes)
        guard layerNormEpsilon > 0 && layerNormEpsilon.isFinite else { throw fail("layer_norm_eps must be positive, got \(layerNormEpsilon)") }
    }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", architectures, vocabularySize = "vocab_size", hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers", headCount = "num_attention_heads", intermediateSize = "intermediate_size"
        case activation = "hidden_act", maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabularySize = "type_vocab_size", layerNormEpsilon = "layer_norm_eps", padTokenID = "pad_token_id"
        case positionEmbeddingType = "position_embedding_type"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let type = try c.decodeIfPresent(String.self, forKey: .modelType), type != "bert" {
            throw ModelError.invalidConfig("model_type is '\(type)', expected 'bert'")
        }
        if let p = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType), p != "absolute" {
            throw ModelError.unsupported("position_embedding_type '\(p)' (only absolute)")
        }
        let act = try c.decodeIfPresent(String.self, forKey: .activation) ?? "gelu"
        switch act {
        case "gelu": activation = .gelu
        case "gelu_new", "gelu_pytorch_tanh": activation = .geluTanh
        default: throw ModelError.unsupported("hidden_act '\(act)' (BERT here supports gelu, gelu_new, gelu_pytorch_tanh)")
        }
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        headCount = try c.decode(Int.self, forKey: .headCount)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabularySize = try c.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? 2
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
        padTokenID = try c.decodeIfPresent(Int.self, forKey: .padTokenID) ?? 0
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("bert", forKey: .modelType)
        try c.encode(["BertModel"], forKey: .architectures)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(headCount, forKey: .headCount)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(activation.rawValue, forKey: .activation)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(typeVocabularySize, forKey: .typeVocabularySize)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(padTokenID, forKey: .padTokenID)
        try c.encode("absolute", forKey: .positionEmbeddingType)
    }
}
