// POST /v1/chat/completions in process: the `chat.completion` object and its usage (prompt tokens
// follow from the ChatML text and the byte tokenizer), the SSE stream event by event against OpenAI's
// documented format, n > 1, same seed ⇒ same output, and concurrent (batched) answers equal to a plain
// `Generator` run of the same prompt and settings.
import Foundation
import Hummingbird
import HummingbirdTesting
import QuillFormats
import QuillGeneration
import QuillModels
import QuillServer
import QuillTokenizer
import Testing

@Suite("Chat completions")
struct ChatCompletionsTests {
    static func body(_ user: String, _ extra: String = "") -> String {
        #"{"model": "tiny", "messages": [{"role": "user", "content": "\#(user)"}], "max_tokens": 12, \#(ServerTests.noEarlyStop)\#(extra)}"#
    }

    @Test func aCompletionHasOpenAIsShapeAndUsage() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let response = try await client.post("/v1/chat/completions", Self.body("Hi", #", "seed": 3"#))
            #expect(response.status == .ok)
            let json = response.json
            #expect(json["object"]?.stringValue == "chat.completion" && json["model"]?.stringValue == "tiny")
            #expect(json["id"]?.stringValue?.hasPrefix("chatcmpl-") == true)
            #expect(json["choices", "0", "message", "role"]?.stringValue == "assistant")
            #expect(json["choices", "0", "finish_reason"]?.stringValue == "length")
            #expect(json["choices", "0", "logprobs"]?.isNull == true)
            let prompt = ServerTests.chatML(user: "Hi").utf8.count
            #expect(json["usage", "prompt_tokens"]?.intValue == prompt)
            #expect(json["usage", "completion_tokens"]?.intValue == 12)
            #expect(json["usage", "total_tokens"]?.intValue == prompt + 12)
        }
    }

    /// Comparing answers across requests: no prefix reuse (a reused prefix equals a fresh one only up to
    /// float rounding, which could flip a sampled token).
    static func exactServer() throws -> OpenAIServer { try ServerTests.server { $0.prefixCacheSize = 0 } }

