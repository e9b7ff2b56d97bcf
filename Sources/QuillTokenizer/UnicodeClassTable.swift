// Per-scalar character classes (\p{L}, \p{N}, \s, and the finer letter/mark classes o200k uses)
// in a two-stage lookup table built once from `Unicode.Scalar.Properties.generalCategory`, so the
// pre-tokenizer never calls the (slow) property API in its hot loop. \s follows the White_Space property.

/// Bit flags describing one Unicode scalar, as the tiktoken / GPT-2 patterns see it.
struct CharacterClass: OptionSet, Sendable {
    let rawValue: UInt8
    /// `\p{L}`: any letter (Lu, Ll, Lt, Lm, Lo).
    static let letter = CharacterClass(rawValue: 1 << 0)
    /// `\p{N}`: any number (Nd, Nl, No).
    static let number = CharacterClass(rawValue: 1 << 1)
    /// `\s`: the White_Space property (what Rust's `regex` and Python's `regex` use).
    static let whitespace = CharacterClass(rawValue: 1 << 2)
    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`: o200k's "upper" class.
    static let upperish = CharacterClass(rawValue: 1 << 3)
    /// `[\p{Ll}\p{Lm}\p{Lo}\p{M}]`: o200k's "lower" class.
    static let lowerish = CharacterClass(rawValue: 1 << 4)
    /// `\r` or `\n`.
    static let newline = CharacterClass(rawValue: 1 << 5)
    /// `\p{M}`: any mark (Mn, Mc, Me), which Qwen 3.5 keeps inside letter runs.
    static let mark = CharacterClass(rawValue: 1 << 6)
}

/// Two-stage table: `stage1[scalar >> 8]` names a 256-entry block in `stage2`; identical blocks are shared,
/// so the whole code space fits in ~60 KB.
final class UnicodeClassTable: @unchecked Sendable {
    static let shared = UnicodeClassTable()

    // Allocated once for the process lifetime (the table is a singleton), so lookups are raw loads.
    private let stage1: UnsafeMutablePointer<UInt16>
    private let stage2: UnsafeMutablePointer<UInt8>
    /// The ASCII classes, consulted before the two-stage table.
    let ascii: UnsafeMutablePointer<UInt8>
    /// 256 entries, 1 for `A`–`Z` and `a`–`z`: the encoder's fast path.
    let asciiAlpha: UnsafeMutablePointer<UInt8>

    private init() {
        var stage1 = [UInt16](repeating: 0, count: 0x110000 >> 8)
        var stage2: [UInt8] = []
        var blockIndex: [[UInt8]: UInt16] = [:]
        var block = [UInt8](repeating: 0, count: 256)
        for high in 0..<(0x110000 >> 8) {
            // Planes 4–13 are unassigned and 15–16 private use: no letters, numbers or spaces there.
            let plane = high >> 8
            if (4...13).contains(plane) || plane >= 15 {
                for low in 0..<256 { block[low] = 0 }
            } else {
                for low in 0..<256 { block[low] = Self.computeClass(UInt32(high << 8 | low)).rawValue }
            }
            if let existing = blockIndex[block] {
                stage1[high] = existing
            } else {
                let index = UInt16(stage2.count >> 8)
                blockIndex[block] = index
                stage2.append(contentsOf: block)
                stage1[high] = index
            }
        }
        self.stage1 = .allocate(capacity: stage1.count)
        self.stage1.initialize(from: stage1, count: stage1.count)
        self.stage2 = .allocate(capacity: stage2.count)
        self.stage2.initialize(from: stage2, count: stage2.count)
        let ascii = (0..<128).map { Self.computeClass(UInt32($0)).rawValue }
        self.ascii = .allocate(capacity: 128)
        self.ascii.initialize(from: ascii, count: 128)
        self.asciiAlpha = .allocate(capacity: 256)
        for b in 0..<256 { self.asciiAlpha[b] = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) ? 1 : 0 }
    }

    /// The class of `value` (a Unicode scalar value; surrogates and out-of-range values are "other").
    @inline(__always)
    func classOf(_ value: UInt32) -> CharacterClass {
        if value < 0x110000 {
            return CharacterClass(rawValue: stage2[Int(stage1[Int(value >> 8)]) << 8 | Int(value & 0xFF)])
        }
        return []
    }

    /// The White_Space property (stable since Unicode 6.3; cheaper than asking the property API 1.1M times).
    static func isWhiteSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    private static func computeClass(_ value: UInt32) -> CharacterClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        var result: CharacterClass = []
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter:
            result = [.letter, .upperish]
        case .lowercaseLetter:
            result = [.letter, .lowerish]
        case .modifierLetter, .otherLetter:
            result = [.letter, .upperish, .lowerish]
        case .nonspacingMark, .spacingMark, .enclosingMark:
            result = [.upperish, .lowerish, .mark]
        case .decimalNumber, .letterNumber, .otherNumber:
            result = [.number]
        default:
            break
        }
        if Self.isWhiteSpace(value) { result.insert(.whitespace) }
        if value == 0x0A || value == 0x0D { result.insert(.newline) }
        return result
    }
}
