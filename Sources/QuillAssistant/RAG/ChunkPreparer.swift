// Cuts one document into chunks whose embedder input — title, newline, chunk text, plus the model's
// special tokens — fits the embedder's sequence length, so no chunk is silently truncated.
import Foundation

struct ChunkPreparer {
    let embedder: any DocumentEmbedder
    let chunking: ChunkingOptions

    /// `chunking.maxTokens` is capped at what the embedder can read besides its special tokens.
    init(embedder: any DocumentEmbedder, chunking: ChunkingOptions) throws {
        let room = embedder.maxSequenceLength - embedder.specialTokenCount
        var capped = chunking
        capped.maxTokens = min(chunking.maxTokens, room)
        guard capped.maxTokens >= 8 else {
            throw RAGError.invalidParameter("chunk size \(capped.maxTokens) tokens is too small (at least 8; "
                + "the embedder reads \(embedder.maxSequenceLength) tokens with \(embedder.specialTokenCount) special ones)")
        }
        _ = try TextChunker(maxTokens: chunking.maxTokens, overlap: chunking.overlap) { _ in 0 }   // validates the overlap
        self.embedder = embedder; self.chunking = capped
    }

    /// Title tokens count against the budget; a title longer than a quarter of the room is left out
    /// of the embedder input (it is still stored and shown).
    func titleTokens(_ title: String) -> Int? {
        let n = embedder.tokenCount(Substring(title))
        return n <= (embedder.maxSequenceLength - embedder.specialTokenCount) / 4 ? n : nil
    }

    func chunks(of document: RAGDocument) throws -> [TextChunk] {
        let room = embedder.maxSequenceLength - embedder.specialTokenCount - (titleTokens(document.title) ?? 0)
        let size = min(chunking.maxTokens, room)
        let embedder = self.embedder
        let chunker = try TextChunker(maxTokens: size, overlap: min(chunking.overlap, size / 2)) { embedder.tokenCount($0) }
        return chunker.chunks(of: document.text)
    }

    func embeddingInput(title: String, chunk: String) -> String {
        titleTokens(title) == nil || title.isEmpty ? chunk : title + "\n" + chunk
    }
}
