// Turns token ids arriving one at a time (streaming generation) into text, emitting only complete
// UTF-8 sequences: bytes of a character split across tokens are held until the character is whole.
// The concatenated output always equals `tokenizer.decode(allIDs)` (invalid bytes become U+FFFD).

/// Incremental ids → text for streaming generation.
///
/// ```swift
/// var detokenizer = StreamingDetokenizer(tokenizer: gpt2)
/// for id in generatedIDs { print(detokenizer.append(id), terminator: "") }
/// print(detokenizer.finish())
/// ```
public struct StreamingDetokenizer {
    public let tokenizer: any Tokenizer
    private var pending: [UInt8] = []

    public init(tokenizer: any Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds one id; returns the text that is now complete (possibly empty).
    public mutating func append(_ id: Int) -> String { append([id]) }

    /// Adds several ids; returns the text that is now complete (possibly empty).
    public mutating func append(_ ids: [Int]) -> String {
        pending.append(contentsOf: tokenizer.decodeBytes(ids))
        let keep = Self.incompleteSuffixLength(pending)
        let ready = pending.count - keep
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[0..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Flushes what is held back (an unfinished sequence becomes U+FFFD) and resets.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The number of trailing bytes that form a valid but unfinished UTF-8 sequence (0–3). Only those are held:
    /// cutting before a lead byte never changes how the earlier bytes decode.
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var k = 1
        while k <= min(3, n) {
            let b = bytes[n - k]
            if b & 0xC0 != 0x80 {  // found the lead byte of the last sequence
                let needed: Int
                if b & 0xE0 == 0xC0 && b >= 0xC2 { needed = 2 }
                else if b & 0xF0 == 0xE0 { needed = 3 }
                else if b & 0xF8 == 0xF0 && b <= 0xF4 { needed = 4 }
                else { return 0 }
                guard k < needed else { return 0 }  // complete (or over-long): emit it
                // The continuation bytes so far must be valid for this lead (E0/ED/F0/F4 restrict the second byte).
                if k >= 2 {
                    let second = bytes[n - k + 1]
                    switch b {
                    case 0xE0: if second < 0xA0 { return 0 }
                    case 0xED: if second > 0x9F { return 0 }
                    case 0xF0: if second < 0x90 { return 0 }
                    case 0xF4: if second > 0x8F { return 0 }
                    default: break
                    }
                }
                return k
            }
            k += 1
        }
        return 0
    }
}
