// GPT-2's hyperparameters as one small struct, coded with Hugging Face's config.json keys
// (n_layer, n_head, n_embd, n_positions, vocab_size, ...) so a Quill model directory is an HF one.
import Foundation

public struct GPTConfig: Codable, Equatable, Sendable {
    /// Number of transformer blocks.
    public var nLayer: Int
    /// Attention heads per block; nEmbd must be divisible by it.
    public var nHead: Int
    /// Width of the residual stream (C).
    public var nEmbd: Int
    /// Longest sequence the position table covers (T max).
    public var contextLength: Int
    /// Rows of the token embedding / columns of the logits (V).
    public var vocabularySize: Int
    /// Dropout on embeddings and residual branches during training (0 disables it).
    public var dropout: Float
    /// Whether linear layers and layer norms carry biases (GPT-2: true).
    public var bias: Bool
    /// Layer-norm epsilon.
    public var layerNormEpsilon: Float
    /// Id of the end-of-text token, if the tokenizer has one.
    public var eosTokenID: Int?

    public init(nLayer: Int, nHead: Int, nEmbd: Int, contextLength: Int, vocabularySize: Int,
                dropout: Float = 0, bias: Bool = true, layerNormEpsilon: Float = 1e-5, eosTokenID: Int? = nil) {
        self.nLayer = nLayer; self.nHead = nHead; self.nEmbd = nEmbd
        self.contextLength = contextLength; self.vocabularySize = vocabularySize
        self.dropout = dropout; self.bias = bias; self.layerNormEpsilon = layerNormEpsilon
        self.eosTokenID = eosTokenID
    }

    /// GPT-2 small (124M).
    public static let gpt2Small = GPTConfig(nLayer: 12, nHead: 12, nEmbd: 768, contextLength: 1024,
                                            vocabularySize: 50257, eosTokenID: 50256)

    /// Checks the numbers make a valid model; throws a `ModelError.invalidConfig` naming the field.
    public func validate() throws {
        func fail(_ m: String) -> ModelError { .invalidConfig(m) }
        guard nLayer > 0 else { throw fail("n_layer must be positive, got \(nLayer)") }
        guard nHead > 0, nEmbd > 0, nEmbd % nHead == 0 else {
            throw fail("n_embd (\(nEmbd)) must be a positive multiple of n_head (\(nHead))")
        }
        guard contextLength > 0 else { throw fail("n_positions must be positive, got \(contextLength)") }
        guard vocabularySize > 0 else { throw fail("vocab_size must be positive, got \(vocabularySize)") }
        guard dropout >= 0 && dropout < 1 else { throw fail("dropout must be in [0, 1), got \(dropout)") }
        try ModelLimits.check(nLayer, "n_layer", limit: ModelLimits.layers)
        try ModelLimits.check(nHead, "n_head", limit: ModelLimits.heads)
        try ModelLimits.check(nEmbd, "n_embd", limit: ModelLimits.width)
        try ModelLimits.check(contextLength, "n_positions", limit: ModelLimits.context)
        try ModelLimits.check(vocabularySize, "vocab_size", limit: ModelLimits.vocabulary)
        guard layerNormEpsilon > 0 && layerNormEpsilon.isFinite else { throw fail("layer_norm_epsilon must be positive, got \(layerNormEpsilon)") }
    }

    enum CodingKeys: String, CodingKey {
        case nLayer = "n_layer", nHead = "n_head", nEmbd = "n_embd", contextLength = "n_positions"
        case nCtx = "n_ctx", vocabularySize = "vocab_size", residDropout = "resid_pdrop"
        case embdDropout = "embd_pdrop", attnDropout = "attn_pdrop", bias
        case layerNormEpsilon = "layer_norm_epsilon", eosTokenID = "eos_token_id", bosTokenID = "bos_token_id"
        case modelType = "model_type", architectures, activation = "activation_function"
        case tieWordEmbeddings = "tie_word_embeddings", nInner = "n_inner"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let type = try c.decodeIfPresent(String.self, forKey: .modelType), type != "gpt2" {
            throw ModelError.invalidConfig("model_type is '\(type)', expected 'gpt2'")
        }
        if let act = try c.decodeIfPresent(String.self, forKey: .activation),
           !["gelu_new", "gelu_pytorch_tanh", "gelu_fast"].contains(act) {
            throw ModelError.invalidConfig("activation_function '\(act)' is not supported (GPT-2 uses gelu_new)")
        }
        // n_embd is bounded before 4·n_embd is formed (a hostile 2⁶² would overflow).
        if let inner = try c.decodeIfPresent(Int.self, forKey: .nInner),
           inner != 4 * (try ModelLimits.check(c.decode(Int.self, forKey: .nEmbd), "n_embd", limit: ModelLimits.width)) {
            throw ModelError.invalidConfig("n_inner \(inner) is not supported (only 4·n_embd)")
        }
        nLayer = try c.decode(Int.self, forKey: .nLayer)
        nHead = try c.decode(Int.self, forKey: .nHead)
        nEmbd = try c.decode(Int.self, forKey: .nEmbd)
        contextLength = try c.decodeIfPresent(Int.self, forKey: .contextLength)
            ?? c.decode(Int.self, forKey: .nCtx)
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        dropout = try c.decodeIfPresent(Float.self, forKey: .residDropout) ?? 0
        bias = try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-5
        eosTokenID = try c.decodeIfPresent(Int.self, forKey: .eosTokenID)
        try validate()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("gpt2", forKey: .modelType)
        try c.encode(["GPT2LMHeadModel"], forKey: .architectures)
        try c.encode(nLayer, forKey: .nLayer)
        try c.encode(nHead, forKey: .nHead)
        try c.encode(nEmbd, forKey: .nEmbd)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(contextLength, forKey: .nCtx)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(dropout, forKey: .residDropout)
        try c.encode(dropout, forKey: .embdDropout)
        try c.encode(dropout, forKey: .attnDropout)
        try c.encode(bias, forKey: .bias)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode("gelu_new", forKey: .activation)
        try c.encode(true, forKey: .tieWordEmbeddings)
        try c.encodeIfPresent(eosTokenID, forKey: .eosTokenID)
        try c.encodeIfPresent(eosTokenID, forKey: .bosTokenID)
    }
}
