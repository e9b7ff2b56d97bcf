// Reads a Hugging Face `tokenizer.json` whose BPE model is SentencePiece-style (Llama 2, Mistral, …):
// `byte_fallback`, normalizer Prepend("▁") + Replace(" " → "▁") or a Metaspace pre-tokenizer, added
// tokens, TemplateProcessing for BOS / EOS. Follows the `tokenizers` 0.2x serialization and semantics.

import Foundation

extension SentencePieceTokenizer {
    /// The largest id a `tokenizer.json` may use.
    static let maxTokenID = (1 << 24) - 1

    /// Whether a parsed `tokenizer.json` is SentencePiece-style BPE rather than byte-level.
    static func isSentencePieceStyle(_ json: [String: Any]) -> Bool {
        let model = json["model"] as? [String: Any] ?? [:]
        if model["byte_fallback"] as? Bool == true { return true }
        func types(_ value: Any?) -> [String] {
            guard let object = value as? [String: Any] else { return [] }
            let inner = (object["normalizers"] ?? object["pretokenizers"]) as? [Any] ?? []
            return [object["type"] as? String ?? ""] + inner.flatMap { types($0) }
        }
        let all = types(json["normalizer"]) + types(json["pre_tokenizer"])
        return all.contains("Metaspace") || all.contains("Prepend")
    }

