// What the index needs from an embedding model: vectors for texts, their length, the model's input
// limit and a token counter for chunking. `TextEmbedder` (BERT sentence-transformers) is the real one;
// tests may pass a small deterministic stand-in.
import Foundation
import QuillModels

public protocol DocumentEmbedder: AnyObject {
    /// Names the model in the index, so a query with another model is refused.
    var modelIdentifier: String { get }
    /// Length of every vector.
    var dimension: Int { get }
    /// Most tokens one input may have, special tokens included; longer inputs would be truncated.
    var maxSequenceLength: Int { get }
    /// Tokens the model adds around every input ([CLS] and [SEP] for BERT).
    var specialTokenCount: Int { get }
    /// Tokens of `text` without special tokens.
    func tokenCount(_ text: Substring) -> Int
    /// One unit-length vector per text, in order.
    func embed(_ texts: [String]) throws -> [[Float]]
}

extension TextEmbedder: DocumentEmbedder {
    /// The model's name, vector length and truncation length, e.g. "all-MiniLM-L6-v2/384@256".
    public var modelIdentifier: String { "\(name)/\(dimension)@\(maxSequenceLength)" }
    public var specialTokenCount: Int { tokenizer.encode("", addSpecialTokens: true).count }
    public func tokenCount(_ text: Substring) -> Int { tokenizer.encode(String(text), addSpecialTokens: false).count }
}

extension TextEmbedder {
    /// The embedder for dense queries of `index`: `directory`, else the model directory the index was
    /// built from, truncating at the length the index's vectors were made with.
    public static func load(for index: RAGIndex, directory: String? = nil) throws -> TextEmbedder {
        guard let path = try directory ?? index.embeddingModelPath() else {
            throw RAGError.invalidParameter("\(index.path) does not say which embedding model built it; pass its directory")
        }
        let length = try index.embeddingModel().flatMap { $0.split(separator: "@").last.flatMap { Int($0) } }
        return try TextEmbedder.load(directory: URL(fileURLWithPath: path), maxSequenceLength: length)
    }
}
