// The one protocol every Quill tokenizer conforms to, so models, trainers and generators take any of
// them (byte-level, SentencePiece, WordPiece) without knowing which — including what the model declares
// about BOS / EOS and which tokens end generation.

/// Turns text into token ids and back.
public protocol Tokenizer: Sendable {
    /// Number of ids the model's embedding table must hold (ordinary + special tokens).
    var vocabularySize: Int { get }
    /// The id of `<|endoftext|>` (or the model's end-of-sequence token), if it has one.
    var endOfTextID: Int? { get }
    /// Encodes ordinary text; control-token text is treated as plain text.
    func encode(_ text: String) -> [Int]
    /// The raw bytes behind `ids`; special tokens contribute their literal text.
    func decodeBytes(_ ids: [Int]) -> [UInt8]

    /// Encodes `text`; with `parseSpecial`, control-token text (`<|im_start|>`) becomes its id, otherwise it
    /// is encoded as plain text. Chat templates parse their own markup as special; user content never.
    func encode(_ text: String, parseSpecial: Bool) -> [Int]
    /// `encode(_:parseSpecial:)` with the BOS / EOS the model declares when `addSpecialTokens` — the ids
    /// a model sees for a prompt, as llama.cpp's `llama-tokenize` prints them.
    func encode(_ text: String, addSpecialTokens: Bool, parseSpecial: Bool) -> [Int]
    /// The beginning-of-sequence id, if the model has one.
    var beginningOfSequenceID: Int? { get }
    /// Whether the model expects BOS before a prompt (GGUF `add_bos_token`, tokenizer.json post-processor).
    var addsBeginningOfSequence: Bool { get }
    /// Whether the model expects EOS after a prompt.
    var addsEndOfSequence: Bool { get }
    /// Every id that ends generation (EOS, end of turn, end of message, …).
    var endOfGenerationIDs: Set<Int> { get }
}

extension Tokenizer {
    /// Decodes to a `String`, replacing invalid UTF-8 with U+FFFD rather than failing.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    public func encode(_ text: String, parseSpecial: Bool) -> [Int] { encode(text) }

    public func encode(_ text: String, addSpecialTokens: Bool, parseSpecial: Bool) -> [Int] {
        let ids = encode(text, parseSpecial: parseSpecial)
        guard addSpecialTokens else { return ids }
        let bos = addsBeginningOfSequence ? beginningOfSequenceID.map { [$0] } ?? [] : []
        let eos = addsEndOfSequence ? endOfTextID.map { [$0] } ?? [] : []
        return bos + ids + eos
    }

    public var beginningOfSequenceID: Int? { nil }
    public var addsBeginningOfSequence: Bool { false }
    public var addsEndOfSequence: Bool { false }
    public var endOfGenerationIDs: Set<Int> { endOfTextID.map { [$0] } ?? [] }
}
