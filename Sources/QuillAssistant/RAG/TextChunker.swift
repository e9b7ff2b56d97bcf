// Splits a document into overlapping chunks measured in the embedding model's own tokens, so that no
// chunk (with its title and [CLS]/[SEP]) is ever cut by the embedder's truncation. Chunks break at
// whitespace, prefer sentence ends near the budget, and keep their character range in the source text.
import Foundation

/// One piece of a document, with its place in the source text.
public struct TextChunk: Sendable, Equatable {
    /// The chunk's text, exactly as it appears in the document.
    public var text: String
    /// Range of `text` in the document, in UTF-8 bytes (stable across platforms and encodings).
    public var byteRange: Range<Int>
    /// Tokens `text` has under the chunker's counter.
    public var tokenCount: Int
}

/// Token-budgeted chunking with overlap.
///
/// ```swift
/// let chunker = try TextChunker(maxTokens: 200, overlap: 40) { embedder.tokenCount($0) }
/// let chunks = chunker.chunks(of: articleText)     // each ≤ 200 tokens, consecutive ones share ~40
/// ```
public struct TextChunker {
    /// Most tokens in one chunk's text.
    public let maxTokens: Int
    /// Tokens that consecutive chunks share (at word boundaries, so approximately).
    public let overlap: Int
    /// Counts the tokens of a piece of text (no special tokens).
    public let countTokens: (Substring) -> Int

    public init(maxTokens: Int, overlap: Int, countTokens: @escaping (Substring) -> Int) throws {
        guard maxTokens >= 8 else { throw RAGError.invalidParameter("chunk size \(maxTokens) tokens is too small (at least 8)") }
        guard (0..<maxTokens / 2 + 1).contains(overlap) else {
            throw RAGError.invalidParameter("chunk overlap \(overlap) must lie in 0...\(maxTokens / 2) (half the chunk size)")
        }
        self.maxTokens = maxTokens; self.overlap = overlap; self.countTokens = countTokens
    }

    /// A word: a maximal run of non-whitespace characters, with its token count.
    struct Word { var range: Range<String.Index>; var tokens: Int; var endsSentence: Bool }

    /// The chunks of `text` in order; empty for text that is only whitespace.
    public func chunks(of text: String) -> [TextChunk] {
        let words = self.words(of: text)
        var chunks: [TextChunk] = []
        var start = 0
        while start < words.count {
            // Greedily take words up to the budget.
            var end = start, total = 0
            while end < words.count && total + words[end].tokens <= maxTokens { total += words[end].tokens; end += 1 }
            // Prefer ending after a sentence if one ends in the last third of the chunk.
            if end < words.count, let cut = (start + 1..<end).last(where: { words[$0 - 1].endsSentence }),
               prefix(words, start, cut) * 3 >= maxTokens * 2 {
                end = cut
            }
            let range = words[start].range.lowerBound..<words[end - 1].range.upperBound
            let piece = text[range]
            chunks.append(TextChunk(text: String(piece), byteRange: byteOffset(text, range.lowerBound)..<byteOffset(text, range.upperBound),
                                    tokenCount: countTokens(piece)))
            if end == words.count { break }
            // Step back over about `overlap` tokens, always advancing at least one word.
            var next = end, shared = 0
            while next - 1 > start && shared + words[next - 1].tokens <= overlap { shared += words[next - 1].tokens; next -= 1 }
            start = next
        }
        return chunks
    }

    private func prefix(_ words: [Word], _ start: Int, _ end: Int) -> Int {
        words[start..<end].reduce(0) { $0 + $1.tokens }
    }

    private func byteOffset(_ text: String, _ index: String.Index) -> Int {
        text.utf8.distance(from: text.utf8.startIndex, to: index)
    }

    /// Whitespace-separated words; a word longer than the budget (a URL, a run of digits) is cut into
    /// pieces that fit, so every unit can be placed.
    func words(of text: String) -> [Word] {
        var words: [Word] = []
        var i = text.startIndex
        while i < text.endIndex {
            guard !text[i].isWhitespace else { i = text.index(after: i); continue }
            var j = i
            while j < text.endIndex && !text[j].isWhitespace { j = text.index(after: j) }
            appendWord(text, i..<j, to: &words)
            i = j
        }
        return words
    }

    /// "end." "end?)" "end.”" end a sentence; "e.g" and "3.5" do not.
    static func endsSentence(_ word: Substring) -> Bool {
        guard let last = word.reversed().drop(while: { "\"'”’)]".contains($0) }).first else { return false }
        return ".!?。！？".contains(last)
    }

    private func appendWord(_ text: String, _ range: Range<String.Index>, to words: inout [Word]) {
        let ends = Self.endsSentence
        let n = countTokens(text[range])
        if n <= maxTokens {
            words.append(Word(range: range, tokens: n, endsSentence: ends(text[range])))
            return
        }
        // Cut an over-long word character by character into budget-sized pieces.
        var start = range.lowerBound, k = range.lowerBound
        while k < range.upperBound {
            let next = text.index(after: k)
            if countTokens(text[start..<next]) > maxTokens && start < k {
                words.append(Word(range: start..<k, tokens: countTokens(text[start..<k]), endsSentence: false))
                start = k
            }
            k = next
        }
        words.append(Word(range: start..<range.upperBound, tokens: countTokens(text[start..<range.upperBound]),
                          endsSentence: ends(text[start..<range.upperBound])))
    }
}
