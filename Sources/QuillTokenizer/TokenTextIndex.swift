// Token text → id over the exact UTF-8 bytes. Swift `String` keys compare by canonical equivalence
// (a precomposed "é" equals "e" + U+0301), which would merge distinct tokens of a large vocabulary, and
// hashing them normalizes every key; this index hashes bytes instead, once per vocabulary load.

/// The ids of a vocabulary's token texts, keyed by their bytes.
struct TokenTextIndex {
    private let map: ByteSliceMap

    /// Indexes `tokens` (empty texts are skipped); throws naming the first text that appears twice.
    init(_ tokens: [String], field: String, source: String) throws(TokenizerError) {
        let map = ByteSliceMap(capacity: tokens.count, keyBytes: tokens.count * 8)
        var duplicate: (Int, Int)?
        for (id, token) in tokens.enumerated() where !token.isEmpty {
            var text = token
            text.withUTF8 { buffer in
                let base = buffer.baseAddress!, h = ByteSliceMap.hash(base, buffer.count)
                if let earlier = map.find(base, buffer.count, hash: h) {
                    if duplicate == nil { duplicate = (Int(earlier), id) }
                } else {
                    map.insert(base, buffer.count, hash: h, value: UInt64(id))
                }
            }
        }
        if let (earlier, id) = duplicate {
            throw .malformedTokenizerFile(path: source, reason: "\(field)[\(id)] '\(tokens[id])' repeats token \(earlier)")
        }
        self.map = map
    }

    /// The id of `text`, if it is a token.
    func id(of text: String) -> Int? {
        var text = text
        return text.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return map.find(base, buffer.count).map { Int($0) }
        }
    }

    /// The id of the token spelled by the `count` bytes at `p`.
    func id(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? { map.find(p, count).map { Int($0) } }
}
