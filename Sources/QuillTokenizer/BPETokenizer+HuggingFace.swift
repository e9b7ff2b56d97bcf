// Writes a byte-level BPE vocabulary as a Hugging Face `tokenizer.json` (BPE model, ByteLevel
// pre-tokenizer/decoder, merges as "a b" strings in rank order, special tokens as added_tokens), which
// `tokenizers.Tokenizer.from_file` loads and encodes identically (checked by Scripts/reference/tokenizer_trainer_parity.py).

import Foundation

extension BPETokenizer {
    /// The vocabulary as `tokenizer.json` data. Needs a merge list (trained or loaded from tokenizer.json);
    /// tiktoken-rule vocabularies have none and throw.
    public func huggingFaceJSON() throws(TokenizerError) -> Data {
        guard let pairs = model.pairs else {
            throw .malformedTokenizerFile(path: "tokenizer.json", reason: "this vocabulary came from a tiktoken rank file "
                + "and has no merge list; write it with tiktokenRankFile() or writeQuillFile() instead")
        }
        var vocab: [String: Int] = [:]
        var spelled: [Int: String] = [:]
        for (id, bytes) in model.allTokens() {
            let text = ByteLevelAlphabet.encode(bytes)
            vocab[text] = id
            spelled[id] = text
        }
        let merges = pairs.entries().sorted { $0.rank < $1.rank }.map { "\(spelled[Int($0.left)]!) \(spelled[Int($0.right)]!)" }
        let added: [[String: Any]] = specialTokens.sorted { $0.value < $1.value }.map {
            ["id": $0.value, "content": $0.key, "single_word": false, "lstrip": false, "rstrip": false,
             "normalized": false, "special": true]
        }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": addPrefixSpace, "trim_offsets": true,
                                        "use_regex": true]
        var preTokenizer: [String: Any] = byteLevel
        if pattern != .gpt2 {
            preTokenizer = ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": pattern.regex], "behavior": "Isolated", "invert": false],
                ["type": "ByteLevel", "add_prefix_space": addPrefixSpace, "trim_offsets": true, "use_regex": false],
            ]]
        }
        let json: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": NSNull(), "pre_tokenizer": preTokenizer, "post_processor": byteLevel, "decoder": byteLevel,
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": NSNull(),
                      "end_of_word_suffix": NSNull(), "fuse_unk": false, "byte_fallback": false,
                      "ignore_merges": model.wholePieceLookup, "vocab": vocab, "merges": merges] as [String: Any],
        ]
        do { return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]) } catch {
            throw .malformedTokenizerFile(path: "tokenizer.json", reason: "cannot serialize: \(error)")
        }
    }

    /// Writes `huggingFaceJSON()` to `path`.
    public func writeHuggingFaceJSON(_ path: String) throws(TokenizerError) {
        let data = try huggingFaceJSON()
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw .unreadableFile(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