    /// Loads a SentencePiece-style BPE `tokenizer.json`; throws a typed error naming the field for
    /// anything malformed or not supported.
    public init(tokenizerJSON json: [String: Any], path: String) throws(TokenizerError) {
        func bad(_ reason: String) -> TokenizerError { .malformedTokenizerFile(path: path, reason: reason) }
        let model = json["model"] as? [String: Any] ?? [:]
        guard let vocab = model["vocab"] as? [String: Any] else { throw bad("model.vocab is missing or not a string → id map") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key] as? String, !value.isEmpty { throw .unsupported(path: path, feature: "model.\(key) '\(value)'") }
        }
        // Ids: every one bounded, none repeated, no gaps (a table of the largest id is allocated).
        var entries: [(text: String, id: Int)] = []
        for (text, value) in vocab {
            guard let id = Self.id(value), id >= 0, id <= Self.maxTokenID else {
                throw bad("model.vocab['\(text)'] is \(value), not an id in 0…\(Self.maxTokenID)")
            }
            entries.append((text, id))
        }
        let added = try Self.addedTokens(json, path: path)
        let count = (entries.map(\.id) + added.map(\.id)).max().map { $0 + 1 } ?? 0
        guard count > 0, count <= entries.count + added.count else {
            throw bad("ids run to \(count - 1) but the file lists \(entries.count) vocab entries and \(added.count) added "
                + "tokens; the ids must be dense")
        }
        var pieces = [String](repeating: "", count: count)
        var kinds = [PieceKind](repeating: .silent, count: count)
        var filled = [Bool](repeating: false, count: count)
        let byteFallback = model["byte_fallback"] as? Bool ?? false
        for (text, id) in entries {
            guard !filled[id] else { throw bad("model.vocab['\(text)'] repeats id \(id) of '\(pieces[id])'") }
            pieces[id] = text; filled[id] = true
            kinds[id] = byteFallback && Self.byteValue(text) != nil ? .byte : .text
        }
        for token in added {
            if filled[token.id] && pieces[token.id] != token.text {
                throw bad("added token '\(token.text)' has id \(token.id), which model.vocab gives to '\(pieces[token.id])'")
            }
            pieces[token.id] = token.text; filled[token.id] = true; kinds[token.id] = .literal
        }
        let index = try TokenTextIndex(pieces, field: "model.vocab", source: path)
        var options = try Self.options(json, path: path)
        options.byteFallback = byteFallback
        options.bytesBeforeMerging = true
        options.fusesUnknown = model["fuse_unk"] as? Bool ?? false
        options.ignoresMerges = model["ignore_merges"] as? Bool ?? false
        let merges = try Self.merges(model["merges"], index: index, path: path)
        var unknownID: Int?
        if let unk = model["unk_token"] as? String {
            guard let id = index.id(of: unk) else { throw bad("model.unk_token '\(unk)' is not in the vocabulary") }
            unknownID = id
        }
        try self.init(pieces: pieces, index: index, kinds: kinds, merging: .ranks(merges), options: options,
                      addedTokens: added, splitOrder: .leftmostLongest, unknownID: unknownID, source: path)
        try readPostProcessor(json["post_processor"], path: path)
        endOfTextID = endOfTextID ?? ["</s>", "<|endoftext|>", "<|im_end|>", "<eos>"].lazy.compactMap { index.id(of: $0) }.first
        if beginningOfSequenceID == nil { beginningOfSequenceID = index.id(of: "<s>") }
        endOfGenerationIDs = endOfTextID.map { [$0] } ?? []
    }

    /// An integer id from JSON (2.5 or 1e30 is no id; Foundation on Linux cannot tell `true` from 1).
    static func id(_ value: Any?) -> Int? {
        if let int = value as? Int { return int }
        if let double = value as? Double, double == double.rounded(), abs(double) < 9e15 { return Int(double) }
        return nil
    }

    static func addedTokens(_ json: [String: Any], path: String) throws(TokenizerError) -> [AddedToken] {
        guard let list = json["added_tokens"] else { return [] }
        guard let tokens = list as? [[String: Any]] else {
            throw .malformedTokenizerFile(path: path, reason: "added_tokens is not a list of objects")
        }
        var result: [AddedToken] = []
        for (k, token) in tokens.enumerated() {
            guard let content = token["content"] as? String, !content.isEmpty,
                  let id = Self.id(token["id"]), id >= 0, id <= maxTokenID else {
                throw .malformedTokenizerFile(path: path, reason: "added_tokens[\(k)] needs a non-empty content and an id "
                    + "in 0…\(maxTokenID)")
            }
            result.append(AddedToken(text: content, id: id, isControl: token["special"] as? Bool ?? true,
                                     stripsLeft: token["lstrip"] as? Bool ?? false, stripsRight: token["rstrip"] as? Bool ?? false))
        }
        return result
    }

    /// The merge table: "a b" strings or [a, b] pairs, both parts and their join in the vocabulary.
    static func merges(_ value: Any?, index: TokenTextIndex, path: String) throws(TokenizerError) -> PairMap {
        let list = value as? [Any] ?? []
        if value != nil && !(value is [Any]) { throw .malformedTokenizerFile(path: path, reason: "model.merges is not a list") }
        let table = PairMap(capacity: list.count)
        for (rank, entry) in list.enumerated() {
            var parts: [String] = []
            if let text = entry as? String {
                parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let pair = entry as? [String] {
                parts = pair
            }
            guard parts.count == 2, let left = index.id(of: parts[0]), let right = index.id(of: parts[1]),
                  let joined = index.id(of: parts[0] + parts[1]) else {
                throw .malformedTokenizerFile(path: path, reason: "model.merges[\(rank)] \(entry) is not two vocab entries "
                    + "whose join is one")
            }
            if table.lookup(UInt32(left), UInt32(right)) == PairMap.empty {
                table.insert(left: UInt32(left), right: UInt32(right), rank: UInt32(rank), merged: UInt32(joined))
            }
        }
        return table
    }

    /// The ▁ handling a normalizer (Prepend + Replace) or a Metaspace pre-tokenizer asks for.
    static func options(_ json: [String: Any], path: String) throws(TokenizerError) -> Options {
        var options = Options()
        options.spacePrefix = .none
        options.escapesSpaces = false
        let marker = "\u{2581}"
        func steps(_ value: Any?, _ key: String) -> [[String: Any]] {
            guard let object = value as? [String: Any] else { return [] }
            if object["type"] as? String == "Sequence" { return object[key] as? [[String: Any]] ?? [] }
            return [object]
        }
        for step in steps(json["normalizer"], "normalizers") {
            switch step["type"] as? String {
            case "Prepend" where step["prepend"] as? String == marker: options.spacePrefix = .everySegment
            case "Replace" where (step["pattern"] as? [String: Any])?["String"] as? String == " " && step["content"] as? String == marker:
                options.escapesSpaces = true
            case let other:
                throw .unsupported(path: path, feature: "normalizer \(other ?? "?") \(step) in a SentencePiece-style BPE")
            }
        }
        if options.spacePrefix == .everySegment && !options.escapesSpaces {
            throw .unsupported(path: path, feature: "normalizer Prepend(▁) without Replace(' ' → ▁)")
        }
        for step in steps(json["pre_tokenizer"], "pretokenizers") {
            guard step["type"] as? String == "Metaspace", (step["replacement"] as? String ?? marker) == marker else {
                throw .unsupported(path: path, feature: "pre_tokenizer \(step["type"] ?? "?") in a SentencePiece-style BPE "
                    + "(Quill reads Metaspace with ▁)")
            }
            options.escapesSpaces = true
            options.splitsAtSpaceMarker = step["split"] as? Bool ?? true
            let scheme = step["prepend_scheme"] as? String ?? ((step["add_prefix_space"] as? Bool ?? true) ? "always" : "never")
            switch scheme {
            case "always": options.spacePrefix = .metaspaceAlways
            case "first": options.spacePrefix = .metaspaceFirst
            case "never": options.spacePrefix = .none
            default: throw .unsupported(path: path, feature: "Metaspace prepend_scheme '\(scheme)'")
            }
        }
        return options
    }

    /// BOS / EOS from TemplateProcessing's `single` template: special tokens before and after `$A`.
    mutating func readPostProcessor(_ value: Any?, path: String) throws(TokenizerError) {
        guard let post = value as? [String: Any] else { return }
        guard post["type"] as? String == "TemplateProcessing", let single = post["single"] as? [[String: Any]] else {
            if post["type"] as? String == "ByteLevel" { return }
            throw .unsupported(path: path, feature: "post_processor \(post["type"] ?? "?")")
        }
        var seenSequence = false
        for item in single {
            if item["Sequence"] != nil { seenSequence = true; continue }
            guard let name = (item["SpecialToken"] as? [String: Any])?["id"] as? String, let id = index.id(of: name) else {
                throw .malformedTokenizerFile(path: path, reason: "post_processor.single item \(item) is not a known special token")
            }
            if seenSequence { endOfTextID = id; addsEndOfSequence = true } else { beginningOfSequenceID = id; addsBeginningOfSequence = true }
        }
    }
}
