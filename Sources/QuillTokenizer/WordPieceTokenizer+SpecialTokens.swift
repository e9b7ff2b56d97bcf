// WordPiece encoding that matches special-token text in the input as Hugging Face `tokenizers` does
// for added tokens (exact, case-sensitive, leftmost-longest; the text between them is normalized and
// split as usual), so "[CLS] hi [SEP]" gives [CLS]'s id rather than the pieces of "[", "cls", "]".

extension WordPieceTokenizer {
    /// Encodes like Hugging Face `encode(text)` with the file's added tokens active: special-token
    /// text becomes its id, the rest word pieces; then [CLS]/[SEP] and truncation to `maxLength`.
    ///
    /// ```swift
    /// bert.encodeMatchingSpecialTokens("[MASK] is here")   // [101, 103, 2003, 2182, 102]
    /// ```
    public func encodeMatchingSpecialTokens(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        for segment in splitOnSpecialTokens(text) {
            switch segment {
            case .special(let id): ids.append(id)
            case .text(let part): ids += tokenize(String(part)).map { vocabulary[$0]! }
            }
        }
        let prefix = addSpecialTokens ? classifierToken.flatMap { vocabulary[$0] } : nil
        let suffix = addSpecialTokens ? separatorToken.flatMap { vocabulary[$0] } : nil
        if let maxLength {
            let room = max(0, maxLength - (prefix == nil ? 0 : 1) - (suffix == nil ? 0 : 1))
            if ids.count > room { ids.removeLast(ids.count - room) }
        }
        return (prefix.map { [$0] } ?? []) + ids + (suffix.map { [$0] } ?? [])
    }

    private enum Segment { case text(Substring), special(Int) }

    /// Cuts `text` at every occurrence of a special token (longest wins where several start at one place).
    private func splitOnSpecialTokens(_ text: String) -> [Segment] {
        let specials = specialTokens.sorted { $0.key.count > $1.key.count }
        guard !specials.isEmpty else { return [.text(Substring(text))] }
        var segments: [Segment] = []
        var start = text.startIndex, i = text.startIndex
        while i < text.endIndex {
            if let match = specials.first(where: { text[i...].hasPrefix($0.key) }) {
                if start < i { segments.append(.text(text[start..<i])) }
                segments.append(.special(match.value))
                i = text.index(i, offsetBy: match.key.count)
                start = i
            } else {
                i = text.index(after: i)
            }
        }
        if start < text.endIndex { segments.append(.text(text[start...])) }
        return segments
    }
}
