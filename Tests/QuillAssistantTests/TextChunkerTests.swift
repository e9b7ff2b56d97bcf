// Properties of token-budgeted chunking: every chunk fits the budget, is the exact source text at
// its byte range, the chunks cover every word in order, neighbours share about `overlap` tokens,
// and over-long words and degenerate inputs are handled.
import Foundation
import Testing
@testable import QuillAssistant

@Suite("Text chunker")
struct TextChunkerTests {
    static func words(_ s: Substring) -> Int { HashingEmbedder.words(s).count }

    static let prose: String = (1...120).map { i in
        "Sentence number \(i) talks about topic \(i % 7) at some length, with commas; and more words." }
        .joined(separator: " ")

    @Test(arguments: [(8, 0), (20, 5), (50, 10), (64, 32), (200, 40)])
    func chunksFitCoverAndOverlap(size: Int, overlap: Int) throws {
        let chunker = try TextChunker(maxTokens: size, overlap: overlap, countTokens: Self.words)
        let text = Self.prose
        let chunks = chunker.chunks(of: text)
        let bytes = Array(text.utf8)
        #expect(!chunks.isEmpty)
        for c in chunks {
            #expect(c.tokenCount <= size && c.tokenCount == Self.words(Substring(c.text)))
            #expect(String(decoding: bytes[c.byteRange], as: UTF8.self) == c.text)
            #expect(c.text.first?.isWhitespace == false && c.text.last?.isWhitespace == false)
        }
        // Coverage and order: starts strictly increase, each chunk starts no later than the previous
        // one ends (no gap), the first starts at the first word and the last ends at the last.
        #expect(chunks.first!.byteRange.lowerBound == 0 && chunks.last!.byteRange.upperBound == bytes.count)
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            #expect(a.byteRange.lowerBound < b.byteRange.lowerBound)
            #expect(b.byteRange.lowerBound <= a.byteRange.upperBound + 1)
            let shared = a.byteRange.upperBound > b.byteRange.lowerBound
                ? Self.words(Substring(String(decoding: bytes[b.byteRange.lowerBound..<a.byteRange.upperBound], as: UTF8.self))) : 0
            #expect(shared <= overlap, "neighbours share \(shared) tokens, overlap is \(overlap)")
            if overlap >= 4 { #expect(shared > 0, "overlap \(overlap) but neighbours share nothing") }
        }
        // Deterministic.
        #expect(chunker.chunks(of: text) == chunks)
    }

    @Test func sentenceEndsArePreferredNearTheBudget() throws {
        // 15 words a sentence: greedy filling stops 7 words into a third sentence; the cut moves back.
        let chunker = try TextChunker(maxTokens: 37, overlap: 0, countTokens: Self.words)
        let chunks = chunker.chunks(of: Self.prose)
        let endingAtSentence = chunks.dropLast().filter { $0.text.hasSuffix(".") }.count
        #expect(endingAtSentence == chunks.count - 1, "\(chunks.map(\.text))")
    }

    @Test func overLongWordsAreCutAndEmptyTextHasNoChunks() throws {
        let chunker = try TextChunker(maxTokens: 10, overlap: 2, countTokens: Self.words)
        let word = (1...35).map(String.init).joined(separator: ",")    // one whitespace word of 35 tokens
        let chunks = chunker.chunks(of: "start " + word + " end")
        #expect(chunks.allSatisfy { $0.tokenCount <= 10 })
        #expect(chunks.map(\.text).joined().contains("35"))
        #expect(chunker.chunks(of: "").isEmpty && chunker.chunks(of: " \n\t ").isEmpty)
        #expect(chunker.chunks(of: "one") == [TextChunk(text: "one", byteRange: 0..<3, tokenCount: 1)])
        let accented = try TextChunker(maxTokens: 8, overlap: 0, countTokens: Self.words).chunks(of: "  café naïve  résumé ")
        #expect(accented.map(\.text) == ["café naïve  résumé"] && accented[0].byteRange == 2..<24)
    }

    @Test func badParametersAreTypedErrors() {
        #expect(throws: RAGError.self) { try TextChunker(maxTokens: 4, overlap: 0, countTokens: Self.words) }
        #expect(throws: RAGError.self) { try TextChunker(maxTokens: 20, overlap: 11, countTokens: Self.words) }
        #expect(throws: RAGError.self) { try TextChunker(maxTokens: 20, overlap: -1, countTokens: Self.words) }
    }

    @Test func sentenceEnds() {
        for (word, ends) in [("end.", true), ("why?", true), ("so!)", true), ("said.”", true), ("3.5", false), ("e.g", false), ("word", false)] {
            #expect(TextChunker.endsSentence(Substring(word)) == ends, "\(word)")
        }
    }
}
