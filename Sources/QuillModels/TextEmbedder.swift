// Text in, sentence vectors out: the directory's WordPiece tokenizer (tokenizer.json, else vocab.txt)
// truncating at sentence_bert_config.json's `max_seq_length` (else the model's position limit) with
// [CLS]/[SEP] kept (Hugging Face's longest-first, right side), then a batched `SentenceEmbedder` —
// what sentence-transformers' `encode` does.
import Foundation
import QuillFormats
import QuillTokenizer

/// A sentence embedder with its tokenizer.
///
/// ```swift
/// let embedder = try TextEmbedder.load(directory: URL(fileURLWithPath: ".assets/all-MiniLM-L6-v2"))
/// let vectors = try embedder.embed(["A man is eating food.", "A man is riding a horse."])   // 2 × 384
/// ```
public final class TextEmbedder {
    public let embedder: SentenceEmbedder
    /// The WordPiece tokenizer, with `maxLength` set to `maxSequenceLength`.
    public let tokenizer: WordPieceTokenizer
    /// Most token ids per input, [CLS] and [SEP] included; longer inputs are cut (right side).
    public let maxSequenceLength: Int
    /// The model's name (its directory's name when loaded from one).
    public let name: String

    /// Length of each vector.
    public var dimension: Int { embedder.dimension }

    /// - Parameter maxSequenceLength: truncation length with [CLS]/[SEP]; nil means the model's
    ///   position limit. Must lie in 2...position limit.
    public init(embedder: SentenceEmbedder, tokenizer: WordPieceTokenizer, maxSequenceLength: Int? = nil,
                name: String = "bert") throws {
        self.embedder = embedder
        self.name = name
        let limit = embedder.maximumLength
        let length = maxSequenceLength ?? limit
        guard (2...limit).contains(length) else {
            throw ModelError.invalidConfig("maximum sequence length \(length) is outside 2...\(limit) "
                + "(2 holds [CLS] and [SEP]; \(limit) is the model's max_position_embeddings)")
        }
        self.maxSequenceLength = length
        // The shipped tokenizer.json may truncate shorter (all-MiniLM-L6-v2 says 128) or not at all;
        // sentence-transformers ignores it and truncates at max_seq_length, and so does this.
        self.tokenizer = try WordPieceTokenizer(
            vocabulary: tokenizer.vocabulary, unknownToken: tokenizer.unknownToken,
            continuingSubwordPrefix: tokenizer.continuingSubwordPrefix,
            maxInputCharactersPerWord: tokenizer.maxInputCharactersPerWord, normalizer: tokenizer.normalizer,
            classifierToken: tokenizer.classifierToken, separatorToken: tokenizer.separatorToken,
            maxLength: length, specialTokens: tokenizer.specialTokens)
        guard self.tokenizer.vocabularySize <= embedder.model.config.vocabularySize else {
            throw ModelError.invalidConfig("the tokenizer has \(self.tokenizer.vocabularySize) ids but the encoder embeds "
                + "only \(embedder.model.config.vocabularySize)")
        }
    }

    /// Loads a sentence-transformers (or plain BERT) directory and its tokenizer.
    ///
    /// - Parameter maxSequenceLength: an explicit truncation length; nil takes `max_seq_length` from
    ///   sentence_bert_config.json (256 for all-MiniLM-L6-v2), else the model's position limit.
    public static func load(directory: URL, batchSize: Int = 32, maxSequenceLength: Int? = nil) throws -> TextEmbedder {
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
        let configured = try configuredMaxSequenceLength(directory: directory).map { min($0, embedder.maximumLength) }
        return try TextEmbedder(embedder: embedder, tokenizer: wordPiece, maxSequenceLength: maxSequenceLength ?? configured,
                                name: directory.standardizedFileURL.lastPathComponent)
    }

    /// `max_seq_length` from the directory's sentence_bert_config.json; nil when the file is absent
    /// or gives none. `load` caps it at the position limit; an explicit override past it is an error.
    public static func configuredMaxSequenceLength(directory: URL) throws -> Int? {
        let url = directory.appendingPathComponent("sentence_bert_config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let config: JSONValue
        do { config = try JSONValue(parsing: data) } catch {
            throw ModelError.invalidConfig("\(url.path) is not valid JSON: \(error)")
        }
        guard let value = config["max_seq_length"], !value.isNull else { return nil }
        guard let length = value.intValue, length >= 2 else {
            throw ModelError.invalidConfig("\(url.path): max_seq_length must be an integer ≥ 2, got \(value)")
        }
        return length
    }

    /// Token ids per text: [CLS] pieces [SEP], at most `maxSequenceLength`.
    public func tokenize(_ texts: [String]) -> [[Int]] {
        texts.map { tokenizer.encodeMatchingSpecialTokens($0) }
    }

    /// One unit vector (for normalising models) per text, in order; batched and padded internally.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        try embedder.embed(tokenize(texts))
    }
}
