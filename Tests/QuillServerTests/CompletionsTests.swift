// Legacy POST /v1/completions and the openai==0.28 engines path: prompts as text, token ids and
// lists, prompt × n choice order, echo, stop strings (cut as the API documents), streaming, and echoed
// prompt logprobs checked against a log-softmax computed here from the model's full-sequence logits.
import Foundation
import Hummingbird
import HummingbirdTesting
import QuillFormats
import QuillModels
import QuillServer
import Testing

@Suite("Legacy completions")
struct CompletionsTests {
    static func exactServer() throws -> OpenAIServer { try ServerTests.server { $0.prefixCacheSize = 0 } }

    static func text(_ json: JSONValue, _ i: Int = 0) -> String? { json["choices", String(i), "text"]?.stringValue }

    @Test func aStringPromptWithUsage() async throws {
        try await ServerTests.withClient(try Self.exactServer()) { client in
            let json = try await client.post("/v1/completions", #"{"model": "tiny", "prompt": "Once", "max_tokens": 7, "seed": 1, \#(ServerTests.noEarlyStop)}"#).json
            #expect(json["object"]?.stringValue == "text_completion" && json["id"]?.stringValue?.hasPrefix("cmpl-") == true)
            #expect(json["usage", "prompt_tokens"]?.intValue == 4 && json["usage", "completion_tokens"]?.intValue == 7)
            #expect(json["choices", "0", "finish_reason"]?.stringValue == "length" && json["choices", "0", "logprobs"]?.isNull == true)
            // Token ids name the same prompt; echo puts it back in front.
            let ids = try await client.post("/v1/completions", #"{"prompt": [79, 110, 99, 101], "max_tokens": 7, "seed": 1, "echo": true, \#(ServerTests.noEarlyStop)}"#).json
            #expect(Self.text(ids) == "Once" + (Self.text(json) ?? "?"))
        }
    }

    @Test func promptsTimesChoicesInOrder() async throws {
        try await ServerTests.withClient(try Self.exactServer()) { client in
            let json = try await client.post("/v1/completions", #"{"prompt": ["ab", "cd"], "n": 2, "max_tokens": 5, "seed": 20, "temperature": 1}"#).json
            #expect(json["choices"]?.arrayValue?.map { $0["index"]?.intValue } == [0, 1, 2, 3])
            for (i, (prompt, seed)) in [("ab", 20), ("ab", 21), ("cd", 20), ("cd", 21)].enumerated() {
                let alone = try await client.post("/v1/completions", #"{"prompt": "\#(prompt)", "max_tokens": 5, "seed": \#(seed), "temperature": 1}"#).json
                #expect(Self.text(alone) == Self.text(json, i), "choice \(i)")
            }
            #expect(json["usage", "prompt_tokens"]?.intValue == 4)
        }
    }

    @Test func aStopStringCutsTheTextBeforeIt() async throws {
        try await ServerTests.withClient(try Self.exactServer()) { client in
            let free = Self.text(try await client.post("/v1/completions", #"{"prompt": "Hello", "max_tokens": 12, "temperature": 0, \#(ServerTests.asciiOnly)}"#).json) ?? ""
            let characters = Array(free)
            try #require(characters.count >= 4, "greedy text too short to pick a stop string from")
            let stop = String(characters[3])
            let cut = try await client.post("/v1/completions", #"{"prompt": "Hello", "max_tokens": 12, "temperature": 0, "stop": \#(JSONValue.quoted(stop)), \#(ServerTests.asciiOnly)}"#).json
            #expect(Self.text(cut) == String(free[..<free.range(of: stop)!.lowerBound]))
            #expect(cut["choices", "0", "finish_reason"]?.stringValue == "stop")
        }
    }

    @Test func theEnginesPathServesAnyEngineName() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            // openai==0.28: Completion.create(engine="gpt-4", prompt=..., max_tokens=50, n=1, stop=None, temperature=0.8)
            let body = #"{"prompt": "Hi", "max_tokens": 5, "n": 1, "stop": null, "temperature": 0.8}"#
            let response = try await client.post("/v1/engines/gpt-4/completions", body)
            #expect(response.status == .ok && response.json["choices", "0", "text"]?.stringValue != nil)
            let named = try await client.post("/v1/completions", #"{"model": "gpt-4", "prompt": "Hi"}"#)
            #expect(named.status == .notFound && named.json["error", "code"]?.stringValue == "model_not_found")
        }
    }

    @Test func aStreamedCompletionEndsWithDoneAndMatchesTheWholeOne() async throws {
        try await ServerTests.withClient(try Self.exactServer()) { client in
            let body = #""prompt": "abc", "max_tokens": 9, "seed": 4, \#(ServerTests.noEarlyStop)"#
            let whole = try await client.post("/v1/completions", "{\(body)}").json
            let events = try #require(try await client.post("/v1/completions", #"{\#(body), "stream": true, "stream_options": {"include_usage": true}}"#).events)
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().map { (try? JSONValue(parsing: Data($0.utf8))) ?? .null }
            #expect(chunks.allSatisfy { $0["object"]?.stringValue == "text_completion" })
            #expect(chunks.dropLast().compactMap { $0["choices", "0", "text"]?.stringValue }.joined() == Self.text(whole))
            #expect(chunks.dropLast().last?["choices", "0", "finish_reason"]?.stringValue == "length")
            #expect(chunks.last?["choices"] == .array([]) && chunks.last?["usage", "completion_tokens"]?.intValue == 9)
        }
    }

    @Test func echoedPromptLogprobsAreTheModelsLogSoftmax() async throws {
        let prompt = "Hi there"
        // Reference: full-sequence logits from an identical model, log-softmax in double precision here.
        let gpt = try ServerTests.tinyGPT()
        let ids = Array(prompt.utf8).map(Int.init)
        let logits = try gpt.forward(ids, cache: gpt.makeCache(), allLogits: true)      // (T, V)
        let V = gpt.vocabularySize
        let want: [Double] = (1..<ids.count).map { j in
            let row = (0..<V).map { Double(logits.data[(j - 1) * V + $0]) }
            let m = row.max()!
            return row[ids[j]] - m - log(row.reduce(0) { $0 + exp($1 - m) })
        }
        try await ServerTests.withClient(try ServerTests.server()) { client in
            let json = try await client.post("/v1/completions", #"{"prompt": "\#(prompt)", "max_tokens": 3, "echo": true, "logprobs": 2, "temperature": 0}"#).json
            let logprobs = try #require(json["choices", "0", "logprobs"])
            #expect(logprobs["tokens"]?.arrayValue?.count == ids.count + 3)
            let values = logprobs["token_logprobs"]?.arrayValue ?? []
            #expect(values.first?.isNull == true && logprobs["top_logprobs", "0"]?.isNull == true)
            for j in 1..<ids.count {
                let got = values[j].doubleValue ?? .nan
                #expect(abs(got - want[j - 1]) < 1e-4, "prompt token \(j): \(got) vs \(want[j - 1])")
            }
            #expect(logprobs["text_offset"]?.arrayValue?.prefix(3).compactMap(\.intValue) == [0, 1, 2])
            // Two alternatives, keyed by their text (two undecodable bytes would share one key).
            #expect((1...2).contains(logprobs["top_logprobs", String(ids.count)]?.objectValue?.count ?? 0))
            #expect(Self.text(json)?.hasPrefix(prompt) == true)
        }
    }
}
