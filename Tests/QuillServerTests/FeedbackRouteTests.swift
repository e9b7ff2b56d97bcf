// POST /v1/feedback through the real routes: ratings of non-streamed and streamed responses are
// stored with the prompt and answer the server remembered (PII-redacted), a bad field is a 400
// naming it, an unknown or another key's response id is a 404, and the stored ratings export as pairs.
import Foundation
import HTTPTypes
import HummingbirdTesting
import QuillAssistant
import QuillFormats
import Testing
@testable import QuillServer

@Suite("Feedback route")
struct FeedbackRouteTests {
    static func chat(_ user: String, seed: Int, stream: Bool = false) -> String {
        #"{"model": "tiny", "messages": [{"role": "user", "content": "\#(user)"}], "max_tokens": 8, "seed": \#(seed), "temperature": 1, "#
            + ServerTests.asciiOnly + (stream ? #", "stream": true"# : "") + "}"
    }
    static let user = "My mail is eve@example.com"
    static let sk = BillingRouteTests.bearer

    static func server(feedback path: String) throws -> OpenAIServer {
        let accounting = Accounting(keyring: APIKeyring([APIKeyEntry(key: "sk-a"), APIKeyEntry(key: "sk-b")]),
                                    feedback: try FeedbackStore(path: path, create: true))
        return try ServerTests.server { $0.accounting = accounting }
    }

    @Test func ratingsAreStoredWithPromptAndAnswer() async throws {
        let path = BillingRouteTests.temporaryPath()
        defer { BillingRouteTests.cleanup(path) }
        let server = try Self.server(feedback: path)
        let (first, second) = try await ServerTests.withClient(server) { client in
            let whole = try await client.post("/v1/chat/completions", Self.chat(Self.user, seed: 1), headers: Self.sk("sk-a")).json
            let id = try #require(whole["id"]?.stringValue)
            let answer = try #require(whole["choices", "0", "message", "content"]?.stringValue)
            let rated = try await client.post("/v1/feedback", #"{"response_id": "\#(id)", "rating": -1, "correction": "Write to [email] (or 555-123-4567)", "comment": "wrong"}"#,
                                              headers: Self.sk("sk-a"))
            #expect(rated.status == .ok, "\(rated.text)")
            #expect(rated.json["object"]?.stringValue == "feedback" && rated.json["response_id"]?.stringValue == id)
            #expect(rated.json["rating"]?.intValue == -1 && rated.json["id"]?.stringValue == "fb_1")

            // A streamed answer, assembled from its deltas, rated +1.
            let events = try #require(try await client.post("/v1/chat/completions", Self.chat(Self.user, seed: 2, stream: true),
                                                            headers: Self.sk("sk-a")).events)
            let chunks = events.dropLast().map { (try? JSONValue(parsing: Data($0.utf8))) ?? .null }
            let streamID = try #require(chunks.first?["id"]?.stringValue)
            let streamed = chunks.compactMap { $0["choices", "0", "delta", "content"]?.stringValue }.joined()
            #expect(try await client.post("/v1/feedback", #"{"response_id": "\#(streamID)", "rating": 1}"#, headers: Self.sk("sk-a")).status == .ok)

            // Another key cannot rate sk-a's answers.
            ServerErrorTests.expectError(try await client.post("/v1/feedback", #"{"response_id": "\#(id)", "rating": 1}"#, headers: Self.sk("sk-b")),
                                         .notFound, param: "response_id", code: "response_not_found", "another key")
            return ((id, answer), (streamID, streamed))
        }
        let stored = try FeedbackStore(path: path).all()
        #expect(stored.count == 2)
        let prompt = ServerTests.chatML(user: "My mail is [email]")                // redacted before storing
        #expect(stored.map(\.prompt) == [prompt, prompt])
        #expect(stored.map(\.responseID) == [first.0, second.0])
        #expect(stored.map(\.response) == [PIIRedactor.redact(first.1), PIIRedactor.redact(second.1)])
        #expect(stored.map(\.rating) == [-1, 1] && stored.map(\.apiKey) == ["sk-a", "sk-a"] && stored.map(\.model) == ["tiny", "tiny"])
        #expect(stored[0].correction == "Write to [email] (or [phone])" && stored[0].comment == "wrong" && stored[1].correction == nil)
        // Both pairs for the prompt: the correction and the +1 answer, each over the −1 answer.
        #expect(PreferencePairs(stored).pairs == [
            PreferencePair(prompt: prompt, chosen: "Write to [email] (or [phone])", rejected: stored[0].response),
            PreferencePair(prompt: prompt, chosen: stored[1].response, rejected: stored[0].response),
        ].filter { $0.chosen != $0.rejected })
    }

    static let badBodies: [(body: String, status: Int, param: String?, label: String)] = [
        (#"{}"#, 400, "response_id", "missing response_id"),
        (#"{"response_id": "ID"}"#, 400, "rating", "missing rating"),
        (#"{"response_id": "ID", "rating": 0}"#, 400, "rating", "rating 0"),
        (#"{"response_id": "ID", "rating": 5}"#, 400, "rating", "rating 5"),
        (#"{"response_id": "ID", "rating": "up"}"#, 400, "rating", "rating as a string"),
        (#"{"response_id": 7, "rating": 1}"#, 400, "response_id", "response_id as a number"),
        (#"{"response_id": "", "rating": 1}"#, 400, "response_id", "empty response_id"),
        (#"{"response_id": "ID", "rating": 1, "correction": 3}"#, 400, "correction", "correction as a number"),
        (#"{"response_id": "ID", "rating": 1, "comment": ["x"]}"#, 400, "comment", "comment as an array"),
        (#"{"response_id": "ID", "rating": 1, "choice_index": 4}"#, 400, "choice_index", "choice out of range"),
        (#"{"response_id": "chatcmpl-unknown", "rating": 1}"#, 404, "response_id", "unknown id"),
        (#"{"response_id": "ID", "rating": 1"#, 400, nil, "truncated JSON"),
    ]

    @Test func badInputIsA400NamingTheField() async throws {
        let path = BillingRouteTests.temporaryPath()
        defer { BillingRouteTests.cleanup(path) }
        let server = try Self.server(feedback: path)
        try await ServerTests.withClient(server) { client in
            let id = try #require(try await client.post("/v1/chat/completions", Self.chat("Hi", seed: 1), headers: Self.sk("sk-a")).json["id"]?.stringValue)
            for bad in Self.badBodies {
                let response = try await client.post("/v1/feedback", bad.body.replacingOccurrences(of: "\"ID\"", with: "\"\(id)\""),
                                                     headers: Self.sk("sk-a"))
                ServerErrorTests.expectError(response, HTTPResponse.Status(code: bad.status), param: bad.param, bad.label)
            }
            ServerErrorTests.expectError(try await client.post("/v1/feedback", #"{"response_id": "x", "rating": 1}"#), .unauthorized,
                                         param: nil, code: "invalid_api_key", "no key")
        }
        #expect(try FeedbackStore(path: path).count() == 0)
    }

    /// The playground's thumbs post the streamed response's id and a ±1 rating to /v1/feedback.
    @Test func thePlaygroundRatesAnswers() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let page = try await client.get("/").text
            #expect(page.contains(#"fetch("/v1/feedback""#) && page.contains("response_id: responseID, rating"))
            #expect(page.contains("if (chunk.id) responseID = chunk.id;"))
        }
    }

    /// The server forgets the oldest responses beyond its bound.
    @Test func recentResponsesAreBounded() {
        let recent = RecentResponses(capacity: 3)
        for i in 0..<10 { recent.remember("r\(i)", RememberedResponse(apiKey: "k", model: "m", choices: [.init(prompt: "p", text: "\(i)")])) }
        #expect(recent.count == 3)
        #expect(recent.response("r6") == nil && recent.response("r7")?.choices.first?.text == "7" && recent.response("r9") != nil)
    }
}
