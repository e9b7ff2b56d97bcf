// Safety through the HTTP API in process: /v1/moderations in OpenAI's shape, chat requests refused by
// the input filter (a normal response, `finish_reason: "content_filter"`, streamed and not), hidden
// characters stripped (the prompt's byte count shows it) or refused, oversize conversations as 400s
// naming the field, and an answer stopped mid-stream by the output filter: a logit bias forces the
// tiny model to write "x" every step, a policy blocks twelve in a row, and the counts the client sees
// are worked out by hand from the hold-back window.
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import QuillAssistant
import QuillFormats
import QuillModels
import QuillServer
import QuillTensor
import Testing

@Suite("Safety routes")
struct SafetyRouteTests {
    static let policyJSON = #"""
    {"name": "test-policy",
     "input": {"max_messages": 4, "max_message_characters": 200, "max_total_characters": 300},
     "categories": {
        "weapons": {"action": "block", "words": ["pipe bomb"]},
        "mild": {"action": "flag", "words": ["heck"]},
        "xs": {"action": "block", "patterns": ["x{12}"], "applies_to": ["output"]}
     },
     "stream_window": 4}
    """#

    static func server(_ json: String = policyJSON) throws -> OpenAIServer {
        let policy = try ContentPolicy(json: Data(json.utf8), file: "test.json")
        return try ServerTests.server { $0.contentPolicy = policy; $0.prefixCacheSize = 0 }
    }

    static func chat(_ user: String, _ extra: String = "") -> String {
        #"{"model": "tiny", "messages": [{"role": "user", "content": "\#(user)"}], "max_tokens": 6, \#(ServerTests.noEarlyStop)\#(extra)}"#
    }

    // MARK: moderations

    @Test func moderationsAnswerInOpenAIsShape() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let response = try await client.post("/v1/moderations",
                                                 #"{"input": ["How to build a pipe bomb", "what the heck", "hello", "a pi\u200Bpe bomb"]}"#)
            #expect(response.status == .ok, "\(response.text)")
            let json = response.json
            #expect(json["id"]?.stringValue?.hasPrefix("modr-") == true && json["model"]?.stringValue == "test-policy")
            let results = try #require(json["results"]?.arrayValue)
            #expect(results.map { $0["flagged"]?.boolValue } == [true, true, false, true])
            let expected: [[String: Bool]] = [["weapons": true, "mild": false, "xs": false], ["weapons": false, "mild": true, "xs": false],
                                              ["weapons": false, "mild": false, "xs": false], ["weapons": true, "mild": false, "xs": false]]
            for (result, want) in zip(results, expected) {
                #expect(result["categories"]?.objectValue?.mapValues(\.boolValue) == want.mapValues { $0 })
                #expect(result["category_scores"]?.objectValue?.mapValues(\.doubleValue) == want.mapValues { $0 ? 1.0 : 0.0 })
            }
            let one = try await client.post("/v1/moderations", #"{"input": "heck", "model": "omni-moderation-latest"}"#).json
            #expect(one["results"]?.arrayValue?.count == 1 && one["results", "0", "flagged"]?.boolValue == true)
            let empty = try await client.post("/v1/moderations", #"{"input": []}"#)
            ServerErrorTests.expectError(empty, .badRequest, param: "input", "empty input")
        }
    }

    @Test func moderationsWithoutAPolicyAreNotFound() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let response = try await client.post("/v1/moderations", #"{"input": "hello"}"#)
            ServerErrorTests.expectError(response, .notFound, param: "model", code: "model_not_found", "no policy")
            #expect(response.json["error", "message"]?.stringValue?.contains("--content-policy") == true)
        }
    }

    // MARK: input

    @Test func blockedInputIsAnsweredWithContentFilter() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let response = try await client.post("/v1/chat/completions", Self.chat("how do I make a pipe bomb?", #", "n": 2"#))
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.headers[HTTPField.Name("X-Quill-Content-Flags")!] == "weapons")
            let json = response.json
            #expect(json["object"]?.stringValue == "chat.completion")
            #expect(json["choices"]?.arrayValue?.count == 2)
            for i in ["0", "1"] {
                #expect(json["choices", i, "finish_reason"]?.stringValue == "content_filter")
                #expect(json["choices", i, "message", "content"]?.stringValue == "")
            }
            #expect(json["usage", "total_tokens"]?.intValue == 0)

            let streamed = try await client.post("/v1/chat/completions",
                                                 Self.chat("a pipe bomb", #", "stream": true, "stream_options": {"include_usage": true}"#))
            let events = try #require(streamed.events)
            #expect(events.last == "[DONE]" && events.count == 4)          // role, finish, usage, [DONE]
            let chunks = events.dropLast().map { (try? JSONValue(parsing: Data($0.utf8))) ?? .null }
            #expect(chunks[0]["choices", "0", "delta", "role"]?.stringValue == "assistant")
            #expect(chunks[1]["choices", "0", "finish_reason"]?.stringValue == "content_filter")
            #expect(chunks[2]["usage", "completion_tokens"]?.intValue == 0)
        }
    }

    @Test func flaggedInputIsAnsweredAndReported() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let response = try await client.post("/v1/chat/completions", Self.chat("what the heck"))
            #expect(response.status == .ok)
            #expect(response.headers[HTTPField.Name("X-Quill-Content-Flags")!] == "mild")
            #expect(response.json["choices", "0", "finish_reason"]?.stringValue == "length")
            #expect(response.json["usage", "completion_tokens"]?.intValue == 6)
        }
    }

    @Test func hiddenCharactersAreStrippedBeforeThePrompt() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            // The byte tokenizer counts UTF-8 bytes: the prompt is that of "abc" alone.
            let response = try await client.post("/v1/chat/completions", Self.chat(#"a\u202Eb\u200Bc\uFEFF"#))
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.json["usage", "prompt_tokens"]?.intValue == ServerTests.chatML(user: "abc").utf8.count)
        }
        let rejecting = Self.policyJSON.replacingOccurrences(of: #""max_messages": 4"#, with: #""max_messages": 4, "invisible_characters": "reject""#)
        try await ServerTests.withClient(try Self.server(rejecting)) { client in
            let response = try await client.post("/v1/chat/completions", Self.chat(#"a\u202Eb"#))
            ServerErrorTests.expectError(response, .badRequest, param: "messages[0].content", code: "invalid_characters", "reject")
            #expect(response.json["error", "message"]?.stringValue?.contains("U+202E") == true)
        }
    }

    @Test func oversizeConversationsAreRefusedNamingTheField() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let long = String(repeating: "y", count: 201)
            let one = #"{"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": "\#(long)"}]}"#
            ServerErrorTests.expectError(try await client.post("/v1/chat/completions", one), .badRequest,
                                         param: "messages[1].content", code: "input_too_large", "message too long")
            let many = #"{"messages": ["# + Array(repeating: #"{"role": "user", "content": "a"}"#, count: 5).joined(separator: ",") + "]}"
            ServerErrorTests.expectError(try await client.post("/v1/chat/completions", many), .badRequest,
                                         param: "messages", code: "input_too_large", "too many messages")
            let half = String(repeating: "z", count: 160)
            let total = #"{"messages": [{"role": "user", "content": "\#(half)"}, {"role": "user", "content": "\#(half)"}]}"#
            ServerErrorTests.expectError(try await client.post("/v1/chat/completions", total), .badRequest,
                                         param: "messages", code: "input_too_large", "conversation too long")
        }
    }

    // MARK: output

    /// "x" (byte 120) forced at every step; the policy blocks "x{12}" with a 4-character window.
    /// Worked out by hand: after the 11th x, 7 have been released (11 − 4); at the 12th the match
    /// ends at the newest text, so it may still grow and nothing more is released; the 13th makes
    /// the match final and stops the answer. The client sees 7 x's and 13 completion tokens.
    static func forcedX(_ extra: String = "") -> String {
        #"{"model": "tiny", "messages": [{"role": "user", "content": "go"}], "max_tokens": 40, "logit_bias": {"120": 100}\#(extra)}"#
    }

    @Test func outputIsStoppedMidStreamBeforeTheBlockedText() async throws {
        let server = try Self.server()
        try await ServerTests.withClient(server) { client in
            let whole = try await client.post("/v1/chat/completions", Self.forcedX()).json
            #expect(whole["choices", "0", "finish_reason"]?.stringValue == "content_filter")
            #expect(whole["choices", "0", "message", "content"]?.stringValue == String(repeating: "x", count: 7))
            #expect(whole["usage", "completion_tokens"]?.intValue == 13)

            let streamed = try await client.post("/v1/chat/completions",
                                                 Self.forcedX(#", "stream": true, "stream_options": {"include_usage": true}"#))
            let chunks = try #require(streamed.events).dropLast().map { (try? JSONValue(parsing: Data($0.utf8))) ?? .null }
            let text = chunks.compactMap { $0["choices", "0", "delta", "content"]?.stringValue }.joined()
            #expect(text == String(repeating: "x", count: 7))
            #expect(chunks.compactMap { $0["choices", "0", "finish_reason"]?.stringValue } == ["content_filter"])
            #expect(chunks.last?["usage", "completion_tokens"]?.intValue == 13)
            // The stopped generations gave their slots back.
            var status = server.schedulerStatus
            for _ in 0..<100 where status.outstanding > 0 { try await Task.sleep(for: .milliseconds(20)); status = server.schedulerStatus }
            #expect(status.active == 0 && status.outstanding == 0)
        }
    }

    /// A model stopped by the filter at its 13th token runs no more steps for it: with the slot free,
    /// the model has run about 13 forward passes (measured 13), not the 2,000 the request asked for.
    /// Generated tokens are buffered ahead of the filter, so a consumer starved by a loaded host lets
    /// the model run on until the filter reads the block: at 10 ms a step the bound of 1,000 allows
    /// ~10 s of starvation (1 ms a step failed once at 1,842 under a load average of 10 on 2 cores).
    @Test func aStoppedAnswerFreesItsSlotAtOnce() async throws {
        let policy = try ContentPolicy(json: Data(Self.policyJSON.utf8))
        let counting = try CountingModel()
        let server = try ServerTests.server(try ServerTests.model(counting)) { $0.contentPolicy = policy; $0.parallel = 1 }
        try await ServerTests.withClient(server) { client in
            let body = #"{"messages": [{"role": "user", "content": "go"}], "max_tokens": 2000, "logit_bias": {"120": 100}}"#
            let whole = try await client.post("/v1/chat/completions", body).json
            #expect(whole["choices", "0", "finish_reason"]?.stringValue == "content_filter")
            for _ in 0..<6000 where server.schedulerStatus.outstanding > 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(server.schedulerStatus.outstanding == 0)
            #expect(counting.steps < 1000, "the stopped generation ran \(counting.steps) steps")
        }
    }
}

/// A tiny GPT that counts its forward passes and sleeps 10 ms in each.
final class CountingModel: LanguageModel, @unchecked Sendable {
    let base: GPT
    private let lock = NSLock()
    private var count = 0
    init() throws { base = try ServerTests.tinyGPT(contextLength: 2048) }
    var steps: Int { lock.withLock { count } }
    var vocabularySize: Int { base.vocabularySize }
    var contextLength: Int { base.contextLength }
    func makeCache() -> KVCache { base.makeCache() }
    func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        lock.withLock { count += 1 }
        usleep(10_000)
        return try base.forward(tokens, cache: cache, allLogits: allLogits)
    }
}
