// Splits UTF-8 text into the pieces BPE merges within, with exactly the semantics of the tiktoken
// regexes (GPT-2 / r50k, cl100k, o200k) and of Llama 3 / Qwen 2 / Qwen 3.5 as Hugging Face and
// llama.cpp run them, under leftmost-first backtracking, hand-written as state machines over Unicode
// scalars instead of a regex engine. Same pattern strings as tiktoken 0.14 and the tokenizer.json files.

/// The pre-tokenization pattern of a byte-level BPE vocabulary.
public enum PreTokenizerPattern: String, Sendable, Codable, CaseIterable {
    /// GPT-2 / r50k / p50k: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// cl100k (GPT-3.5/4, Llama 3): case-insensitive contractions, digit groups of 1–3, newline runs.
    case cl100k
    /// o200k (GPT-4o): case-aware letter runs with attached contractions.
    case o200k
    /// Llama 3 as its tokenizer.json (and llama.cpp's `llama-bpe`) spell it: cl100k's pieces, except that
    /// trailing whitespace ends after the last newline (no `\s++$`) and contractions fold ASCII case only.
    case llama3
    /// Qwen 2 / 2.5 (llama.cpp `qwen2`): Llama 3 with one digit per piece.
    case qwen2
    /// Qwen 3.5 (llama.cpp `qwen35`): Qwen 2 with combining marks kept inside letter runs.
    case qwen35

