// The tokenizer in GGUF metadata as llama.cpp reads it (`tokenizer.ggml.*`: model, pre, tokens,
// token_type, scores, merges, special ids, add_bos/add_eos) to and from Quill tokenizers. Models with no
// tokenizer get a placeholder vocabulary (id i < 256 = byte i, others control tokens) so llama.cpp loads them.
import QuillFormats
import QuillTokenizer

/// Reads and writes the `tokenizer.ggml.*` metadata of a GGUF file.
///
/// ```swift
/// let tokenizer = try GGUFTokenizer.load(GGUFFile(url: url))       // nil when the file has none
/// var writer = GGUFWriter()
/// for (key, value) in try GGUFTokenizer.metadata(for: bpe, vocabularySize: 50257) { writer.addMetadata(key, value) }
/// ```
public enum GGUFTokenizer {
    typealias TokenType = LlamaCppVocabulary.TokenType

    /// The tokenizer stored in `file` (byte-level BPE, SentencePiece or WordPiece), or nil when it has
    /// none. Throws a typed error naming the field for lists that disagree, ids out of range, an unknown
    /// `tokenizer.ggml.pre`, or a tokenizer kind Quill cannot run.
    public static func load(_ file: GGUFFile) throws -> (any Tokenizer)? {
        guard let vocabulary = try vocabulary(file) else { return nil }
        return try vocabulary.makeTokenizer()
    }

    /// The byte-level BPE tokenizer stored in `file`, or nil when it has none; throws for other kinds
    /// (use `load` for any kind).
    public static func read(_ file: GGUFFile) throws -> BPETokenizer? {
        guard let vocabulary = try vocabulary(file) else { return nil }
        guard vocabulary.model == "gpt2" else {
            throw ModelError.unsupported("\(file.fileName): tokenizer.ggml.model '\(vocabulary.model)' is not byte-level BPE "
                + "('gpt2'); this path needs a byte-level tokenizer")
        }
        return try vocabulary.makeTokenizer() as? BPETokenizer
    }

    /// The metadata as plain values, or nil when the file has no tokenizer (or only a placeholder for a
    /// model of fewer than 256 ids, which cannot hold every byte).
    public static func vocabulary(_ file: GGUFFile) throws -> LlamaCppVocabulary? {
        let meta = file.metadata
        guard let model = meta["tokenizer.ggml.model"] else { return nil }
        let name = file.fileName
        func field(_ key: String) -> String { "\(name): tokenizer.ggml.\(key)" }
        guard let kind = model.stringValue else { throw ModelError.invalidConfig("\(field("model")) is not a string") }
        if kind == "none" || kind == "no_vocab" { return nil }
        guard let tokens = meta["tokenizer.ggml.tokens"]?.stringArray else {
            throw ModelError.invalidConfig("\(field("tokens")) is missing or not a string array")
        }
        var types: [Int32]?
        if let value = meta["tokenizer.ggml.token_type"] {
            guard let values = value.arrayValues else { throw ModelError.invalidConfig("\(field("token_type")) is not an array") }
            types = try values.map { element throws in
                guard let v = element.intValue, let t = Int32(exactly: v) else {
                    throw ModelError.invalidConfig("\(field("token_type")) holds a non-integer or out-of-range value")
                }
                return t
            }
        }
        var scores: [Float]?
        if let value = meta["tokenizer.ggml.scores"] {
            guard let values = value.arrayValues else { throw ModelError.invalidConfig("\(field("scores")) is not an array") }
            scores = try values.map { element throws in
                if let d = element.doubleValue { return Float(d) }
                if let i = element.intValue { return Float(i) }
                throw ModelError.invalidConfig("\(field("scores")) holds a non-number")
            }
        }
        var merges: [String]?
        if let value = meta["tokenizer.ggml.merges"] {
            guard let strings = value.stringArray else { throw ModelError.invalidConfig("\(field("merges")) is not a string array") }
            merges = strings
        }
        let pre = meta["tokenizer.ggml.pre"]?.stringValue
        var vocabulary = LlamaCppVocabulary(model: kind, pre: pre, tokens: tokens, tokenTypes: types, scores: scores,
                                            merges: merges, source: name)
        for id in LlamaCppVocabulary.tokenIDNames {
            guard let value = meta["tokenizer.ggml.\(id)_token_id"] else { continue }
            guard let v = value.intValue else { throw ModelError.invalidConfig("\(field("\(id)_token_id")) is not an integer") }
            vocabulary.tokenIDs[id] = v
        }
        func flag(_ key: String) throws -> Bool? {
            guard let value = meta["tokenizer.ggml.\(key)"] else { return nil }
            guard let b = value.boolValue else { throw ModelError.invalidConfig("\(field(key)) is not a boolean") }
            return b
        }
        vocabulary.addBOS = try flag("add_bos_token")
        vocabulary.addEOS = try flag("add_eos_token")
        vocabulary.addSpacePrefix = try flag("add_space_prefix")
        vocabulary.modelName = meta["general.name"]?.stringValue
        vocabulary.architecture = file.architecture
        // A placeholder for a model of fewer than 256 ids cannot hold every byte: no usable tokenizer.
        if kind == "gpt2" && (merges ?? []).isEmpty && tokens.count < 256 { return nil }
        return vocabulary
    }

