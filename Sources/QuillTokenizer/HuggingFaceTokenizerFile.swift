// Reads and writes Hugging Face `tokenizer.json` files: byte-level BPE models (ByteLevel or
// Split+ByteLevel pre-tokenizer, `merges` as "a b" strings or [a, b] arrays, `added_tokens`),
// SentencePiece-style BPE (see SentencePieceTokenizer+HuggingFace) and BERT WordPiece models. Follows the `tokenizers` serialization format (version 1.0).

import Foundation

/// Loader and writer for Hugging Face `tokenizer.json`.
public enum HuggingFaceTokenizerFile {
    /// Loads a `tokenizer.json` as a `BPETokenizer` or a `WordPieceTokenizer`, whichever its model is.
    public static func load(path: String) throws(TokenizerError) -> any Tokenizer {
        let json = try readJSON(path)
        let model = json["model"] as? [String: Any] ?? [:]
        switch model["type"] as? String {
        case "BPE", nil where model["merges"] != nil:
            if SentencePieceTokenizer.isSentencePieceStyle(json) { return try SentencePieceTokenizer(tokenizerJSON: json, path: path) }
            return try bpe(json, path: path)
        case "WordPiece":
            return try WordPieceTokenizer(tokenizerJSON: json, path: path)
        case let other:
            throw .malformedTokenizerFile(path: path, reason: "model type \(other ?? "missing") is not supported "
                + "(Quill reads BPE and WordPiece)")
        }
    }

    static func readJSON(_ path: String) throws(TokenizerError) -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw .malformedTokenizerFile(path: path, reason: "not a JSON object")
        }
        return json
    }

    /// Reads the byte-level BPE parts of a parsed `tokenizer.json`.
    static func bpe(_ json: [String: Any], path: String) throws(TokenizerError) -> BPETokenizer {
        let model = json["model"] as? [String: Any] ?? [:]
        guard let vocab = model["vocab"] as? [String: Int] else {
            throw .malformedTokenizerFile(path: path, reason: "model.vocab is missing or not a string → id map")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key] as? String, !value.isEmpty {
                throw .malformedTokenizerFile(path: path, reason: "model.\(key) '\(value)' is not supported "
                    + "(Quill reads byte-level BPE only)")
            }
        }
        if model["byte_fallback"] as? Bool == true {
            throw .malformedTokenizerFile(path: path, reason: "model.byte_fallback (SentencePiece-style BPE) is not supported")
        }
        let (pattern, addPrefixSpace) = try preTokenizer(json["pre_tokenizer"], path: path)
        if let normalizer = json["normalizer"] as? [String: Any] {
            throw .malformedTokenizerFile(path: path, reason: "normalizer \(normalizer["type"] ?? "?") is not supported "
                + "for BPE (byte-level BPE models have none)")
        }
        var tokens: [(bytes: [UInt8], id: Int)] = []
        tokens.reserveCapacity(vocab.count)
        for (text, id) in vocab {
            guard let bytes = ByteLevelAlphabet.decode(text) else {
                throw .malformedTokenizerFile(path: path, reason: "vocab entry '\(text)' (id \(id)) is not in the "
                    + "byte-level alphabet")
            }
            tokens.append((bytes, id))
        }
        let mergeList = model["merges"] as? [Any] ?? []
        var merges: [(left: Int, right: Int)] = []
        merges.reserveCapacity(mergeList.count)
        for (index, entry) in mergeList.enumerated() {
            var parts: [String] = []
            if let text = entry as? String {
                parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let pair = entry as? [String] {
                parts = pair
            }
            guard parts.count == 2, let left = vocab[parts[0]], let right = vocab[parts[1]] else {
                throw .malformedTokenizerFile(path: path, reason: "merges[\(index)] \(entry) is not a pair of vocab entries")
            }
            merges.append((left, right))
        }
        var specials: [String: Int] = [:]
        for token in json["added_tokens"] as? [[String: Any]] ?? [] {
            if let content = token["content"] as? String, let id = token["id"] as? Int { specials[content] = id }
        }
        let bpeModel = try BytePairModel(tokens: tokens, merges: merges, preTokenization: PreTokenization(pattern),
                                         wholePieceLookup: model["ignore_merges"] as? Bool ?? false, source: path)
        let endOfText = ["<|endoftext|>", "<|end_of_text|>", "</s>", "<|im_end|>"].first { specials[$0] != nil }
        return BPETokenizer(model: bpeModel, specialTokens: specials, endOfTextToken: endOfText ?? "<|endoftext|>",
                            addPrefixSpace: addPrefixSpace)
    }

    /// Maps a pre_tokenizer (ByteLevel, or Sequence[Split(regex), ByteLevel(use_regex: false)]) to a pattern.
    private static func preTokenizer(_ value: Any?, path: String) throws(TokenizerError) -> (PreTokenizerPattern, Bool) {
        guard let object = value as? [String: Any] else {
            throw .malformedTokenizerFile(path: path, reason: "pre_tokenizer is missing; byte-level BPE needs ByteLevel")
        }
        switch object["type"] as? String {
        case "ByteLevel":
            return (.gpt2, object["add_prefix_space"] as? Bool ?? false)
        case "Sequence":
            let steps = object["pretokenizers"] as? [[String: Any]] ?? []
            var pattern: PreTokenizerPattern?
            var addPrefixSpace = false
            for step in steps {
                if step["type"] as? String == "Split",
                   let regex = (step["pattern"] as? [String: Any])?["Regex"] as? String {
                    guard let known = PreTokenizerPattern(regex: regex) else {
                        throw .malformedTokenizerFile(path: path, reason: "Split regex \(regex) is not one Quill knows "
                            + "(GPT-2, cl100k/Llama 3, o200k)")
                    }
                    pattern = known
                } else if step["type"] as? String == "ByteLevel" {
                    addPrefixSpace = step["add_prefix_space"] as? Bool ?? false
                    if step["use_regex"] as? Bool ?? true, pattern == nil { pattern = .gpt2 }
                }
            }
            guard let pattern else {
                throw .malformedTokenizerFile(path: path, reason: "pre_tokenizer Sequence has no Split regex or ByteLevel")
            }
            return (pattern, addPrefixSpace)
        case let other:
            throw .malformedTokenizerFile(path: path, reason: "pre_tokenizer \(other ?? "?") is not supported for BPE")
        }
    }
}
