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
    private let embedder: any DocumentEmbedder
    public let k: Int
    public let mode: RetrievalMode
    public let builder: RAGPromptBuilder
    private let queue = DispatchQueue(label: "quill.retrieval")

    public init(index: RAGIndex, embedder: any DocumentEmbedder, k: Int = 5, mode: RetrievalMode = .hybrid,
                builder: RAGPromptBuilder = RAGPromptBuilder()) throws {
        guard k >= 1 else { throw RAGError.invalidParameter("retrieval k must be at least 1, got \(k)") }
        if let indexed = try index.embeddingModel(), indexed != embedder.modelIdentifier {
            throw RAGError.embedderMismatch(path: index.path, indexed: indexed, given: embedder.modelIdentifier)
        }
        self.index = index; self.embedder = embedder; self.k = k; self.mode = mode; self.builder = builder
    }

    /// `augment` as a request asks: nil when it turned retrieval off, else with its k and mode.
    func augment(_ messages: [ChatMessage], request: RetrievalRequest?) async throws -> RAGPrompt? {
        if request?.enabled == false { return nil }
        do { return try await augment(messages, k: request?.k, mode: request?.mode) } catch let error as RAGError {
            throw OpenAIError.server("retrieval failed: \(error)")
        }
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

/// The request's `rag` field: `false`, `true`, or `{"k": 3, "mode": "bm25"}`.
struct RetrievalRequest: Decodable, Sendable {
    var enabled = true
    var k: Int?
    var mode: RetrievalMode?

    enum CodingKeys: String, CodingKey { case k, mode }

    init(from decoder: any Decoder) throws {
        if let flag = try? decoder.singleValueContainer().decode(Bool.self) { enabled = flag; return }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        k = try c.decodeIfPresent(Int.self, forKey: .k)
        if let k, !(1...50).contains(k) { throw OpenAIError.invalidRequest("rag.k must lie in 1...50, got \(k).", param: "rag.k") }
        if let name = try c.decodeIfPresent(String.self, forKey: .mode) {
            guard let mode = RetrievalMode(rawValue: name) else {
                throw OpenAIError.invalidRequest("rag.mode must be dense, bm25 or hybrid, got '\(name)'.", param: "rag.mode")
            }
            self.mode = mode
        }
    }
}

/// One entry of the response's `sources`: what citation [index] refers to.
struct RetrievalSource: Encodable, Sendable {
    var index: Int
    var source: String
    var title: String
    var chunk: Int
    var score: Double
    var text: String

    init(_ index: Int, _ hit: RAGHit) {
        self.index = index; source = hit.source; title = hit.title; chunk = hit.ordinal; score = hit.score; text = hit.text
    }
}
