// BERT WordPiece: BertNormalizer words, then greedy longest-match-first sub-words with a `##`
// continuation prefix and `[UNK]` for words that cannot be covered, wrapped in [CLS] … [SEP] and
// truncated like Hugging Face `tokenizers` (WordPiece model + TemplateProcessing + truncation).

import Foundation

/// A BERT WordPiece tokenizer (for example all-MiniLM-L6-v2).
///
/// ```swift
/// let bert = try HuggingFaceTokenizerFile.load(path: "all-MiniLM-L6-v2/tokenizer.json") as! WordPieceTokenizer
/// bert.encode("Hello, world!")   // [101, 7592, 1010, 2088, 999, 102]
/// ```
public struct WordPieceTokenizer: Tokenizer {
    /// Token text → id.
    public let vocabulary: [String: Int]
    private let tokensByID: [String?]
    public let unknownToken: String
    public let continuingSubwordPrefix: String
    public let maxInputCharactersPerWord: Int
    public let normalizer: BertNormalizer
    /// `[CLS]`, put first when special tokens are added.
    public let classifierToken: String?
    /// `[SEP]`, put last when special tokens are added.
    public let separatorToken: String?
    /// Longest encoding (special tokens included), from the file's `truncation.max_length`; nil for none.
    public let maxLength: Int?
    /// Added tokens (`[PAD]`, `[CLS]`, ...): skipped by `decode`.
    public let specialTokens: [String: Int]

    public var vocabularySize: Int { tokensByID.count }
    public var endOfTextID: Int? { separatorToken.flatMap { vocabulary[$0] } }

    public init(vocabulary: [String: Int], unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
                maxInputCharactersPerWord: Int = 100, normalizer: BertNormalizer = BertNormalizer(),
                classifierToken: String? = "[CLS]", separatorToken: String? = "[SEP]", maxLength: Int? = nil,
                specialTokens: [String: Int]? = nil) throws(TokenizerError) {
        guard vocabulary[unknownToken] != nil else {
            throw .malformedTokenizerFile(path: "vocabulary", reason: "unknown token \(unknownToken) is not in the vocabulary")
        }
        // Ids index a table: each must lie in 0..<count + 256 (a hostile file's 2⁶² would allocate it).
        if let bad = vocabulary.first(where: { $0.value < 0 || $0.value >= vocabulary.count + 256 }) {
            throw .malformedTokenizerFile(path: "vocabulary", reason: "token '\(bad.key)' has id \(bad.value), outside "
                + "0..<\(vocabulary.count + 256) for \(vocabulary.count) tokens")
        }
        self.vocabulary = vocabulary
        var byID = [String?](repeating: nil, count: (vocabulary.values.max() ?? -1) + 1)
        for (token, id) in vocabulary where id >= 0 { byID[id] = token }
        tokensByID = byID
        self.unknownToken = unknownToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        self.normalizer = normalizer
        self.classifierToken = classifierToken.flatMap { vocabulary[$0] != nil ? $0 : nil }
        self.separatorToken = separatorToken.flatMap { vocabulary[$0] != nil ? $0 : nil }
        self.maxLength = maxLength
        self.specialTokens = specialTokens
            ?? Dictionary(uniqueKeysWithValues: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { name in
                vocabulary[name].map { (name, $0) }
            })
    }

    /// Loads a BERT `vocab.txt` (one token per line, id = line number) with uncased BERT defaults.
    public init(vocabularyFile path: String, lowercase: Bool = true) throws(TokenizerError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        var vocabulary: [String: Int] = [:]
        for (id, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            if !token.isEmpty && vocabulary[token] == nil { vocabulary[token] = id }
        }
        try self.init(vocabulary: vocabulary, normalizer: BertNormalizer(lowercase: lowercase))
    }

