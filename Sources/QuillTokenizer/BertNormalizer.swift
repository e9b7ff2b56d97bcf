// BERT's basic tokenizer: text cleanup (drop NUL/U+FFFD/control characters, whitespace → space),
// spaces around CJK ideographs, accent stripping (NFD, drop Mn), per-character lower-casing, then
// splitting on whitespace and punctuation. Same steps and order as Hugging Face's BertNormalizer +
// BertPreTokenizer (and google-research/bert's BasicTokenizer).

import Foundation

/// BERT text normalization and pre-tokenization.
public struct BertNormalizer: Sendable, Equatable {
    /// Remove control characters and map every whitespace character to a space.
    public var cleanText: Bool
    /// Put spaces around CJK ideographs so each becomes its own word.
    public var handleChineseCharacters: Bool
    /// Strip accents (NFD, then drop nonspacing marks); nil means "same as `lowercase`".
    public var stripAccents: Bool?
    /// Lower-case every character (full Unicode lower-case mapping, one character at a time).
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil,
                lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// Applies the normalization steps in BERT's order.
    public func normalize(_ text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        if cleanText {
            scalars = scalars.compactMap { s in
                if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { return nil }
                return Self.isWhitespace(s) ? " " : s
            }
        }
        if handleChineseCharacters {
            var spaced: [Unicode.Scalar] = []
            spaced.reserveCapacity(scalars.count)
            for s in scalars {
                if Self.isChinese(s) { spaced.append(" "); spaced.append(s); spaced.append(" ") } else { spaced.append(s) }
            }
            scalars = spaced
        }
        if stripAccents ?? lowercase {
            var string = String.UnicodeScalarView()
            string.append(contentsOf: scalars)
            scalars = String(string).decomposedStringWithCanonicalMapping.unicodeScalars
                .filter { $0.properties.generalCategory != .nonspacingMark }
        }
        var result = String.UnicodeScalarView()
        for s in scalars {
            if lowercase { result.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars) } else { result.append(s) }
        }
        return String(result)
    }

    /// Splits normalized text into words: whitespace separates (and is dropped), punctuation stands alone.
    public func preTokenize(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        for s in text.unicodeScalars {
            if s.properties.isWhitespace {
                flush()
            } else if Self.isPunctuation(s) {
                flush()
                words.append(String(s))
            } else {
                current.append(s)
            }
        }
        flush()
        return words
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// Control = general category C (Cc, Cf, Cs, Co, Cn), except tab, newline and carriage return.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII punctuation (which includes symbols such as `$+<=>^`|~`) or Unicode category P*.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT treats as single-character words.
    static func isChinese(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
