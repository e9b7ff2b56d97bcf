// A byte-level BPE vocabulary as plain lists — token strings in GPT-2's byte-level alphabet indexed
// by id, merges as "a b" strings in rank order — the form GGUF stores (`tokenizer.ggml.tokens`,
// `tokenizer.ggml.merges`, as llama.cpp's gguf-py writes them) and the form other containers can reuse.

import Foundation

/// One entry of a byte-level vocabulary list.
public struct ByteLevelVocabularyEntry: Equatable, Sendable {
    /// The token's text: byte-level alphabet for ordinary tokens, the literal text for special ones.
    public var text: String
    /// Whether the token is special (control / user-defined), matched as a whole in text.
    public var isSpecial: Bool

    public init(text: String, isSpecial: Bool) {
        self.text = text
        self.isSpecial = isSpecial
    }
}

extension BPETokenizer {
    /// Builds a tokenizer from a list indexed by id (nil = unused id) and merges ("a b", rank order).
    ///
    /// ```swift
    /// let tok = try BPETokenizer(byteLevelVocabulary: [.init(text: "a", isSpecial: false), ...],
    ///                            merges: ["a b"], source: "model.gguf")
    /// ```
    public init(byteLevelVocabulary entries: [ByteLevelVocabularyEntry?], merges: [String],
                pattern: PreTokenizerPattern = .gpt2, addPrefixSpace: Bool = false,
                source: String) throws(TokenizerError) {
        // Sized up front: growing 50k-entry tables rehashed every key several times (most of a GGUF load).
        var tokens: [(bytes: [UInt8], id: Int)] = []
        tokens.reserveCapacity(entries.count)
        var lookup: [String: Int] = [:]
        lookup.reserveCapacity(entries.count)
        var specials: [String: Int] = [:]
        specials.reserveCapacity(entries.reduce(0) { $0 + ($1?.isSpecial == true ? 1 : 0) })
        for (id, entry) in entries.enumerated() {
            guard let entry else { continue }
            if entry.isSpecial { specials[entry.text] = id }
            // Special tokens whose text is in the alphabet stay ordinary tokens too, as in tokenizer.json.
            guard let bytes = ByteLevelAlphabet.decode(entry.text), !bytes.isEmpty else {
                if entry.isSpecial { continue }
                throw .malformedTokenizerFile(path: source, reason: "token \(id) '\(entry.text)' is not in the byte-level alphabet")
            }
            if lookup[entry.text] == nil { lookup[entry.text] = id; tokens.append((bytes, id)) }
        }
        var pairs: [(left: Int, right: Int)] = []
        pairs.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, let left = lookup[parts[0]], let right = lookup[parts[1]] else {
                throw .malformedTokenizerFile(path: source, reason: "merge #\(rank) '\(merge)' is not a pair of vocabulary tokens")
            }
            pairs.append((left, right))
        }
        let model = try BytePairModel(tokens: tokens, merges: pairs, preTokenization: PreTokenization(pattern), wholePieceLookup: false, source: source)
        let endOfText = ["<|endoftext|>", "<|end_of_text|>", "</s>", "<|im_end|>"].first { specials[$0] != nil }
        self.init(model: model, specialTokens: specials, endOfTextToken: endOfText ?? "<|endoftext|>",
                  addPrefixSpace: addPrefixSpace)
    }

    /// The vocabulary as a list indexed by id (`count` entries; ids with no token are nil) and the
    /// merges in rank order. Throws for tiktoken-rule vocabularies, which have no merge list.
    public func byteLevelVocabulary(count: Int? = nil) throws(TokenizerError) -> (entries: [ByteLevelVocabularyEntry?], merges: [String]) {
        guard let pairs = model.pairs else {
            throw .malformedTokenizerFile(path: "vocabulary", reason: "this vocabulary came from a tiktoken rank file and "
                + "has no merge list; byte-level BPE containers (tokenizer.json, GGUF) need one")
        }
        var entries = [ByteLevelVocabularyEntry?](repeating: nil, count: max(count ?? 0, vocabularySize))
        for (id, bytes) in model.allTokens() { entries[id] = .init(text: ByteLevelAlphabet.encode(bytes), isSpecial: false) }
        for (text, id) in specialTokens { entries[id] = .init(text: text, isSpecial: true) }
        let spelled = { (id: UInt32) in ByteLevelAlphabet.encode(model.bytes(of: Int(id)).map { Array($0) } ?? []) }
        let merges = pairs.entries().sorted { $0.rank < $1.rank }.map { "\(spelled($0.left)) \(spelled($0.right))" }
        return (entries, merges)
    }
}