    /// Reads a parsed `tokenizer.json` whose model is WordPiece.
    init(tokenizerJSON json: [String: Any], path: String) throws(TokenizerError) {
        let model = json["model"] as? [String: Any] ?? [:]
        guard let vocab = model["vocab"] as? [String: Int] else {
            throw .malformedTokenizerFile(path: path, reason: "model.vocab is missing or not a string → id map")
        }
        var normalizer = BertNormalizer(cleanText: false, handleChineseCharacters: false, stripAccents: false,
                                        lowercase: false)
        if let n = json["normalizer"] as? [String: Any] {
            guard n["type"] as? String == "BertNormalizer" else {
                throw .malformedTokenizerFile(path: path, reason: "normalizer \(n["type"] ?? "?") is not supported "
                    + "for WordPiece (Quill reads BertNormalizer)")
            }
            normalizer = BertNormalizer(cleanText: n["clean_text"] as? Bool ?? true,
                                        handleChineseCharacters: n["handle_chinese_chars"] as? Bool ?? true,
                                        stripAccents: n["strip_accents"] as? Bool, lowercase: n["lowercase"] as? Bool ?? true)
        }
        var specials: [String: Int] = [:]
        for token in json["added_tokens"] as? [[String: Any]] ?? [] {
            if let content = token["content"] as? String, let id = token["id"] as? Int { specials[content] = id }
        }
        var cls: String?, sep: String?
        if let post = json["post_processor"] as? [String: Any] {
            if let single = post["single"] as? [[String: Any]] {  // TemplateProcessing
                let names = single.compactMap { ($0["SpecialToken"] as? [String: Any])?["id"] as? String }
                cls = names.first
                sep = names.count > 1 ? names.last : nil
            } else {  // BertProcessing: "cls": ["[CLS]", 101]
                cls = (post["cls"] as? [Any])?.first as? String
                sep = (post["sep"] as? [Any])?.first as? String
            }
        }
        let truncation = json["truncation"] as? [String: Any]
        try self.init(vocabulary: vocab, unknownToken: model["unk_token"] as? String ?? "[UNK]",
                      continuingSubwordPrefix: model["continuing_subword_prefix"] as? String ?? "##",
                      maxInputCharactersPerWord: model["max_input_chars_per_word"] as? Int ?? 100,
                      normalizer: normalizer, classifierToken: cls, separatorToken: sep,
                      maxLength: truncation?["max_length"] as? Int, specialTokens: specials)
    }

    /// Encodes like Hugging Face `encode(text)`: [CLS] + word pieces + [SEP], truncated to `maxLength`.
    /// Special-token text in the input (e.g. "[SEP]") is treated as plain text.
    public func encode(_ text: String) -> [Int] { encode(text, addSpecialTokens: true) }

    /// Encodes, with or without [CLS]/[SEP]; truncation to `maxLength` keeps the first tokens.
    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        var ids = tokenize(text).map { vocabulary[$0]! }
        let prefix = addSpecialTokens ? classifierToken.flatMap { vocabulary[$0] } : nil
        let suffix = addSpecialTokens ? separatorToken.flatMap { vocabulary[$0] } : nil
        if let maxLength {
            let room = max(0, maxLength - (prefix == nil ? 0 : 1) - (suffix == nil ? 0 : 1))
            if ids.count > room { ids.removeLast(ids.count - room) }
        }
        return (prefix.map { [$0] } ?? []) + ids + (suffix.map { [$0] } ?? [])
    }

    /// The word pieces of `text` (no special tokens, no truncation).
    public func tokenize(_ text: String) -> [String] {
        var pieces: [String] = []
        for word in normalizer.preTokenize(normalizer.normalize(text)) { appendPieces(of: word, to: &pieces) }
        return pieces
    }

    /// Greedy longest-match-first over the word's characters (Unicode scalars); any gap makes the whole word [UNK].
    private func appendPieces(of word: String, to pieces: inout [String]) {
        let scalars = Array(word.unicodeScalars)
        if scalars.count > maxInputCharactersPerWord {
            pieces.append(unknownToken)
            return
        }
        var found: [String] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var match: String?
            while start < end {
                var candidate = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { candidate = continuingSubwordPrefix + candidate }
                if vocabulary[candidate] != nil { match = candidate; break }
                end -= 1
            }
            guard let match else {
                pieces.append(unknownToken)
                return
            }
            found.append(match)
            start = end
        }
        pieces.append(contentsOf: found)
    }

    /// Joins word pieces back into text like the Hugging Face WordPiece decoder (`##` glued, special tokens
    /// skipped, BERT's cleanup of spaces before punctuation). Unknown ids decode to U+FFFD.
    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        let specialIDs = Set(specialTokens.values)
        var text = ""
        for id in ids where !specialIDs.contains(id) {
            let token = id >= 0 && id < tokensByID.count ? (tokensByID[id] ?? "\u{FFFD}") : "\u{FFFD}"
            if token.hasPrefix(continuingSubwordPrefix) && !text.isEmpty {
                text += token.dropFirst(continuingSubwordPrefix.count)
            } else {
                text += text.isEmpty ? token : " " + token
            }
        }
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            text = text.replacingOccurrences(of: from, with: to)
        }
        return Array(text.utf8)
    }
}
