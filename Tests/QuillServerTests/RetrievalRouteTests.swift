// Chat completions with a RAG index (`quill serve --rag-db`): the last user message is answered from
// retrieved chunks — the prompt the model sees is exactly RAGPromptBuilder's, rendered with ChatML —
// the response lists its `sources`, `"rag": false` opts out, and a bad `rag` field is a 400.
import Foundation
import HummingbirdTesting
import QuillAssistant
import QuillFormats
import QuillServer
import Testing

/// Words hashed into 16 buckets: enough to rank three tiny documents without a model.
private final class WordHashEmbedder: DocumentEmbedder {
    let modelIdentifier = "words/16@128", dimension = 16, maxSequenceLength = 128, specialTokenCount = 2
    func words(_ text: Substring) -> [Substring] { text.lowercased().split { !$0.isLetter }.map { Substring($0) } }
    func tokenCount(_ text: Substring) -> Int { words(text).count }
    func embed(_ texts: [String]) throws -> [[Float]] {
        texts.map { text in
            var v = [Float](repeating: 0, count: 16)
            for w in words(Substring(text)) { v[w.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) & 0xFFFF } % 16] += 1 }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return n > 0 ? v.map { $0 / n } : v
        }
    }
}

@Suite("Chat completions with retrieval")
struct RetrievalRouteTests {
    @Test func answersCiteRetrievedChunks() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rag-route-\(UUID().uuidString).sqlite").path
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let index = try RAGIndex(path: path, create: true)
        let embedder = WordHashEmbedder()
        try index.add([RAGDocument(source: "bees.md", title: "Bees", text: "Bees dance to show where flowers are."),
                       RAGDocument(source: "etna.md", title: "Etna", text: "Etna is a volcano in Sicily."),
                       RAGDocument(source: "press.md", title: "Press", text: "Gutenberg printed with movable type.")], embedder: embedder)
        let question = "Why do bees dance?"
        let expected = RAGPromptBuilder().prompt(question: question, hits: try index.search(question, k: 2, mode: .hybrid, embedder: embedder))
        let rendered = try ChatMLTemplate().render(expected.messages, options: ChatRenderOptions())

        let retrieval = try RetrievalService(index: index, embedder: embedder, k: 2, mode: .hybrid)
        var configuration = ServerConfiguration(port: 0, parallel: 2, modelID: "tiny")
        let server = OpenAIServer(configuration: configuration, model: try ServerTests.model(ServerTests.tinyGPT(contextLength: 1024)), retrieval: retrieval)
        try await ServerTests.withClient(server) { client in
            let messages = #""messages": [{"role": "user", "content": "\#(question)"}], "max_tokens": 2"#
            let first = try await client.post("/v1/chat/completions", "{\(messages)}")
            let json = first.json
            #expect(first.status == .ok, "\(first.text)")
            // Byte tokenizer: prompt tokens are the rendered prompt's UTF-8 bytes.
            #expect(json["usage", "prompt_tokens"]?.intValue == rendered.utf8.count)
            #expect(json["sources", "0", "index"]?.intValue == 1 && json["sources", "0", "source"]?.stringValue == "bees.md")
            #expect(json["sources"]?.arrayValue?.count == 2 && json["sources", "1", "index"]?.intValue == 2)

            let off = try await client.post("/v1/chat/completions", #"{\#(messages), "rag": false}"#).json
            #expect(off["usage", "prompt_tokens"]?.intValue == ServerTests.chatML(user: question).utf8.count)
            #expect(off["sources"] == nil)

            let bm25 = try await client.post("/v1/chat/completions", #"{\#(messages), "rag": {"k": 1, "mode": "bm25"}}"#).json
            #expect(bm25["sources"]?.arrayValue?.count == 1)
            for bad in [#"{"k": 0}"#, #"{"mode": "fuzzy"}"#] {
                let response = try await client.post("/v1/chat/completions", #"{\#(messages), "rag": \#(bad)}"#)
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.json["error", "param"]?.stringValue?.hasPrefix("rag.") == true, "\(response.text)")
            }
        }
    }
}
