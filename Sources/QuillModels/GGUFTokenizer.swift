// The tokenizer in GGUF metadata as llama.cpp reads it (`tokenizer.ggml.model` "gpt2": tokens,
// token_type, merges, bos/eos ids) to and from a byte-level `BPETokenizer`. Models with no tokenizer get
// a placeholder vocabulary (id i < 256 = byte i, others control tokens) so llama.cpp can load them.
import QuillFormats
import QuillTokenizer

/// Reads and writes the `tokenizer.ggml.*` metadata of a GGUF file.
///
/// ```swift
/// let tokenizer = try GGUFTokenizer.read(GGUFFile(url: url))       // nil when the file has none
/// var writer = GGUFWriter()
/// for (key, value) in try GGUFTokenizer.metadata(for: tokenizer, vocabularySize: 50257) { writer.addMetadata(key, value) }
/// ```
public enum GGUFTokenizer {
    /// llama.cpp's `llama_token_type` values.
    enum TokenType: Int32 { case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6 }

    /// The tokenizer stored in `file`, or nil when it has none. Throws for a tokenizer Quill cannot
    /// run (SentencePiece "llama", WordPiece "bert") or malformed lists.
    public static func read(_ file: GGUFFile) throws -> BPETokenizer? {
        guard let kind = file.metadata["tokenizer.ggml.model"]?.stringValue else { return nil }
        guard kind == "gpt2" else {
            throw ModelError.unsupported("\(file.fileName): tokenizer.ggml.model '\(kind)'; Quill reads byte-level BPE ('gpt2') tokenizers from GGUF")
        }
        guard let tokens = file.metadata["tokenizer.ggml.tokens"]?.stringArray else {
            throw ModelError.invalidConfig("\(file.fileName): tokenizer.ggml.tokens is missing or not a string array")
        }
        let types = file.metadata["tokenizer.ggml.token_type"]?.arrayValues?.map { $0.intValue ?? 1 }
            ?? [Int](repeating: 1, count: tokens.count)
        guard types.count == tokens.count else {
            throw ModelError.invalidConfig("\(file.fileName): tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
        }
        let merges = file.metadata["tokenizer.ggml.merges"]?.stringArray ?? []
        let entries: [ByteLevelVocabularyEntry?] = zip(tokens, types).map { text, type in
            switch TokenType(rawValue: Int32(type)) {
            case .unused: return nil
            case .control, .userDefined: return ByteLevelVocabularyEntry(text: text, isSpecial: true)
            default: return ByteLevelVocabularyEntry(text: text, isSpecial: false)
            }
        }
        let pattern = pattern(forPre: file.metadata["tokenizer.ggml.pre"]?.stringValue)
        // A placeholder for a model of fewer than 256 ids cannot hold every byte: no usable tokenizer.
        if merges.isEmpty && tokens.count < 256 { return nil }
        return try BPETokenizer(byteLevelVocabulary: entries, merges: merges, pattern: pattern, source: file.fileName)
    }

    /// The metadata that stores `tokenizer` (nil: the placeholder vocabulary) for a model of
    /// `vocabularySize` ids; ids the tokenizer lacks are written as unused tokens.
    public static func metadata(for tokenizer: BPETokenizer?, vocabularySize: Int,
                                bosTokenID: Int? = nil, eosTokenID: Int? = nil) throws -> [(String, GGUFValue)] {
        let (entries, merges) = try tokenizer?.byteLevelVocabulary(count: vocabularySize) ?? (placeholder(vocabularySize), [])
        guard entries.count == vocabularySize else {
            throw ModelError.invalidConfig("the tokenizer has \(entries.count) ids but the model's vocabulary is \(vocabularySize)")
        }
        var texts: [GGUFValue] = [], types: [GGUFValue] = []
        for (id, entry) in entries.enumerated() {
            texts.append(.string(entry?.text ?? "[UNUSED_\(id)]"))
            let type: TokenType = entry == nil ? .unused : entry!.isSpecial ? .control : .normal
            types.append(.int32(type.rawValue))
        }
        var result: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(preName(tokenizer?.pattern ?? .gpt2))),
            ("tokenizer.ggml.tokens", .array(texts, of: .string)),
            ("tokenizer.ggml.token_type", .array(types, of: .int32)),
            ("tokenizer.ggml.merges", .array(merges.map { .string($0) }, of: .string)),
        ]
        let eos = eosTokenID ?? tokenizer?.endOfTextID
        if let bos = bosTokenID ?? eos { result.append(("tokenizer.ggml.bos_token_id", .uint32(UInt32(bos)))) }
        if let eos { result.append(("tokenizer.ggml.eos_token_id", .uint32(UInt32(eos)))) }
        return result
    }

    /// Id i < 256 is byte i (so a 257-id byte-level model round-trips exactly: id 256 is
    /// <|endoftext|>), higher ids are control tokens `<|quill_i|>`.
    static func placeholder(_ count: Int) -> [ByteLevelVocabularyEntry?] {
        (0..<count).map { id in
            if id < 256 { return ByteLevelVocabularyEntry(text: ByteLevelAlphabet.encode([UInt8(id)]), isSpecial: false) }
            return ByteLevelVocabularyEntry(text: id == 256 ? "<|endoftext|>" : "<|quill_\(id)|>", isSpecial: true)
        }
    }

    /// llama.cpp's `tokenizer.ggml.pre` names for the pre-tokenizer regexes Quill knows.
    static func preName(_ pattern: PreTokenizerPattern) -> String {
        switch pattern {
        case .gpt2: return "gpt-2"
        case .cl100k: return "llama-bpe"
        case .o200k: return "gpt-4o"
        }
    }

    static func pattern(forPre name: String?) -> PreTokenizerPattern {
        switch name {
        case "llama-bpe", "llama3", "dbrx", "smaug-bpe": return .cl100k
        case "gpt-4o": return .o200k
        default: return .gpt2
        }
    }
}
