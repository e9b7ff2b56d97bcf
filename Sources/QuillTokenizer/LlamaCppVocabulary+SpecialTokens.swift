// Which tokens of a GGUF vocabulary are matched whole in text, which one is BOS / EOS, and which end
// generation — llama.cpp's rules (`llama_vocab::impl::load`): declared ids first, then tokens found by
// their text (`<|im_end|>`, `<|eot_id|>`, `<|end|>`, FIM markers), which also become control tokens.

extension LlamaCppVocabulary {
    /// What the special-token rules decide.
    struct Specials {
        var added: [AddedToken]
        var bos: Int?
        var eos: Int?
        var unknown: Int?
        var endOfGeneration: Set<Int>
    }

    /// Texts llama.cpp takes for an end-of-turn token when no `eot_token_id` is declared.
    static let endOfTurnTexts = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
                                 "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"]
    /// Texts of tokens that always end generation.
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ]
    static let fimPrefixTexts = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                                 "<|code_prefix|>", "<|prefix|>"]
    static let fimSuffixTexts = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                                 "<|code_suffix|>", "<|suffix|>"]
    static let fimMiddleTexts = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                                 "<|code_middle|>", "<|middle|>"]
    static let fimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]
    static let fimRepoTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]
    static let fimSeparatorTexts = ["<|file_sep|>"]

    /// Applies the rules. `defaults` are llama.cpp's ids for the vocabulary type when the file declares
    /// none (used only when in range); `hasBOS: false` drops the default BOS (ChatGLM).
    func specialTokens(_ index: TokenTextIndex, defaults: (bos: Int?, eos: Int?, unknown: Int?),
                       hasBOS: Bool) throws(TokenizerError) -> Specials {
        let n = tokens.count
        func resolve(_ name: String, _ fallback: Int?) -> Int? {
            if let id = tokenIDs[name] { return id }
            guard let fallback, fallback < n else { return nil }
            return fallback
        }
        var control = [Bool](repeating: false, count: n)
        var userDefined = [Bool](repeating: false, count: n)
        var unknownType = [Bool](repeating: false, count: n)
        for id in 0..<n {
            switch type(id) {
            case .control: control[id] = true
            case .userDefined: userDefined[id] = true
            case .unknown: unknownType[id] = true
            default: break
            }
        }
        // llama.cpp walks an unordered map, so when several texts of one role are present its choice is
        // arbitrary; Quill takes the lowest id.
        func find(_ texts: [String]) -> Int? {
            let id = texts.compactMap { index.id(of: $0) }.min()
            if let id { control[id] = true }
            return id
        }

        let bos = resolve("bos", hasBOS ? defaults.bos : nil)
        let eos = resolve("eos", defaults.eos)
        let eot = tokenIDs["eot"] ?? find(Self.endOfTurnTexts)
        let eom = tokenIDs["eom"] ?? find(["<|eom_id|>"])
        if tokenIDs["fim_pre"] == nil && tokenIDs["prefix"] == nil { _ = find(Self.fimPrefixTexts) }
        if tokenIDs["fim_suf"] == nil && tokenIDs["suffix"] == nil { _ = find(Self.fimSuffixTexts) }
        if tokenIDs["fim_mid"] == nil && tokenIDs["middle"] == nil { _ = find(Self.fimMiddleTexts) }
        let fimPad = tokenIDs["fim_pad"] ?? find(Self.fimPadTexts)
        let fimRepo = tokenIDs["fim_rep"] ?? find(Self.fimRepoTexts)
        let fimSeparator = tokenIDs["fim_sep"] ?? find(Self.fimSeparatorTexts)

        var endOfGeneration = Set([fimPad, fimRepo, fimSeparator].compactMap { $0 })
        for text in Self.endOfGenerationTexts {
            guard let id = index.id(of: text) else { continue }
            endOfGeneration.insert(id)
            control[id] = true
        }
        // gpt-oss's channel markers are always rendered: plain user-defined tokens.
        for text in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let id = index.id(of: text) { control[id] = false; unknownType[id] = false; userDefined[id] = true }
        }
        for id in [eos, eot, eom].compactMap({ $0 }) { endOfGeneration.insert(id) }
        // o200k_harmony / solar-open: with <|return|> and <|call|> (or <|calls|> and <|flush|>), <|end|> does not end.
        let eogTexts = Set(endOfGeneration.map { tokens[$0] })
        if let end = index.id(of: "<|end|>"), endOfGeneration.contains(end), eogTexts.contains("<|end|>"),
           (eogTexts.contains("<|return|>") && (eogTexts.contains("<|call|>") || eogTexts.contains("<|calls|>")))
            || ((eogTexts.contains("<|call|>") || eogTexts.contains("<|calls|>")) && eogTexts.contains("<|flush|>")) {
            endOfGeneration.remove(end)
            control[end] = false; unknownType[end] = false; userDefined[end] = true
        }
        // Gemma 4 and PLaMo: </s> is an ordinary token.
        if let s = index.id(of: "</s>"), endOfGeneration.contains(s),
           eogTexts.contains("<|tool_response>") || eogTexts.contains("<|plamo:eos|>") {
            endOfGeneration.remove(s)
            control[s] = false; unknownType[s] = false; userDefined[s] = false
        }

        var added: [AddedToken] = []
        let phi3 = modelName.map { $0.lowercased().contains("phi-3") || $0.lowercased().contains("phi3") } ?? false
        let maskStripsLeft = ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains { (pre ?? "").contains($0) }
            || ["nomic-bert-moe", "jina-bert-v3"].contains { (architecture ?? "").contains($0) }
        let modernBert = (modelName ?? "").lowercased().contains("modern-bert")
        for id in 0..<n where control[id] || userDefined[id] || unknownType[id] {
            let text = tokens[id]
            guard !text.isEmpty else { continue }
            var token = AddedToken(text: text, id: id, isControl: control[id] || unknownType[id])
            if phi3 { token.stripsRight = !["<unk>", "<s>", "<|endoftext|>"].contains(text) }
            if (maskStripsLeft && text == "<mask>") || (modernBert && text == "[MASK]") { token.stripsLeft = true }
            added.append(token)
        }
        return Specials(added: added, bos: bos, eos: eos, unknown: resolve("unknown", defaults.unknown),
                        endOfGeneration: endOfGeneration)
    }
}
