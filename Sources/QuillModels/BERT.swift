// The BERT encoder (Devlin et al. 2019) as Hugging Face's BertModel computes it: word + position +
// token-type embeddings → LayerNorm, then post-LN layers (bidirectional self-attention with a
// padding mask → dense → add & LayerNorm; dense → GELU → dense → add & LayerNorm). No pooler.
// Legend: B batch, T time (longest sequence in the batch), C hidden, NH heads.
import Foundation
import QuillFormats
import QuillNN
import QuillTensor

/// One encoder layer: encoder.layer.{i}.*
public final class BERTLayer: Module {
    public let query: Linear, key: Linear, value: Linear, attentionOutput: Linear, attentionNorm: LayerNorm
    public let intermediate: Linear, output: Linear, outputNorm: LayerNorm

    init(_ c: BERTConfig, index i: Int) {
        let p = "encoder.layer.\(i)", C = c.hiddenSize, I = c.intermediateSize
        query = Linear(inputs: C, outputs: C, layout: .outputByInput, name: "\(p).attention.self.query")
        key = Linear(inputs: C, outputs: C, layout: .outputByInput, name: "\(p).attention.self.key")
        value = Linear(inputs: C, outputs: C, layout: .outputByInput, name: "\(p).attention.self.value")
        attentionOutput = Linear(inputs: C, outputs: C, layout: .outputByInput, name: "\(p).attention.output.dense")
        attentionNorm = LayerNorm(C, epsilon: c.layerNormEpsilon, name: "\(p).attention.output.LayerNorm")
        intermediate = Linear(inputs: C, outputs: I, layout: .outputByInput, name: "\(p).intermediate.dense")
        output = Linear(inputs: I, outputs: C, layout: .outputByInput, name: "\(p).output.dense")
        outputNorm = LayerNorm(C, epsilon: c.layerNormEpsilon, name: "\(p).output.LayerNorm")
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        let parts: [any Module] = [query, key, value, attentionOutput, attentionNorm, intermediate, output, outputNorm]
        return parts.flatMap { $0.namedParameters }
    }

    /// x (B·T, C) → the layer's post-LN output (B·T, C), with `pass` running projections and attention.
    func callAsFunction(_ x: Tensor, _ c: BERTConfig, pass: ForwardPass) -> Tensor {
        let a = pass.attention(layer: 0, query: pass.linear(query, x), key: pass.linear(key, x), value: pass.linear(value, x),
                               heads: c.headCount, kvHeads: c.headCount)                       // (B·T, C)
        let r = attentionNorm(add(x, pass.linear(attentionOutput, a)))                          // (B·T, C)
        let pre = pass.linear(intermediate, r)                                                  // (B·T, I)
        return outputNorm(add(r, pass.linear(output, c.activation == .gelu ? geluErf(pre) : gelu(pre))))
    }
}

/// A BERT encoder producing one hidden vector per token.
///
/// ```swift
/// let bert = try BERT.load(directory: URL(fileURLWithPath: ".assets/all-MiniLM-L6-v2"))
/// let states = try bert.hiddenStates([[101, 7592, 102], [101, 102]])   // (2·3, 384), right-padded
/// ```
public final class BERT: Module {
    public let config: BERTConfig
    public let wordEmbeddings: Embedding, positionEmbeddings: Embedding, tokenTypeEmbeddings: Embedding
    public let embeddingNorm: LayerNorm
    public let layers: [BERTLayer]

    /// An encoder with BERT's initialisation: N(0, 0.02) matrices drawn in parameter order from
    /// `seed`, zero biases, unit layer-norm gains.
    public init(config: BERTConfig, seed: UInt64 = 0) throws {
        try config.validate()
        self.config = config
        let C = config.hiddenSize
        wordEmbeddings = Embedding(count: config.vocabularySize, dimension: C, name: "embeddings.word_embeddings")
        positionEmbeddings = Embedding(count: config.maxPositionEmbeddings, dimension: C, name: "embeddings.position_embeddings")
        tokenTypeEmbeddings = Embedding(count: config.typeVocabularySize, dimension: C, name: "embeddings.token_type_embeddings")
        embeddingNorm = LayerNorm(C, epsilon: config.layerNormEpsilon, name: "embeddings.LayerNorm")
        layers = (0..<config.layerCount).map { BERTLayer(config, index: $0) }
        var rng = RandomGenerator(seed: seed)
        for (_, t) in namedParameters where t.shape.count == 2 { t.fillNormal(std: 0.02, rng: &rng) }
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        wordEmbeddings.namedParameters + positionEmbeddings.namedParameters + tokenTypeEmbeddings.namedParameters
            + embeddingNorm.namedParameters + layers.flatMap { $0.namedParameters }
    }

    /// Last-layer hidden states for a batch of id sequences, right-padded to the longest: (B·T, C),
    /// row b·T + t for token t of sequence b (rows past a sequence's length are padding).
    /// `tokenTypes` defaults to all zeros. Throws on empty or too-long sequences and bad ids.
    public func hiddenStates(_ batch: [[Int]], tokenTypes: [[Int]]? = nil) throws -> Tensor {
        let B = batch.count, T = batch.map(\.count).max() ?? 0
        guard B > 0 else { throw ModelError.invalidInput("empty batch") }
        var ids = [Int32](repeating: Int32(config.padTokenID), count: B * T), types = [Int32](repeating: 0, count: B * T)
        for (b, sequence) in batch.enumerated() {
            guard !sequence.isEmpty else { throw ModelError.invalidInput("sequence \(b) has no tokens") }
            guard sequence.count <= config.maxPositionEmbeddings else {
                throw ModelError.contextOverflow(needed: sequence.count, contextLength: config.maxPositionEmbeddings)
            }
            let segment = tokenTypes.map { $0[b] } ?? []
            guard tokenTypes == nil || segment.count == sequence.count else {
                throw ModelError.invalidInput("sequence \(b): \(segment.count) token types for \(sequence.count) tokens")
            }
            for (t, id) in sequence.enumerated() {
                guard id >= 0 && id < config.vocabularySize else {
                    throw ModelError.tokenOutOfRange(id: id, vocabularySize: config.vocabularySize)
                }
                ids[b * T + t] = Int32(id)
                let type = segment.isEmpty ? 0 : segment[t]
                guard type >= 0 && type < config.typeVocabularySize else {
                    throw ModelError.invalidInput("token type \(type) outside 0..<\(config.typeVocabularySize)")
                }
                types[b * T + t] = Int32(type)
            }
        }
        return encode(ids, tokenTypes: types, batch: B, time: T, lengths: batch.map(\.count))
    }

    /// The encoder over validated, padded ids (B·T) — records on the tape when one is active.
    /// `lengths` gives each row's real token count; later keys are masked out of attention. → (B·T, C)
    public func encode(_ ids: [Int32], tokenTypes: [Int32], batch B: Int, time T: Int, lengths: [Int]) -> Tensor {
        let pass = ForwardPass(batch: B, time: T, causal: false, lengths: lengths)
        let positions = pass.positions.map { Int32($0) }
        var x = embeddingNorm(add(add(wordEmbeddings(ids), positionEmbeddings(positions)), tokenTypeEmbeddings(tokenTypes)))
        for layer in layers { x = layer(x, config, pass: pass) }                              // (B·T, C)
        return x
    }
}