    /// The metadata that stores `tokenizer` (nil: the placeholder vocabulary) for a model of
    /// `vocabularySize` ids; ids the tokenizer lacks are written as unused tokens.
    public static func metadata(for tokenizer: BPETokenizer?, vocabularySize: Int,
                                bosTokenID: Int? = nil, eosTokenID: Int? = nil) throws -> [(String, GGUFValue)] {
        let (entries, merges) = try tokenizer?.byteLevelVocabulary(count: vocabularySize) ?? (placeholder(vocabularySize), [])
        guard entries.count == vocabularySize else {
            throw ModelError.invalidConfig("the tokenizer has \(entries.count) ids but the model's vocabulary is \(vocabularySize)")
        }
        let userDefined = Set(tokenizer?.addedTokens.filter { !$0.isControl }.map(\.id) ?? [])
        var texts: [GGUFValue] = [], types: [GGUFValue] = []
        for (id, entry) in entries.enumerated() {
            texts.append(.string(entry?.text ?? "[UNUSED_\(id)]"))
            let type: TokenType = entry == nil ? .unused : !entry!.isSpecial ? .normal : userDefined.contains(id) ? .userDefined : .control
            types.append(.int32(type.rawValue))
        }
        var result: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(try preName(tokenizer?.preTokenization ?? PreTokenization(.gpt2)))),
            ("tokenizer.ggml.tokens", .array(texts, of: .string)),
            ("tokenizer.ggml.token_type", .array(types, of: .int32)),
            ("tokenizer.ggml.merges", .array(merges.map { .string($0) }, of: .string)),
        ]
        // The placeholder's <|endoftext|> is id 256; without the key llama.cpp (and Quill) would take id 11.
        let eos = eosTokenID ?? tokenizer?.endOfTextID ?? (tokenizer == nil && vocabularySize > 256 ? 256 : nil)
        if let bos = bosTokenID ?? tokenizer?.beginningOfSequenceID ?? eos {
            result.append(("tokenizer.ggml.bos_token_id", .uint32(UInt32(bos))))
        }
        if let eos { result.append(("tokenizer.ggml.eos_token_id", .uint32(UInt32(eos)))) }
        result.append(("tokenizer.ggml.add_bos_token", .bool(tokenizer?.addsBeginningOfSequence ?? false)))
        result.append(("tokenizer.ggml.add_eos_token", .bool(tokenizer?.addsEndOfSequence ?? false)))
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

    /// The `tokenizer.ggml.pre` llama.cpp reads back as `preTokenization`.
    static func preName(_ preTokenization: PreTokenization) throws -> String {
        if let name = preTokenization.llamaCppName { return name }
        if let pattern = preTokenization.singlePattern { return LlamaCppPreTokenizer.name(for: pattern) }
        throw ModelError.unsupported("this tokenizer's pre-tokenizer (\(preTokenization.steps.count) steps) has no "
            + "tokenizer.ggml.pre name llama.cpp knows")
    }
}
