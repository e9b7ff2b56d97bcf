// A pre-tokenizer regex compiled for Quill's own engine, in one of two dialects: Hugging Face
// `tokenizers` (Oniguruma: Unicode \s, \d, \w, `^`/`$` at lines) or llama.cpp's std::regex fallback
// (ECMAScript over its "collapsed" text: ASCII \s \d \w, every \p{L…} one class, `^`/`$` at the ends).

/// A compiled split regex.
///
/// ```swift
/// let digits = try SplitRegex(#"\p{N}"#, flavor: .llamaCpp)
/// digits.pieces(of: "ab12c")   // ["ab", "1", "2", "c"]
/// ```
public struct SplitRegex: Sendable {
    /// Which engine's semantics to reproduce.
    public enum Flavor: String, Sendable, Codable {
        /// Oniguruma as Hugging Face `tokenizers` runs `Split` regexes.
        case huggingFace
        /// llama.cpp's `unicode_regex_split` fallback (std::regex, ECMAScript, over collapsed categories).
        case llamaCpp
    }

    public let source: String
    public let flavor: Flavor
    let program: RegexProgram

    public init(_ source: String, flavor: Flavor) throws(TokenizerError) {
        self.source = source
        self.flavor = flavor
        var parser = RegexParser(source, flavor: flavor)
        program = try RegexProgram(parser.parse(), source: source)
    }

    /// A matcher for one encode call (matchers hold scratch state and are not shared between threads).
    func makeMatcher() -> RegexMatcher {
        RegexMatcher(program, mapsWhiteSpace: flavor == .llamaCpp)
    }

    /// The pieces of `text`: every match and every stretch between matches, in order.
    public func pieces(of text: String) -> [String] {
        var text = text
        var matcher = makeMatcher()
        return text.withUTF8 { buffer -> [String] in
            guard let base = buffer.baseAddress else { return [] }
            var out: [String] = []
            matcher.split(base, 0, buffer.count, emptyMatchRetry: flavor == .llamaCpp) { start, end in
                out.append(String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self))
            }
            return out
        }
    }
}
