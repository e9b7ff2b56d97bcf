// Retrieval for chat completions when the server runs with `--rag-db`: the index and its embedding
// model used from one serial queue (the embedder reuses buffers; the index caches its vector matrix),
// so the last user message is answered from retrieved chunks fenced into the prompt with citations.
import Dispatch
import Foundation
import QuillAssistant
import QuillModels

/// An index, the embedder that built it, and how many chunks of which ranking to retrieve.
public final class RetrievalService: @unchecked Sendable {
    private let index: RAGIndex
    private let embedder: TextEmbedder
    public let k: Int
    public let mode: RetrievalMode
    public let builder: RAGPromptBuilder
    private let queue = DispatchQueue(label: "quill.retrieval")

    public init(index: RAGIndex, embedder: TextEmbedder, k: Int = 5, mode: RetrievalMode = .hybrid,
                builder: RAGPromptBuilder = RAGPromptBuilder()) throws {
        guard k >= 1 else { throw RAGError.invalidParameter("retrieval k must be at least 1, got \(k)") }
        if let indexed = try index.embeddingModel(), indexed != embedder.modelIdentifier {
            throw RAGError.embedderMismatch(path: index.path, indexed: indexed, given: embedder.modelIdentifier)
        }
        self.index = index; self.embedder = embedder; self.k = k; self.mode = mode; self.builder = builder
    }

    /// The conversation with its last user message answered from the index: the retrieved chunks as
    /// numbered sources and the earlier turns as history. Without a user message nothing is retrieved.
    func augment(_ messages: [ChatMessage], k: Int?, mode: RetrievalMode?) async throws -> RAGPrompt {
        guard let last = messages.lastIndex(where: { $0.role == "user" }), let question = messages[last].content else {
            return RAGPrompt(messages: messages, sources: [])
        }
        let k = k ?? self.k, mode = mode ?? self.mode
        let hits: [RAGHit] = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.index.search(question, k: k, mode: mode, embedder: self.embedder) })
            }
        }
        var history = messages
        history.remove(at: last)
        return builder.prompt(question: question, hits: hits, history: history)
    }
}
