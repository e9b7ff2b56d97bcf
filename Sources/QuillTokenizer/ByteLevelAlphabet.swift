// GPT-2's reversible byte ↔ printable-character mapping (`bytes_to_unicode` in OpenAI's encoder.py),
// used by Hugging Face `tokenizer.json` files to spell byte-level tokens as strings.

/// The 256-character alphabet byte-level BPE vocabularies are written in.
public enum ByteLevelAlphabet {
    /// `characters[b]` spells byte `b`: printable Latin-1 bytes stand for themselves, the other 68 bytes
    /// are shifted to U+0100 and up, in byte order.
    public static let characters: [Character] = {
        var printable = Set<Int>()
        for range in [0x21...0x7E, 0xA1...0xAC, 0xAE...0xFF] { for b in range { printable.insert(b) } }
        var result = [Character](repeating: " ", count: 256)
        var shifted = 0
        for b in 0..<256 {
            if printable.contains(b) {
                result[b] = Character(Unicode.Scalar(UInt8(b)))
            } else {
                result[b] = Character(Unicode.Scalar(UInt32(256 + shifted))!)
                shifted += 1
            }
        }
        return result
    }()

    /// 1 + the byte each alphabet scalar spells, indexed by scalar value (0: not in the alphabet); a flat
    /// table because a GGUF load decodes every token of a 50k vocabulary. Every scalar is below U+0144.
    private static let byteOfScalar: [UInt16] = {
        var table = [UInt16](repeating: 0, count: 0x144)
        for (b, c) in characters.enumerated() { table[Int(c.unicodeScalars.first!.value)] = UInt16(b) + 1 }
        return table
    }()

    /// Spells `bytes` in the alphabet.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var s = ""
        for b in bytes { s.append(characters[Int(b)]) }
        return s
    }

    /// The bytes a byte-level token string stands for, or nil if it has a character outside the alphabet.
    public static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            let v = Int(scalar.value)
            guard v < byteOfScalar.count, byteOfScalar[v] != 0 else { return nil }
            bytes.append(UInt8(byteOfScalar[v] - 1))
        }
        return bytes
    }
}
