// The sentence embedder behind POST /v1/embeddings: one BERT-family model used from one serial queue
// (its forward pass reuses buffers), so requests from many connections take turns without blocking
// the server's event loops.
import Dispatch
import Foundation
import QuillModels

final class EmbeddingService: @unchecked Sendable {
    let id: String
    let created = Int(Date().timeIntervalSince1970)
    private let embedder: TextEmbedder
    private let queue = DispatchQueue(label: "quill.embeddings")

    init(embedder: TextEmbedder, id: String) { self.embedder = embedder; self.id = id }

    var dimension: Int { embedder.dimension }

    /// Unit vectors (for normalising models) for `texts`, and how many tokens they took.
    func embed(_ texts: [String]) async throws -> (vectors: [[Float]], tokens: Int) {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    let ids = self.embedder.tokenize(texts)
                    return (try self.embedder.embedder.embed(ids), ids.reduce(0) { $0 + $1.count })
                })
            }
        }
    }
}
