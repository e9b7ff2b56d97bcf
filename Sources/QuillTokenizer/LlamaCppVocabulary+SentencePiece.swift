// SentencePiece vocabularies in GGUF as llama.cpp runs them: "llama" (pieces merged by score, ▁ prefix
// before the text and after every added token, `<0xNN>` byte fallback, BOS by default) and "gemma4" or a
// gpt2 vocabulary with pre gemma4 / sarvam-moe (ranked merges over ▁-escaped UTF-8, split at newlines).

extension LlamaCppVocabulary {
    func makeSentencePiece() throws(TokenizerError) -> any Tokenizer {
        let index = try TokenTextIndex(tokens, field: "tokenizer.ggml.tokens", source: source)
        let kinds = tokens.indices.map { id -> SentencePieceTokenizer.PieceKind in
            switch type(id) {
            case .normal: return .text
            case .byte: return .byte
            case .control, .unknown, .userDefined: return .literal
            case .unused, .undefined: return .silent
            }
        }
        var options = SentencePieceTokenizer.Options()
        let merging: SentencePieceTokenizer.Merging
        let specials: Specials
        if model == "llama" {
            options.spacePrefix = addSpacePrefix ?? true ? .everySegment : .none
            merging = .scores(scores ?? [Float](repeating: 0, count: tokens.count))
            specials = try specialTokens(index, defaults: (bos: 1, eos: 2, unknown: 0), hasBOS: true)
        } else {
            // gemma4, or gpt2 with a SentencePiece-style pre: llama.cpp's BPE session without byte encoding.
            let family = model == "gemma4" ? "gemma4" : LlamaCppPreTokenizer.names[pre ?? ""]?.family
            options.spacePrefix = .none
            options.splitsAtNewlines = true
            options.newlineRunsWhole = family == "gemma4"
            merging = .ranks(try rankedMerges(index))
            specials = try specialTokens(index, defaults: (bos: nil, eos: nil, unknown: nil), hasBOS: true)
        }
        var tokenizer = try SentencePieceTokenizer(pieces: tokens, index: index, kinds: kinds, merging: merging,
                                                   options: options, addedTokens: specials.added,
                                                   unknownID: specials.unknown, source: source)
        tokenizer.beginningOfSequenceID = specials.bos
        tokenizer.endOfTextID = specials.eos
        // llama.cpp adds BOS for SentencePiece unless the file says otherwise, and always for Gemma 4.
        let defaultBOS = model == "llama" || model == "gemma4" || pre == "gemma4"
        tokenizer.addsBeginningOfSequence = (model == "gemma4" || pre == "gemma4" ? true : addBOS ?? defaultBOS) && specials.bos != nil
        tokenizer.addsEndOfSequence = (addEOS ?? false) && specials.eos != nil
        tokenizer.endOfGenerationIDs = specials.endOfGeneration
        return tokenizer
    }

    /// `tokenizer.ggml.merges` as a pair table over token ids. As llama.cpp, the first space after the
    /// first byte separates the parts and the first listing of a pair counts; a merge whose joined
    /// text is no token can never yield one and is skipped.
    func rankedMerges(_ index: TokenTextIndex) throws(TokenizerError) -> PairMap {
        guard let merges else {
            throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.merges is missing (a \(model) vocabulary needs it)")
        }
        let table = PairMap(capacity: merges.count)
        var joined = [UInt8](repeating: 0, count: 256)     // scratch: the two parts without the space
        for (rank, merge) in merges.enumerated() {
            enum Parsed { case noSpace, notTokens, pair(Int, Int, Int?) }
            var text = merge
            let parsed: Parsed = text.withUTF8 { b in
                guard b.count > 2, let space = (1..<b.count).first(where: { b[$0] == 0x20 }) else { return .noSpace }
                let base = b.baseAddress!
                guard let left = index.id(base, space), let right = index.id(base + space + 1, b.count - space - 1) else {
                    return .notTokens
                }
                if joined.count < b.count { joined = [UInt8](repeating: 0, count: b.count) }
                let id: Int? = joined.withUnsafeMutableBufferPointer { out in
                    let o = out.baseAddress!
                    o.update(from: base, count: space)
                    (o + space).update(from: base + space + 1, count: b.count - space - 1)
                    return index.id(UnsafePointer(o), b.count - 1)
                }
                return .pair(left, right, id)
            }
            switch parsed {
            case .noSpace:
                throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.merges[\(rank)] '\(merge)' has no space "
                    + "between two tokens")
            case .notTokens:
                throw .malformedTokenizerFile(path: source, reason: "tokenizer.ggml.merges[\(rank)] '\(merge)' is not a pair "
                    + "of vocabulary tokens")
            case .pair(let left, let right, let merged):
                guard let merged, table.lookup(UInt32(left), UInt32(right)) == PairMap.empty else { continue }
                table.insert(left: UInt32(left), right: UInt32(right), rank: UInt32(rank), merged: UInt32(merged))
            }
        }
        return table
    }
}
