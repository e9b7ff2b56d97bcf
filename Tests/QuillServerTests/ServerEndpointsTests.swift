// The other endpoints: models and health, Prometheus metrics after known traffic, tokenize /
// detokenize (the byte tokenizer's ids are the UTF-8 bytes), the playground page (self-contained: no
// external URLs), and embeddings against sentence-transformers' vectors for all-MiniLM-L6-v2
// (Tests/QuillModelsTests/Fixtures/minilm, from Scripts/reference/minilm_reference.py), floats and base64.
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import QuillFormats
import QuillModels
import QuillServer
import TestSupport
import Testing

@Suite("Server endpoints")
struct ServerEndpointsTests {
    @Test func modelsAndHealth() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let list = try await client.get("/v1/models").json
            #expect(list["object"]?.stringValue == "list")
            #expect(list["data", "0", "id"]?.stringValue == "tiny" && list["data", "0", "object"]?.stringValue == "model")
            #expect(list["data", "0", "owned_by"]?.stringValue == "quill" && list["data", "0", "created"]?.intValue != nil)
            #expect(try await client.get("/v1/models/tiny").json["id"]?.stringValue == "tiny")
            let health = try await client.get("/health").json
            #expect(health["status"]?.stringValue == "ok" && health["slots_idle"]?.intValue == 4)
        }
    }

    @Test func metricsCountWhatWasServed() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            _ = try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 5, \#(ServerTests.noEarlyStop)}"#)
            _ = try await client.post("/v1/chat/completions", #"{"messages": "nope"}"#)
            let response = try await client.get("/metrics")
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let lines = Set(response.text.split(separator: "\n").map(String.init))
            for want in [
                #"quill_requests_total{route="/v1/chat/completions",status="200"} 1"#,
                #"quill_requests_total{route="/v1/chat/completions",status="400"} 1"#,
                "quill_completion_tokens_total 5", "quill_generations_total 1",
                "quill_prompt_tokens_total \(ServerTests.chatML(user: "x").utf8.count)",
                "quill_slots_total 4", "quill_slots_busy 0", "quill_queue_depth 0",
                "# TYPE quill_request_duration_seconds histogram", "# TYPE quill_requests_total counter",
                "quill_time_to_first_token_seconds_count 1",
                #"quill_request_duration_seconds_count{route="/v1/chat/completions"} 2"#,
            ] {
                #expect(lines.contains(want), "missing: \(want)")
            }
            // Buckets are cumulative and end at the count.
            let buckets = response.text.split(separator: "\n").filter { $0.hasPrefix("quill_time_to_first_token_seconds_bucket") }
                .compactMap { Int($0.split(separator: " ").last!) }
            #expect(buckets == buckets.sorted() && buckets.last == 1)
        }
    }

    @Test func tokenizeAndDetokenize() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            #expect(try await client.post("/tokenize", #"{"content": "Hi é"}"#).json["tokens"] == .array([72, 105, 32, 195, 169].map { .int(Int64($0)) }))
            let pieces = try await client.post("/tokenize", #"{"content": "Hi", "with_pieces": true}"#).json
            #expect(pieces["tokens", "1", "id"]?.intValue == 105 && pieces["tokens", "1", "piece"]?.stringValue == "i")
            #expect(try await client.post("/detokenize", #"{"tokens": [72, 105, 32, 195, 169]}"#).json["content"]?.stringValue == "Hi é")
        }
    }

    @Test func thePlaygroundIsOneSelfContainedPage() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let page = try await client.get("/")
            #expect(page.status == .ok && page.headers[.contentType]?.hasPrefix("text/html") == true)
            let html = page.text
            #expect(html.lowercased().hasPrefix("<!doctype html>") && html.contains("/v1/chat/completions"))
            for external in ["src=\"http", "href=\"http", "@import", "src='http", "href='http"] {
                #expect(!html.contains(external), "the page loads \(external)…")
            }
        }
    }

    static let miniLM = Fixtures.asset("all-MiniLM-L6-v2")
    static let reference = Fixtures.repositoryRoot.appendingPathComponent("Tests/QuillModelsTests/Fixtures/minilm")

    @Test(.enabled(if: miniLM != nil, "all-MiniLM-L6-v2 asset absent (.assets/all-MiniLM-L6-v2): run Scripts/setup/fetch_assets.sh"))
    func embeddingsMatchSentenceTransformers() async throws {
        let sentences = try JSONDecoder().decode([String].self, from: Data(contentsOf: Self.reference.appendingPathComponent("sentences.json")))
        let ids = try JSONDecoder().decode([[Int]].self, from: Data(contentsOf: Self.reference.appendingPathComponent("ids.json")))
        let vectors = try Fixtures.tensors(Self.reference.appendingPathComponent("embeddings.safetensors"))["embeddings"]!
        let embedder = try TextEmbedder.load(directory: Self.miniLM!)
        let server = try ServerTests.server(embedder: embedder) { $0.embeddingModelID = "all-MiniLM-L6-v2" }
        try await ServerTests.withClient(server) { client in
            let input = "[" + sentences[3...4].map(JSONValue.quoted).joined(separator: ", ") + "]"
            let floats = try await client.post("/v1/embeddings", #"{"model": "all-MiniLM-L6-v2", "input": \#(input)}"#).json
            #expect(floats["object"]?.stringValue == "list" && floats["model"]?.stringValue == "all-MiniLM-L6-v2")
            #expect(floats["usage", "prompt_tokens"]?.intValue == ids[3].count + ids[4].count)
            let packed = try await client.post("/v1/embeddings", #"{"input": \#(input), "encoding_format": "base64"}"#).json
            for (k, i) in [3, 4].enumerated() {
                let got = floats["data", String(k), "embedding"]?.arrayValue?.compactMap { $0.doubleValue.map(Float.init) } ?? []
                let want = Array(vectors.scalars[i * 384..<(i + 1) * 384])
                #expect(got.count == 384 && floats["data", String(k), "index"]?.intValue == k)
                // Same tolerance as the model's own test: cosine ≥ 0.99999 to the reference.
                let dot = zip(got, want).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let norms = (got.reduce(0.0) { $0 + Double($1 * $1) } * want.reduce(0.0) { $0 + Double($1 * $1) }).squareRoot()
                #expect(dot / norms >= 0.99999, "sentence \(i)")
                // base64 of little-endian float32 carries exactly the same numbers.
                let data = Data(base64Encoded: packed["data", String(k), "embedding"]?.stringValue ?? "") ?? Data()
                let decoded = data.withUnsafeBytes { raw in (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.load(fromByteOffset: $0 * 4, as: UInt32.self))) } }
                #expect(decoded.count == got.count && Fixtures.maxAbsoluteDifference(decoded, got) <= 1e-7)
            }
            let refused = try await client.post("/v1/embeddings", #"{"model": "tiny", "input": "x"}"#)
            #expect(refused.status == .notFound)
            #expect(try await client.post("/v1/embeddings", #"{"input": ["ok", ""]}"#).json["error", "param"]?.stringValue == "input")
        }
    }
}
