// BERT WordPiece vocabularies in GGUF ("bert") as llama.cpp runs them: word-initial pieces carry a ▁
// prefix instead of continuations carrying "##", words come from BERT's normalizer and punctuation
// split, and [CLS] … [SEP] are added only when special tokens are asked for (llama_vocab WPM).

/// A GGUF WordPiece vocabulary: `WordPieceTokenizer` over the pieces respelled in "##" form.
public struct LlamaCppWordPieceTokenizer: Tokenizer {
    let wordPiece: WordPieceTokenizer
    public let beginningOfSequenceID: Int?
    /// [SEP], added after the text with special tokens.
    public let separatorID: Int?

    public var vocabularySize: Int { wordPiece.vocabularySize }
    public var endOfTextID: Int? { separatorID }
    public var addsBeginningOfSequence: Bool { beginningOfSequenceID != nil }
    public var addsEndOfSequence: Bool { separatorID != nil }

    public func encode(_ text: String) -> [Int] { wordPiece.encode(text, addSpecialTokens: false) }

    public func encode(_ text: String, parseSpecial: Bool) -> [Int] {
        parseSpecial ? wordPiece.encodeMatchingSpecialTokens(text, addSpecialTokens: false) : encode(text)
    }

    public func encode(_ text: String, addSpecialTokens: Bool, parseSpecial: Bool) -> [Int] {
        let ids = encode(text, parseSpecial: parseSpecial)
        guard addSpecialTokens else { return ids }
        return (beginningOfSequenceID.map { [$0] } ?? []) + ids + (separatorID.map { [$0] } ?? [])
    }

    /// Pieces as WordPiece decodes them ("##" continuations joined, words separated by spaces).
    public func decodeBytes(_ ids: [Int]) -> [UInt8] { wordPiece.decodeBytes(ids) }
}

extension LlamaCppVocabulary {
    func makeWordPiece() throws(TokenizerError) -> any Tokenizer {
        var vocabulary: [String: Int] = [:]
        var specials: [String: Int] = [:]
        for (id, text) in tokens.enumerated() where !text.isEmpty {
            let key: String
            switch type(id) {
            case .normal, .undefined:
                key = text.hasPrefix("\u{2581}") ? String(text.dropFirst()) : "##" + text
            case .control, .userDefined, .unknown:
                key = text
                specials[text] = id
            case .byte, .unused:
                continue
            }
            if !key.isEmpty && key != "##" { vocabulary[key] = id }    // as llama.cpp's map: the last id wins
        }
        guard let unknown = tokenIDs["unknown"] ?? (tokens.count > 100 ? 100 : nil) else {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.unknown_token_id is missing (a bert vocabulary needs it)")
        }
        let unknownText = tokens[unknown]
        vocabulary[unknownText] = unknown
        let wordPiece = try WordPieceTokenizer(vocabulary: vocabulary, unknownToken: unknownText, continuingSubwordPrefix: "##",
                                               maxInputCharactersPerWord: Int.max, normalizer: BertNormalizer(),
                                               classifierToken: nil, separatorToken: nil, specialTokens: specials)
        return LlamaCppWordPieceTokenizer(wordPiece: wordPiece, beginningOfSequenceID: tokenIDs["cls"] ?? tokenIDs["bos"] ?? 101,
                                          separatorID: tokenIDs["seperator"] ?? 102)
    }
}