    @Test func theStreamFollowsOpenAIsFormatEventByEvent() async throws {
        try await ServerTests.withClient(try Self.exactServer()) { client in
            let whole = try await client.post("/v1/chat/completions", Self.body("Hello", #", "seed": 9"#)).json
            let response = try await client.post("/v1/chat/completions",
                                                 Self.body("Hello", #", "seed": 9, "stream": true, "stream_options": {"include_usage": true}"#))
            #expect(response.status == .ok && response.headers[.contentType] == "text/event-stream")
            let events = try #require(response.events, "every event is one 'data: ' line followed by a blank line")
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().map { (try? JSONValue(parsing: Data($0.utf8))) ?? .null }
            #expect(chunks.count >= 4)
            let id = chunks[0]["id"]?.stringValue
            #expect(id?.hasPrefix("chatcmpl-") == true && chunks.allSatisfy { $0["id"]?.stringValue == id })
            #expect(chunks.allSatisfy { $0["object"]?.stringValue == "chat.completion.chunk" && $0["model"]?.stringValue == "tiny" })
            // First: the role, no text yet.
            #expect(chunks[0]["choices", "0", "delta"]?.objectValue == ["role": .string("assistant"), "content": .string("")])
            #expect(chunks[0]["choices", "0", "finish_reason"]?.isNull == true)
            // Then content deltas, then an empty delta with the finish reason, then usage with no choices.
            let content = chunks.dropFirst().dropLast(2)
            #expect(content.allSatisfy { $0["choices", "0", "delta", "content"]?.stringValue != nil && $0["choices", "0", "finish_reason"]?.isNull == true })
            #expect(content.allSatisfy { $0["usage"]?.isNull == true })
            let finish = chunks[chunks.count - 2]
            #expect(finish["choices", "0", "delta"]?.objectValue == [:] && finish["choices", "0", "finish_reason"]?.stringValue == "length")
            let usage = chunks[chunks.count - 1]
            #expect(usage["choices"] == .array([]))
            #expect(usage["usage", "completion_tokens"]?.intValue == 12)
            #expect(usage["usage", "prompt_tokens"]?.intValue == ServerTests.chatML(user: "Hello").utf8.count)
            // The stream's text is the whole response's.
            let streamed = content.compactMap { $0["choices", "0", "delta", "content"]?.stringValue }.joined()
            #expect(streamed == whole["choices", "0", "message", "content"]?.stringValue)
        }
    }

    @Test func withoutIncludeUsageNoUsageIsStreamed() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let events = try #require(try await client.post("/v1/chat/completions", Self.body("Hi", #", "stream": true"#)).events)
            #expect(events.last == "[DONE]" && !events.contains { $0.contains("\"usage\"") })
        }
    }

    @Test func nChoicesAreSeedPlusIndexAndSameSeedGivesSameOutput() async throws {
        try await ServerTests.withClient(try Self.exactServer()) { client in
            let three = try await client.post("/v1/chat/completions", Self.body("Hi", #", "n": 3, "seed": 40, "temperature": 1"#)).json
            let choices = try #require(three["choices"]?.arrayValue)
            #expect(choices.map { $0["index"]?.intValue } == [0, 1, 2])
            #expect(three["usage", "completion_tokens"]?.intValue == 36)
            #expect(three["usage", "prompt_tokens"]?.intValue == ServerTests.chatML(user: "Hi").utf8.count)
            for i in 0..<3 {
                let alone = try await client.post("/v1/chat/completions", Self.body("Hi", #", "seed": \#(40 + i), "temperature": 1"#)).json
                #expect(alone["choices", "0", "message", "content"] == choices[i]["message", "content"], "choice \(i)")
            }
            #expect(Set(choices.compactMap { $0["message", "content"]?.stringValue }).count > 1, "choices differ")
            let again = try await client.post("/v1/chat/completions", Self.body("Hi", #", "n": 3, "seed": 40, "temperature": 1"#)).json
            #expect(again["choices"] == three["choices"])
            // Streamed n > 1: every choice gets its role chunk and its finish chunk.
            let events = try #require(try await client.post("/v1/chat/completions", Self.body("Hi", #", "n": 2, "stream": true"#)).events)
            let chunks = events.dropLast().map { (try? JSONValue(parsing: Data($0.utf8))) ?? .null }
            for i in 0..<2 {
                let mine = chunks.filter { $0["choices", "0", "index"]?.intValue == i }
                #expect(mine.first?["choices", "0", "delta", "role"]?.stringValue == "assistant")
                #expect(mine.last?["choices", "0", "finish_reason"]?.stringValue == "length")
            }
        }
    }

    @Test func concurrentRequestsEqualAPlainGeneratorRun() async throws {
        // Reference: the same prompt tokens and settings through Generator on an identical model
        // (same seed → same weights), outside the server.
        let requests: [(user: String, extra: String, sampling: SamplingParameters)] = [
            ("one", #", "temperature": 0"#, .init(temperature: 0)),
            ("two words", #", "temperature": 0.8, "top_p": 0.9, "seed": 5"#, .init(temperature: 0.8, topP: 0.9, seed: 5)),
            ("three", #", "temperature": 1, "top_k": 20, "seed": 6"#, .init(temperature: 1, topK: 20, seed: 6)),
            ("four!", #", "temperature": 0.7, "presence_penalty": 0.5, "seed": 7"#, .init(temperature: 0.7, presencePenalty: 0.5, seed: 7)),
        ]
        let generator = Generator(model: try ServerTests.tinyGPT(), tokenizer: ByteTokenizer())
        let want = try requests.map { r -> String in
            var sampling = r.sampling
            sampling.logitBias = [256: -100, 60: -100]
            return try generator.generate(promptTokens: Array(ServerTests.chatML(user: r.user).utf8).map(Int.init),
                                          parameters: .init(maxTokens: 12, sampling: sampling, stop: ["<|im_end|>"])).text
        }
        try await ServerTests.withClient(try Self.exactServer()) { client in
            let got = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for (i, r) in requests.enumerated() {
                    group.addTask { (i, try await client.post("/v1/chat/completions", Self.body(r.user, r.extra)).json["choices", "0", "message", "content"]?.stringValue) }
                }
                var out = [String?](repeating: nil, count: requests.count)
                for try await (i, text) in group { out[i] = text }
                return out
            }
            #expect(got == want.map(Optional.init))
        }
    }

    @Test func logprobsCarryTokensBytesAndAlternatives() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let json = try await client.post("/v1/chat/completions", Self.body("Hi", #", "logprobs": true, "top_logprobs": 3, "temperature": 0"#)).json
            let content = try #require(json["choices", "0", "logprobs", "content"]?.arrayValue)
            #expect(content.count == 12)
            let text = json["choices", "0", "message", "content"]?.stringValue ?? ""
            let bytes = content.flatMap { $0["bytes"]?.arrayValue?.compactMap(\.intValue) ?? [] }
            #expect(String(decoding: bytes.map(UInt8.init), as: UTF8.self) == text)
            for entry in content {
                let top = entry["top_logprobs"]?.arrayValue ?? []
                #expect(top.count == 3)
                // Greedy: the chosen token is the most likely one, and logprobs are ≤ 0 and descending.
                #expect(top.first?["logprob"]?.doubleValue == entry["logprob"]?.doubleValue)
                let values = top.compactMap { $0["logprob"]?.doubleValue }
                #expect(values == values.sorted(by: >) && values.allSatisfy { $0 <= 0 })
            }
        }
    }

    @Test func aFollowUpTurnReusesTheCachedConversation() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let first = try await client.post("/v1/chat/completions", Self.body("Hi", #", "temperature": 0"#)).json
            let answer = first["choices", "0", "message", "content"]?.stringValue ?? ""
            let follow = #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": \#(JSONValue.quoted(answer))}, {"role": "user", "content": "More"}], "max_tokens": 4}"#
            let second = try await client.post("/v1/chat/completions", follow).json
            // The first turn's prompt and answer are in the cache; the new prompt continues them.
            let cached = second["usage", "prompt_tokens_details", "cached_tokens"]?.intValue ?? 0
            #expect(cached >= ServerTests.chatML(user: "Hi").utf8.count)
        }
    }

    /// llama-server's `ignore_eos`: with end-of-text forced by logit_bias, a plain request stops at once;
    /// with `ignore_eos` it runs to max_tokens (the real-client check holds a slot this way).
    @Test(arguments: ["/v1/chat/completions", "/v1/completions"])
    func ignoreEOSRunsPastEndOfText(route: String) async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let input = route.hasSuffix("chat/completions") ? #""messages": [{"role": "user", "content": "Hi"}]"# : #""prompt": "Hi""#
            func usage(_ extra: String) async throws -> (tokens: Int?, finish: String?) {
                let json = try await client.post(route, #"{\#(input), "max_tokens": 5, "logit_bias": {"256": 100}\#(extra)}"#).json
                return (json["usage", "completion_tokens"]?.intValue, json["choices", "0", "finish_reason"]?.stringValue)
            }
            let plain = try await usage("")
            #expect(plain.tokens == 0 && plain.finish == "stop")
            let kept = try await usage(#", "ignore_eos": true"#)
            #expect(kept.tokens == 5 && kept.finish == "length")
        }
    }

    /// What the openai client sends back after a tool call: an assistant turn whose content is null (or
    /// absent) and a tool result. Found by Scripts/check/openai_client_check.py's probes: it got 400.
    @Test(arguments: [#""content": null, "#, ""])
    func anAssistantTurnWithoutContentIsAccepted(content: String) async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let messages = #"[{"role": "user", "content": "Hi"}, {"role": "assistant", \#(content)"tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "42"}]"#
            let response = try await client.post("/v1/chat/completions", #"{"messages": \#(messages), "max_tokens": 2}"#)
            #expect(response.status == .ok)
            #expect((response.json["usage", "prompt_tokens"]?.intValue ?? 0) > ServerTests.chatML(user: "Hi").utf8.count)
        }
    }

    @Test func aContentOfTheWrongTypeNamesTheMessage() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let response = try await client.post("/v1/chat/completions", #"{"messages": [{"role": "user", "content": 7}], "max_tokens": 2}"#)
            #expect(response.status == .badRequest)
            #expect(response.json["error", "param"]?.stringValue?.hasPrefix("messages[0].content") == true)
        }
    }
}
