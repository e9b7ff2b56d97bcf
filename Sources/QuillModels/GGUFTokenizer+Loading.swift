// What `quill tokenize --tokenizer SPEC` and library users load: a GGUF file (a model or a vocab-only
// file, any tokenizer kind) or anything TokenizerLoader resolves, plus the listing llama.cpp's
// `llama-tokenize` prints (`<id> -> '<piece>'` per token) so the two can be compared line by line.
import Foundation
import QuillFormats
import QuillTokenizer

extension GGUFTokenizer {
    /// The tokenizer `spec` names: a GGUF file (detected by its magic, whatever the extension) or a
    /// tiktoken file, tokenizer.json, .quilltok, model directory, `gpt2` or `bytes`. Throws a typed error
    /// for a GGUF that stores no tokenizer or one Quill cannot run.
    public static func load(spec: String) throws -> any Tokenizer {
        let url = URL(fileURLWithPath: spec)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory), !isDirectory.boolValue,
           ModelRegistry.isGGUF(url) {
            guard let tokenizer = try load(GGUFFile(url: url)) else {
                throw ModelError.invalidConfig("\(url.lastPathComponent) stores no tokenizer (no tokenizer.ggml.model, or "
                    + "'none')")
            }
            return tokenizer
        }
        return try TokenizerLoader.load(spec)
    }

    /// `ids` as llama-tokenize lists them: one line per token, the id right-aligned in six columns, then
    /// ` -> '` and the token's text (special tokens as written, ▁ as a space, invalid UTF-8 as U+FFFD).
    public static func llamaTokenizeListing(_ ids: [Int], tokenizer: any Tokenizer) -> String {
        ids.map { id in
            let number = String(id)
            let padded = String(repeating: " ", count: max(0, 6 - number.count)) + number
            return "\(padded) -> '\(String(decoding: tokenizer.decodeBytes([id]), as: UTF8.self))'"
        }.joined(separator: "\n")
    }
}
