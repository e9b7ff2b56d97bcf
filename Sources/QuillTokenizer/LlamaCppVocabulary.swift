// A tokenizer as llama.cpp stores it in GGUF metadata (`tokenizer.ggml.*`), in plain Swift values,
// and the Quill tokenizer it makes: byte-level BPE ("gpt2"), SentencePiece ("llama"), SentencePiece-style
// BPE ("gemma4") or WordPiece ("bert"). Every list length and id is checked before anything is built.

/// The `tokenizer.ggml.*` metadata of a GGUF file.
public struct LlamaCppVocabulary: Sendable {
    /// llama.cpp's `llama_token_type`.
    public enum TokenType: Int32, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// The largest vocabulary accepted (llama.cpp's ids are 32-bit; real vocabularies stay under 2²⁰).
    public static let maxTokens = 1 << 24

    /// `tokenizer.ggml.model`: gpt2, llama, gemma4, bert, …
    public var model: String
    /// `tokenizer.ggml.pre` (nil when absent).
    public var pre: String?
    public var tokens: [String]
    /// `tokenizer.ggml.token_type` (nil: all normal).
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.scores` (SentencePiece).
    public var scores: [Float]?
    /// `tokenizer.ggml.merges`, "left right" in rank order (BPE).
    public var merges: [String]?
    /// `tokenizer.ggml.<name>_token_id` values, keyed by name: bos, eos, eot, eom, unknown, seperator,
    /// padding, cls, mask, fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep, prefix, suffix, middle.
    public var tokenIDs: [String: Int] = [:]
    public var addBOS: Bool?
    public var addEOS: Bool?
    public var addSpacePrefix: Bool?
    /// `general.name` and `general.architecture` (llama.cpp adjusts a few tokens' attributes by them).
    public var modelName: String?
    public var architecture: String?
    /// The file, for error messages.
    public var source: String

    public init(model: String, pre: String?, tokens: [String], tokenTypes: [Int32]? = nil, scores: [Float]? = nil,
                merges: [String]? = nil, source: String) {
        self.model = model; self.pre = pre; self.tokens = tokens; self.tokenTypes = tokenTypes
        self.scores = scores; self.merges = merges; self.source = source
    }

    /// The metadata keys of `tokenIDs`.
    public static let tokenIDNames = ["bos", "eos", "eot", "eom", "unknown", "seperator", "padding", "cls", "mask",
                                      "fim_pre", "fim_suf", "fim_mid", "fim_pad", "fim_rep", "fim_sep",
                                      "prefix", "suffix", "middle"]

    /// Builds the tokenizer llama.cpp would run for this metadata.
    public func makeTokenizer() throws(TokenizerError) -> any Tokenizer {
        try validate()
        switch model {
        case "gpt2":
            if let family = LlamaCppPreTokenizer.names[pre ?? ""]?.family, LlamaCppPreTokenizer.sentencePieceFamilies.contains(family) {
                return try makeSentencePiece()
            }
            return try makeByteLevelBPE()
        case "llama", "gemma4": return try makeSentencePiece()
        case "bert": return try makeWordPiece()
        default:
            throw .unsupported(path: source, feature: "tokenizer.ggml.model '\(model)' (Quill reads gpt2, llama and gemma4)")
        }
    }

    /// Lengths agree, ids are in range.
    func validate() throws(TokenizerError) {
        let n = tokens.count
        guard n > 0, n <= Self.maxTokens else {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.tokens has \(n) entries (expected 1…\(Self.maxTokens))")
        }
        if let tokenTypes, tokenTypes.count != n {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.token_type has \(tokenTypes.count) entries for \(n) tokens")
        }
        if let scores, scores.count != n {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.scores has \(scores.count) entries for \(n) tokens")
        }
        if let merges, merges.count > 4 * Self.maxTokens {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.merges has \(merges.count) entries")
        }
        for (name, id) in tokenIDs.sorted(by: { $0.key < $1.key }) where id < 0 || id >= n {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.\(name)_token_id is \(id), outside the "
                + "vocabulary of \(n) tokens")
        }
    }

    func type(_ id: Int) -> TokenType {
        guard let tokenTypes else { return .normal }
        return TokenType(rawValue: tokenTypes[id]) ?? .undefined
    }

    // MARK: Byte-level BPE

    private func makeByteLevelBPE() throws(TokenizerError) -> BPETokenizer {
        let pre = try LlamaCppPreTokenizer.named(pre, source: source)
        guard let merges else {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.merges is missing (a gpt2 vocabulary needs it)")
        }
        let index = try TokenTextIndex(tokens, field: "tokenizer.ggml.tokens", source: source)
        var ordinary: [(bytes: [UInt8], id: Int)] = []
        ordinary.reserveCapacity(tokens.count)
        var isOrdinary = [Bool](repeating: false, count: tokens.count)
        var decodeOnly: [Int: [UInt8]] = [:]
        for (id, text) in tokens.enumerated() where !text.isEmpty {
            switch type(id) {
            case .control, .userDefined, .unknown, .unused: continue
            case .normal, .byte, .undefined: break
            }
            guard let bytes = ByteLevelAlphabet.decode(text), !bytes.isEmpty else {
                // Outside the byte-level alphabet (command-r has a few): no text encodes to it, as in llama.cpp.
                decodeOnly[id] = Array(text.utf8)
                continue
            }
            ordinary.append((bytes, id))
            isOrdinary[id] = true
        }
        let pairs = try mergePairs(merges, index: index, isOrdinary: isOrdinary)
        let model = try BytePairModel(tokens: ordinary, merges: pairs, preTokenization: pre.preTokenization,
                                      wholePieceLookup: pre.ignoresMerges, source: source)
        let specials = try specialTokens(index, defaults: (bos: 11, eos: 11, unknown: nil), hasBOS: pre.hasDefaultBeginningOfSequence)
        var tokenizer = BPETokenizer(model: model, addedTokens: specials.added, endOfTextToken: specials.eos.map { tokens[$0] } ?? "",
                                     addPrefixSpace: false, splitOrder: .longestFirst, decodeOnly: decodeOnly)
        tokenizer.declaredEndOfSequenceID = specials.eos
        tokenizer.beginningOfSequenceID = specials.bos
        tokenizer.addsBeginningOfSequence = (addBOS ?? pre.addsBeginningOfSequenceByDefault) && specials.bos != nil
        tokenizer.addsEndOfSequence = (addEOS ?? false) && specials.eos != nil
        tokenizer.endOfGenerationIDs = specials.endOfGeneration
        return tokenizer
    }

    /// `tokenizer.ggml.merges` as (left id, right id) in rank order. As llama.cpp, the first space after the
    /// first byte separates the parts; a part that is no token is an error; merges of tokens no text
    /// can produce (`isOrdinary` false) never apply and are skipped.
    func mergePairs(_ merges: [String], index: TokenTextIndex, isOrdinary: [Bool]) throws(TokenizerError) -> [(left: Int, right: Int)] {
        var pairs: [(left: Int, right: Int)] = []
        pairs.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            enum Parsed { case pair(Int, Int), skip, bad }
            var text = merge
            let parsed: Parsed = text.withUTF8 { buffer in
                guard let base = buffer.baseAddress, buffer.count > 2,
                      let space = (1..<buffer.count).first(where: { buffer[$0] == 0x20 }),
                      let left = index.id(base, space), let right = index.id(base + space + 1, buffer.count - space - 1) else {
                    return .bad
                }
                return isOrdinary[left] && isOrdinary[right] ? .pair(left, right) : .skip
            }
            switch parsed {
            case .pair(let left, let right): pairs.append((left, right))
            case .skip: continue
            case .bad:
                throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.merges[\(rank)] '\(merge)' is not a pair "
                    + "of vocabulary tokens")
            }
        }
        return pairs
    }
}
