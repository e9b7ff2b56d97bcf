// Text in, sentence vectors out: the directory's WordPiece tokenizer (tokenizer.json, else vocab.txt)
// truncating at the model's position limit with [CLS]/[SEP] kept (Hugging Face's longest-first, right
// side), then a batched `SentenceEmbedder` — what sentence-transformers' `encode` does.
import Foundation
import QuillTokenizer

/// A sentence embedder with its tokenizer.
///
/// ```swift
/// let embedder = try TextEmbedder.load(directory: URL(fileURLWithPath: ".assets/all-MiniLM-L6-v2"))
/// let vectors = try embedder.embed(["A man is eating food.", "A man is riding a horse."])   // 2 × 384
/// ```
public final class TextEmbedder {
    public let embedder: SentenceEmbedder
    /// The WordPiece tokenizer, with `maxLength` set to the model's position limit.
    public let tokenizer: WordPieceTokenizer

    /// Length of each vector.
    public var dimension: Int { embedder.dimension }

    public init(embedder: SentenceEmbedder, tokenizer: WordPieceTokenizer) throws {
        self.embedder = embedder
        // The shipped tokenizer.json may truncate shorter (all-MiniLM-L6-v2 says 128) or not at all; the
        // model reads up to its position limit, as the reference (and sentence-transformers set to 512) does.
        self.tokenizer = try WordPieceTokenizer(
            vocabulary: tokenizer.vocabulary, unknownToken: tokenizer.unknownToken,
            continuingSubwordPrefix: tokenizer.continuingSubwordPrefix,
            maxInputCharactersPerWord: tokenizer.maxInputCharactersPerWord, normalizer: tokenizer.normalizer,
            classifierToken: tokenizer.classifierToken, separatorToken: tokenizer.separatorToken,
            maxLength: embedder.maximumLength, specialTokens: tokenizer.specialTokens)
        guard self.tokenizer.vocabularySize <= embedder.model.config.vocabularySize else {
            throw ModelError.invalidConfig("the tokenizer has \(self.tokenizer.vocabularySize) ids but the encoder embeds "
                + "only \(embedder.model.config.vocabularySize)")
        }
    }

    /// Loads a sentence-transformers (or plain BERT) directory and its tokenizer.
    public static func load(directory: URL, batchSize: Int = 32) throws -> TextEmbedder {
        let embedder = try ModelRegistry.loadEmbedder(directory: directory)
        embedder.batchSize = batchSize
        let fm = FileManager.default
        let candidates = ["tokenizer.json", "vocab.txt"].map { directory.appendingPathComponent($0).path }
        guard let path = candidates.first(where: { fm.fileExists(atPath: $0) }) else {
            throw ModelError.invalidConfig("\(directory.path) has no tokenizer.json or vocab.txt for its WordPiece tokenizer")
        }
        guard let wordPiece = try TokenizerLoader.load(path) as? WordPieceTokenizer else {
            throw ModelError.unsupported("\(path) is not a WordPiece tokenizer; BERT embedders need one")
        }
        return try TextEmbedder(embedder: embedder, tokenizer: wordPiece)
    }

    /// Token ids per text: [CLS] pieces [SEP], at most the model's position limit.
    public func tokenize(_ texts: [String]) -> [[Int]] {
        texts.map { tokenizer.encodeMatchingSpecialTokens($0) }
    }

    /// One unit vector (for normalising models) per text, in order; batched and padded internally.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        try embedder.embed(tokenize(texts))
    }
}