    /// The regex this pattern implements, as tiktoken spells it (the tokenizer.json spelling for Llama 3 and Qwen).
    public var regex: String {
        switch self {
        case .gpt2:
            return #"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"#
        case .cl100k:
            return #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#
        case .o200k:
            return #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen35:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// llama.cpp's spelling of the same regex where it differs (contractions as `'[sS]|…`), as it
    /// matches them in `unicode_regex_split_custom` and as some tokenizer.json files carry them.
    var llamaCppRegex: String? {
        let contractions = #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"#
        switch self {
        case .gpt2: return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#
        case .llama3, .qwen2, .qwen35: return contractions + regex.dropFirst(#"(?i:'s|'t|'re|'ve|'m|'ll|'d)"#.count)
        case .cl100k, .o200k: return nil
        }
    }

    /// Recognizes a pattern from its regex text (tiktoken's, GPT-2's original, or Llama 3's spelling).
    public init?(regex: String) {
        let known: [String: PreTokenizerPattern] = [
            #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: .gpt2,
        ]
        if let pattern = known[regex] { self = pattern; return }
        guard let pattern = Self.allCases.first(where: { $0.regex == regex || $0.llamaCppRegex == regex }) else { return nil }
        self = pattern
    }
}

/// Finds piece boundaries in valid UTF-8. `pieceEnd(from:)` returns where the piece starting at `start` ends.
struct PreTokenizer {
    let bytes: UnsafeBufferPointer<UInt8>
    let pattern: PreTokenizerPattern
    private let table = UnicodeClassTable.shared
    private let ascii: UnsafePointer<UInt8>

    init(bytes: UnsafeBufferPointer<UInt8>, pattern: PreTokenizerPattern) {
        self.bytes = bytes
        self.pattern = pattern
        self.ascii = UnsafePointer(table.ascii)
    }

    var count: Int { bytes.count }

    /// Decodes the scalar at `i`: its class and its length in bytes (malformed bytes count as one "other" byte).
    @inline(__always)
    func scalar(at i: Int) -> (cls: CharacterClass, length: Int, value: UInt32) {
        let b0 = bytes[i]
        if b0 < 0x80 { return (CharacterClass(rawValue: ascii[Int(b0)]), 1, UInt32(b0)) }
        let n = bytes.count
        var value: UInt32
        var length: Int
        if b0 & 0xE0 == 0xC0 { value = UInt32(b0 & 0x1F); length = 2 }
        else if b0 & 0xF0 == 0xE0 { value = UInt32(b0 & 0x0F); length = 3 }
        else if b0 & 0xF8 == 0xF0 { value = UInt32(b0 & 0x07); length = 4 }
        else { return ([], 1, 0xFFFD) }
        if i + length > n { return ([], 1, 0xFFFD) }
        for k in 1..<length {
            let b = bytes[i + k]
            if b & 0xC0 != 0x80 { return ([], 1, 0xFFFD) }
            value = value << 6 | UInt32(b & 0x3F)
        }
        return (table.classOf(value), length, value)
    }

    @inline(__always)
    static func isOther(_ cls: CharacterClass) -> Bool {
        cls.isDisjoint(with: [.letter, .number, .whitespace])
    }

    /// End of the maximal run of scalars starting at `i` whose class intersects `mask` (or, if `invert`,
    /// is disjoint from it).
    @inline(__always)
    func run(from i: Int, mask: CharacterClass, invert: Bool = false, limit: Int = .max) -> Int {
        let n = bytes.count
        let bits = mask.rawValue
        var j = i
        var taken = 0
        while j < n && taken < limit {
            let b = bytes[j]
            if b < 0x80 {  // ASCII fast path: one table load
                if (ascii[Int(b)] & bits == 0) != invert { break }
                j += 1
            } else {
                let s = scalar(at: j)
                if (s.cls.rawValue & bits == 0) != invert { break }
                j += s.length
            }
            taken += 1
        }
        return j
    }

    /// The end of the piece that starts at `start` (`start < count`).
    @inline(__always)
    func pieceEnd(from start: Int) -> Int {
        switch pattern {
        case .gpt2: return gpt2PieceEnd(from: start)
        case .cl100k: return cl100kPieceEnd(from: start)
        case .o200k: return o200kPieceEnd(from: start)
        case .llama3: return llama3PieceEnd(from: start, digitLimit: 3, marksInLetters: false)
        case .qwen2: return llama3PieceEnd(from: start, digitLimit: 1, marksInLetters: false)
        case .qwen35: return llama3PieceEnd(from: start, digitLimit: 1, marksInLetters: true)
        }
    }

    // MARK: GPT-2

    private func gpt2PieceEnd(from i: Int) -> Int {
        let n = bytes.count
        let c0 = scalar(at: i)
        if c0.value == 0x27, i + 1 < n, let end = contraction(at: i, caseInsensitive: false, foldsLongS: false) { return end }
        var start = i
        var cls = c0.cls
        if c0.value == 0x20, i + 1 < n {
            let c1 = scalar(at: i + 1)
            if !c1.cls.contains(.whitespace) { start = i + 1; cls = c1.cls }
        }
        if cls.contains(.letter) { return run(from: start, mask: .letter) }
        if cls.contains(.number) { return run(from: start, mask: .number) }
        if !cls.contains(.whitespace) { return run(from: start, mask: [.letter, .number, .whitespace], invert: true) }
        return whitespaceEnd(from: i, newlineRule: .none)
    }

    // MARK: cl100k

    private func cl100kPieceEnd(from i: Int) -> Int {
        let n = bytes.count
        let c0 = scalar(at: i)
        if c0.value == 0x27, i + 1 < n, let end = contraction(at: i, caseInsensitive: true, foldsLongS: true) { return end }
        if c0.cls.contains(.letter) { return run(from: i, mask: .letter) }
        if !c0.cls.contains(.number) && !c0.cls.contains(.newline) && i + c0.length < n {
            if scalar(at: i + c0.length).cls.contains(.letter) { return run(from: i + c0.length, mask: .letter) }
        }
        if c0.cls.contains(.number) { return run(from: i, mask: .number, limit: 3) }
        if let end = punctuationEnd(from: i, first: c0, trailing: .crlf) { return end }
        return whitespaceEnd(from: i, newlineRule: .afterEndOfText)
    }

    // MARK: Llama 3, Qwen 2, Qwen 3.5

    /// `(?i:'s|…)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,limit}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
    /// with `[\p{L}\p{M}]` for letters (and marks out of the punctuation class) when `marksInLetters`.
    /// As llama.cpp's `unicode_regex_split_custom_llama3` / `_qwen2` / `_qwen35`: ASCII-only case folding.
    private func llama3PieceEnd(from i: Int, digitLimit: Int, marksInLetters: Bool) -> Int {
        let n = bytes.count
        let c0 = scalar(at: i)
        if c0.value == 0x27, i + 1 < n, let end = contraction(at: i, caseInsensitive: true, foldsLongS: false) { return end }
        let letters: CharacterClass = marksInLetters ? [.letter, .mark] : .letter
        if !c0.cls.isDisjoint(with: letters) { return run(from: i, mask: letters) }
        if !c0.cls.contains(.number) && !c0.cls.contains(.newline) && i + c0.length < n {
            if !scalar(at: i + c0.length).cls.isDisjoint(with: letters) { return run(from: i + c0.length, mask: letters) }
        }
        if c0.cls.contains(.number) { return run(from: i, mask: .number, limit: digitLimit) }
        let notOther: CharacterClass = marksInLetters ? [.letter, .number, .whitespace, .mark] : [.letter, .number, .whitespace]
        if let end = punctuationEnd(from: i, first: c0, trailing: .crlf, notOther: notOther) { return end }
        return whitespaceEnd(from: i, newlineRule: .beforeEndOfText)
    }

    // MARK: shared pieces

    /// ` ?[^\s\p{L}\p{N}]+` followed by `[\r\n]*` (cl100k) or `[\r\n/]*` (o200k); `notOther` is the class
    /// the punctuation run excludes (Qwen 3.5 also excludes marks).
    @inline(__always)
    func punctuationEnd(from i: Int, first c0: (cls: CharacterClass, length: Int, value: UInt32),
                        trailing: TrailingSet, notOther: CharacterClass = [.letter, .number, .whitespace]) -> Int? {
        var start = i
        var cls = c0.cls
        if c0.value == 0x20, i + 1 < bytes.count {
            let c1 = scalar(at: i + 1)
            if c1.cls.isDisjoint(with: notOther) { start = i + 1; cls = c1.cls }
        }
        guard cls.isDisjoint(with: notOther) else { return nil }
        var j = run(from: start, mask: notOther, invert: true)
        while j < bytes.count {
            let b = bytes[j]
            if b == 0x0A || b == 0x0D || (trailing == .crlfSlash && b == 0x2F) { j += 1 } else { break }
        }
        return j
    }

    enum TrailingSet { case crlf, crlfSlash }
    enum NewlineRule { case none, afterEndOfText, beforeEndOfText }

    /// The whitespace alternatives: `\s+$`, `\s*[\r\n]+` (placed per `newlineRule`), `\s+(?!\S)`, `\s+`.
    func whitespaceEnd(from i: Int, newlineRule: NewlineRule) -> Int {
        let n = bytes.count
        var j = i
        var lastStart = i
        var count = 0
        var afterLastNewline = -1
        while j < n {
            let s = scalar(at: j)
            if !s.cls.contains(.whitespace) { break }
            if s.cls.contains(.newline) { afterLastNewline = j + s.length }
            lastStart = j
            j += s.length
            count += 1
        }
        if j == i { return i + scalar(at: i).length }  // not whitespace: only reachable on malformed input
        switch newlineRule {
        case .none:
            if j == n { return n }
        case .afterEndOfText:
            if j == n { return n }
            if afterLastNewline > 0 { return afterLastNewline }
        case .beforeEndOfText:
            if afterLastNewline > 0 { return afterLastNewline }
            if j == n { return n }
        }
        return count >= 2 ? lastStart : j
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i` (which holds an apostrophe); the end of the match or nil.
    /// Case-insensitive matching follows simple case folding when `foldsLongS` (tiktoken's regex engine:
    /// `'ſ`, long s, matches `'s`), ASCII case only otherwise (llama.cpp, and the `'[sS]|…` spelling).
    @inline(__always)
    func contraction(at i: Int, caseInsensitive: Bool, foldsLongS: Bool) -> Int? {
        let n = bytes.count
        guard i + 1 < n else { return nil }
        var b1 = bytes[i + 1]
        if caseInsensitive {
            if foldsLongS, b1 == 0xC5, i + 2 < n, bytes[i + 2] == 0xBF { return i + 3 }  // U+017F folds to "s"
            if b1 >= 0x41 && b1 <= 0x5A { b1 |= 0x20 }
        }
        switch b1 {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76, 0x6C:  // r v l
            guard i + 2 < n else { return nil }
            var b2 = bytes[i + 2]
            if caseInsensitive && b2 >= 0x41 && b2 <= 0x5A { b2 |= 0x20 }
            if (b1 == 0x72 || b1 == 0x76) && b2 == 0x65 { return i + 3 }  // re ve
            if b1 == 0x6C && b2 == 0x6C { return i + 3 }  // ll
            return nil
        default:
            return nil
        }
    }
}
