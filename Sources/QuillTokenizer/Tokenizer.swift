// The one protocol every Quill tokenizer conforms to, so models, trainers and generators
// take any of them (byte-level, BPE, WordPiece) without knowing which.

/// Turns text into token ids and back.
public protocol Tokenizer: Sendable {
    /// Number of ids the model's embedding table must hold (ordinary + special tokens).
    var vocabularySize: Int { get }
    /// The id of `<|endoftext|>` (or the model's end-of-sequence token), if it has one.
    var endOfTextID: Int? { get }
    /// Encodes ordinary text; special-token text is treated as plain text.
    func encode(_ text: String) -> [Int]
    /// The raw bytes behind `ids`; special tokens contribute their literal text.
    func decodeBytes(_ ids: [Int]) -> [UInt8]
}

extension Tokenizer {
    /// Decodes to a `String`, replacing invalid UTF-8 with U+FFFD rather than failing.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }
}
