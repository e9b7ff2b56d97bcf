// Special tokens (`<|endoftext|>`, chat markers, added tokens) with tiktoken's semantics: text that
// spells a disallowed special token is an error, an allowed one becomes its id, and ordinary encoding
// treats it as plain text.

/// Which special tokens an `encode` call allows or disallows, as in tiktoken's `allowed_special` / `disallowed_special`.
public enum SpecialTokenSet: Sendable, Equatable {
    /// No special token.
    case none
    /// Every special token of the vocabulary (for `disallowedSpecial`: every one not allowed).
    case all
    /// Exactly these token texts.
    case only(Set<String>)
}

/// Finds special-token text in UTF-8 input.
struct SpecialTokenMatcher: Sendable {
    struct Entry: Sendable {
        let text: String
        let bytes: [UInt8]
        let id: Int
    }

    /// Longest first, so when two specials start at the same byte the longer one wins.
    let entries: [Entry]
    private let firstBytes: [Bool]

    init(_ tokens: [String: Int]) {
        entries = tokens.map { Entry(text: $0.key, bytes: Array($0.key.utf8), id: $0.value) }
            .filter { !$0.bytes.isEmpty }
            // Ties by id: two specials of one length never match at the same place, so any fixed order
            // works, and ints compare far faster than Strings (a GGUF placeholder vocabulary lists 50k).
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        var first = [Bool](repeating: false, count: 256)
        for entry in entries { first[Int(entry.bytes[0])] = true }
        firstBytes = first
    }

    /// The leftmost occurrence at or after `from` of a special token whose text `accept` admits.
    func firstMatch(in text: UnsafeBufferPointer<UInt8>, from: Int,
                    accept: (Entry) -> Bool) -> (start: Int, entry: Entry)? {
        guard !entries.isEmpty else { return nil }
        var i = from
        let n = text.count
        while i < n {
            if firstBytes[Int(text[i])] {
                for entry in entries where entry.bytes.count <= n - i && accept(entry) {
                    var equal = true
                    for (k, b) in entry.bytes.enumerated() where text[i + k] != b { equal = false; break }
                    if equal { return (i, entry) }
                }
            }
            i += 1
        }
        return nil
    }
}
