// Every failure a tokenizer user can cause (bad files, bad JSON, special-token text in input,
// unknown ids), as one typed error whose message says what is wrong and where.

import Foundation

/// An error from loading, encoding with, decoding with or training a tokenizer.
public enum TokenizerError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A tiktoken rank file line is malformed.
    case malformedRankFile(path: String, line: Int, reason: String)
    /// A `tokenizer.json` (or Quill binary) file is malformed or uses an unsupported feature.
    case malformedTokenizerFile(path: String, reason: String)
    /// The input contains the text of a special token that the caller did not allow.
    case disallowedSpecialToken(token: String, offset: Int)
    /// A special-token name the caller asked for is not in this vocabulary.
    case unknownSpecialToken(String)
    /// An id outside the vocabulary was given to a checked decode.
    case unknownTokenID(id: Int, vocabularySize: Int)
    /// Training options that cannot work (for example a vocabulary smaller than 256 + specials).
    case invalidTrainingOptions(String)
    /// A tokenizer name or path that does not resolve to anything.
    case tokenizerNotFound(String)
    /// A pre-tokenizer regex Quill's engine cannot run (or that is malformed); `offset` counts scalars.
    case invalidRegex(pattern: String, offset: Int, reason: String)
    /// A tokenizer feature (model type, pre-tokenizer, normalizer, decoder) Quill does not implement.
    case unsupported(path: String, feature: String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read (\(reason))"
        case let .malformedRankFile(path, line, reason):
            return "\(path):\(line): \(reason); expected '<base64 token> <rank>' per line"
        case let .malformedTokenizerFile(path, reason):
            return "\(path): \(reason)"
        case let .disallowedSpecialToken(token, offset):
            return "input contains the special token \(token) at UTF-8 offset \(offset); "
                + "pass it in allowedSpecial to encode it as a special token, "
                + "or set disallowedSpecial to .none to encode it as plain text"
        case let .unknownSpecialToken(name):
            return "\(name) is not a special token of this vocabulary"
        case let .unknownTokenID(id, size):
            return "token id \(id) is outside the vocabulary (0..<\(size))"
        case let .invalidTrainingOptions(reason):
            return "invalid training options: \(reason)"
        case let .invalidRegex(pattern, offset, reason):
            let shown = pattern.count > 120 ? String(pattern.prefix(120)) + "…" : pattern
            return "regex \(shown.debugDescription) at scalar \(offset): \(reason)"
        case let .unsupported(path, feature):
            return "\(path): \(feature) is not supported by Quill's tokenizers"
        case let .tokenizerNotFound(name):
            return "no tokenizer '\(name)': give a tiktoken rank file, a tokenizer.json, a model directory, "
                + "'gpt2' (needs .assets/gpt2.tiktoken or QUILL_ASSETS) or 'bytes'"
        }
    }

    public var errorDescription: String? { description }
}
