// Every error status in OpenAI's body shape `{"error": {"message", "type", "param", "code"}}`:
// 400 naming the offending field, 401 for a missing or wrong key (Bearer or X-Api-Key; /health and
// the playground open), 404 for unknown models and URLs, 413 past the body limit, 429 with
// Retry-After when the slots and the queue are full (made deterministic by holding the model).
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import QuillFormats
@testable import QuillServer
import Testing

@Suite("Server errors")
struct ServerErrorTests {
    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, param: String?, code: String? = nil,
                            type: String = "invalid_request_error", _ label: String) {
        #expect(response.status == status, "\(label): \(response.text)")
        let error = response.json["error"]
        #expect(error?["type"]?.stringValue == type, "\(label)")
        #expect(error?["message"]?.stringValue?.isEmpty == false, "\(label)")
        // `param` and `code` are always present, null when there is none.
        #expect(param.map { error?["param"]?.stringValue == $0 } ?? (error?["param"]?.isNull == true), "\(label): param \(String(describing: error?["param"]))")
        if let code { #expect(error?["code"]?.stringValue == code, "\(label)") }
    }

    static let badRequests: [(label: String, body: String, param: String?)] = [
        ("not JSON", "{messages:", nil),
        ("wrong type", #"{"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}"#, "temperature"),
        ("out of range", #"{"messages": [{"role": "user", "content": "x"}], "top_p": 3}"#, "top_p"),
        ("n = 0", #"{"messages": [{"role": "user", "content": "x"}], "n": 0}"#, "n"),
        ("missing messages", #"{"model": "tiny"}"#, "messages"),
        ("empty messages", #"{"messages": []}"#, "messages"),
        ("unknown role", #"{"messages": [{"role": "wizard", "content": "x"}]}"#, "messages[0].role"),
        ("content type", #"{"messages": [{"role": "user", "content": 7}]}"#, "messages[0].content"),
        ("logit_bias key", #"{"messages": [{"role": "user", "content": "x"}], "logit_bias": {"a": 1}}"#, "logit_bias"),
        ("max_tokens", #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}"#, "max_tokens"),
        ("top_logprobs alone", #"{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}"#, "top_logprobs"),
        ("prompt too long", #"{"messages": [{"role": "user", "content": "\#(String(repeating: "x", count: 300))"}]}"#, "messages"),
    ]

    @Test func badRequestsAre400NamingTheField() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            for r in Self.badRequests {
                Self.expectError(try await client.post("/v1/chat/completions", r.body), .badRequest, param: r.param, r.label)
            }
            Self.expectError(try await client.post("/v1/completions", #"{"prompt": "x", "logprobs": 9}"#), .badRequest, param: "logprobs", "legacy logprobs")
            Self.expectError(try await client.post("/v1/completions", #"{"prompt": [1, 999]}"#), .badRequest, param: "prompt", "token id")
            Self.expectError(try await client.post("/detokenize", #"{"tokens": [72, 999]}"#), .badRequest, param: "tokens[1]", "detokenize")
            let long = try await client.post("/v1/chat/completions", Self.badRequests.last!.body)
            #expect(long.json["error", "code"]?.stringValue == "context_length_exceeded")
            // The server goes on answering.
            #expect(try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}"#).status == .ok)
        }
    }

    @Test func keysAreRequiredExceptForHealthAndThePlayground() async throws {
        let server = try ServerTests.server { $0.apiKey = "sekret-key" }
        try await ServerTests.withClient(server) { client in
            let body = #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}"#
            Self.expectError(try await client.post("/v1/chat/completions", body), .unauthorized, param: nil, code: "invalid_api_key", "no key")
            Self.expectError(try await client.post("/v1/chat/completions", body, headers: [.authorization: "Bearer sekret-kez"]),
                             .unauthorized, param: nil, code: "invalid_api_key", "wrong key")
            Self.expectError(try await client.post("/v1/chat/completions", body, headers: [.authorization: "Bearer sekret-key-longer"]),
                             .unauthorized, param: nil, code: "invalid_api_key", "longer key")
            Self.expectError(try await client.get("/v1/models"), .unauthorized, param: nil, "models without a key")
            #expect(try await client.post("/v1/chat/completions", body, headers: [.authorization: "Bearer sekret-key"]).status == .ok)
            #expect(try await client.post("/v1/chat/completions", body, headers: [HTTPField.Name("X-Api-Key")!: "sekret-key"]).status == .ok)
            #expect(try await client.get("/health").status == .ok)
            #expect(try await client.get("/").status == .ok)
        }
    }

    @Test func unknownModelsAndURLsAre404() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            Self.expectError(try await client.post("/v1/chat/completions", #"{"model": "gpt-5", "messages": [{"role": "user", "content": "x"}]}"#),
                             .notFound, param: "model", code: "model_not_found", "unknown model")
            Self.expectError(try await client.get("/v1/models/gpt-5"), .notFound, param: "model", code: "model_not_found", "model lookup")
            Self.expectError(try await client.get("/v1/nothing"), .notFound, param: nil, code: "unknown_url", "unknown URL")
            Self.expectError(try await client.post("/v1/embeddings", #"{"input": "x"}"#), .notFound, param: "model", code: "model_not_found",
                             "no embedding model")
        }
    }

    @Test func bodiesPastTheLimitAre413() async throws {
        try await ServerTests.withClient(try ServerTests.server { $0.maxBodyBytes = 512 }) { client in
            let big = #"{"messages": [{"role": "user", "content": "\#(String(repeating: "x", count: 600))"}]}"#
            Self.expectError(try await client.post("/v1/chat/completions", big), .contentTooLarge, param: nil, code: "request_too_large", "413")
            #expect(try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1}"#).status == .ok)
        }
    }

    @Test func aFullServerAnswers429WithRetryAfter() async throws {
        let held = try HeldModel(open: false)
        let server = try ServerTests.server(try ServerTests.model(held)) { $0.parallel = 1; $0.maxQueued = 0; $0.retryAfterSeconds = 2 }
        try await ServerTests.withClient(server) { client in
            let body = #"{"messages": [{"role": "user", "content": "x"}], "max_tokens": 2}"#
            async let first = client.post("/v1/chat/completions", body)
            await held.waitUntilEntered()                           // the only slot is taken, no queue
            let refused = try await client.post("/v1/chat/completions", body)
            Self.expectError(refused, .tooManyRequests, param: nil, code: "rate_limit_exceeded", type: "rate_limit_error", "429")
            #expect(refused.headers[.retryAfter] == "2")
            held.open()
            #expect(try await first.status == .ok)
        }
    }

    typealias Check = APIKeyMiddleware<BasicRequestContext>

    @Test func keyComparisonIsExact() {
        // Via the public behaviour above; here the edge cases of the comparison itself.
        let key = Array("abc".utf8)
        #expect(Check.constantTimeEqual(Array("abc".utf8), key))
        #expect(!Check.constantTimeEqual(Array("abd".utf8), key) && !Check.constantTimeEqual(Array("ab".utf8), key)
                && !Check.constantTimeEqual([], key) && !Check.constantTimeEqual(Array("abcabc".utf8), key))
    }
}
