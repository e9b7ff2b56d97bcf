// Tool calling through /v1/chat/completions in process, with the tiny random model (ChatML fallback, so
// the Hermes `<tool_call>` format and tools described in the system prompt). A random model never writes
// a call by chance, so every call here comes from the forcing grammar (`required` / a named function) or
// from a raw `grammar` that spells one out (to test `auto` and `none` parsing end to end).
import Foundation
import HummingbirdTesting
import QuillFormats
import QuillServer
import Testing

@Suite("Tool calling API")
struct ToolCallingTests {
    static let weather = #"{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city.", "parameters": {"type": "object", "properties": {"city": {"enum": ["Paris", "Rome"]}, "unit": {"enum": ["c", "f"]}}, "required": ["city", "unit"], "additionalProperties": false}}}"#
    static let time = #"{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"enum": ["UTC", "CET"]}}, "required": ["zone"], "additionalProperties": false}}}"#
    static let tools = #""tools": [\#(weather), \#(time)]"#
    /// Bans only end-of-text, so a forced parallel answer goes on to the most calls the grammar allows.
    static let noEnd = #""logit_bias": {"256": -100}"#

    static func server() throws -> OpenAIServer {
        try ServerTests.server(ServerTests.model(try ServerTests.tinyGPT(contextLength: 4096))) { $0.prefixCacheSize = 0 }
    }

    /// A request body; `extra` may bring its own `tools` (then the default two are left out).
    static func body(_ extra: String, user: String = "Weather in Paris?", maxTokens: Int = 1200) -> String {
        let tools = extra.contains(#""tools""#) ? "" : Self.tools + ", "
        return #"{"model": "tiny", "messages": [{"role": "user", "content": "\#(user)"}], "max_tokens": \#(maxTokens), "seed": 5, \#(tools)\#(extra)}"#
    }

    /// The calls of choice `i` as (name, arguments object), after checking their OpenAI shape.
    static func calls(_ json: JSONValue, choice i: Int = 0) throws -> [(name: String, arguments: JSONValue)] {
        let message = try #require(json["choices", "\(i)", "message"])
        let list = try #require(message["tool_calls"]?.arrayValue, "no tool_calls: \(json.jsonText)")
        return try list.map { call in
            #expect(call["type"]?.stringValue == "function")
            #expect(call["id"]?.stringValue?.hasPrefix("call_") == true)
            let text = try #require(call["function", "arguments"]?.stringValue, "arguments must be a JSON string")
            return (try #require(call["function", "name"]?.stringValue), try JSONValue(parsing: Data(text.utf8)))
        }
    }

    @Test func requiredGivesValidCallsWithNullContent() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let response = try await client.post("/v1/chat/completions", Self.body(#""tool_choice": "required", "n": 3"#))
            #expect(response.status == .ok, "\(response.text)")
            for i in 0..<3 {
                #expect(response.json["choices", "\(i)", "finish_reason"]?.stringValue == "tool_calls")
                #expect(response.json["choices", "\(i)", "message", "content"]?.isNull == true)
                let calls = try Self.calls(response.json, choice: i)
                #expect(!calls.isEmpty)
                for call in calls {
                    switch call.name {
                    case "get_weather":
                        #expect(["Paris", "Rome"].contains(call.arguments["city"]?.stringValue ?? ""))
                        #expect(["c", "f"].contains(call.arguments["unit"]?.stringValue ?? ""))
                    case "get_time": #expect(["UTC", "CET"].contains(call.arguments["zone"]?.stringValue ?? ""))
                    default: Issue.record("call to an unknown function \(call.name)")
                    }
                }
            }
        }
    }

    @Test func aNamedFunctionIsTheOnlyOneCalledAndParallelOffGivesOneCall() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let named = #""tool_choice": {"type": "function", "function": {"name": "get_time"}}, "n": 2, \#(Self.noEnd)"#
            let many = try await client.post("/v1/chat/completions", Self.body(named))
            #expect(many.status == .ok, "\(many.text)")
            for i in 0..<2 {
                let calls = try Self.calls(many.json, choice: i)
                #expect(calls.count == 4, "end banned: the grammar's most parallel calls")     // ToolCallFormat.maxParallelCalls
                #expect(calls.allSatisfy { $0.name == "get_time" })
            }
            let one = try await client.post("/v1/chat/completions", Self.body(named + #", "parallel_tool_calls": false"#))
            for i in 0..<2 {
                let calls = try Self.calls(one.json, choice: i)
                #expect(calls.count == 1 && calls[0].name == "get_time")
                #expect(one.json["choices", "\(i)", "finish_reason"]?.stringValue == "tool_calls")
            }
        }
    }

    @Test func aStreamedCallAssemblesToTheWholeAnswer() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let extra = #""tool_choice": "required", \#(Self.noEnd)"#
            let whole = try await client.post("/v1/chat/completions", Self.body(extra)).json
            let expected = try Self.calls(whole)
            let response = try await client.post("/v1/chat/completions", Self.body(extra + #", "stream": true"#))
            let events = try #require(response.events)
            #expect(events.last == "[DONE]")
            var names: [Int: String] = [:], arguments: [Int: String] = [:], ids: [Int: String] = [:]
            var finish: String?, content = ""
            for event in events.dropLast() {
                let choice = try #require(try JSONValue(parsing: Data(event.utf8))["choices", "0"])
                content += choice["delta", "content"]?.stringValue ?? ""
                if let r = choice["finish_reason"]?.stringValue { finish = r }
                for delta in choice["delta", "tool_calls"]?.arrayValue ?? [] {
                    let k = try #require(delta["index"]?.intValue, "every tool_calls delta carries its index")
                    if let id = delta["id"]?.stringValue {
                        #expect(ids[k] == nil, "id sent twice for call \(k)")
                        ids[k] = id
                        #expect(delta["type"]?.stringValue == "function")
                        names[k] = try #require(delta["function", "name"]?.stringValue)
                    } else {
                        #expect(ids[k] != nil && delta["function", "name"] == nil, "name only in a call's first delta")
                    }
                    arguments[k, default: ""] += delta["function", "arguments"]?.stringValue ?? ""
                }
            }
            #expect(content.isEmpty, "call markup leaked into content: \(content)")
            #expect(finish == "tool_calls")
            #expect(names.count == expected.count && expected.count == 4)
            for (k, call) in expected.enumerated() {
                #expect(names[k] == call.name)
                #expect(try JSONValue(parsing: Data((arguments[k] ?? "").utf8)) == call.arguments)
                #expect(ids[k]?.hasPrefix("call_") == true)
            }
        }
    }

    static let spelled = #"<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\", \"unit\": \"c\"}}\n</tool_call>"#
    static func spelledGrammar(prefix: String = "") -> String {
        #""grammar": \#(JSONValue.quoted("root ::= " + (prefix.isEmpty ? "" : JSONValue.quoted(prefix) + " ") + "\"" + spelled + "\""))"#
    }

    @Test func autoReadsACallOutOfTextAndNoneLeavesItText() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let auto = try await client.post("/v1/chat/completions", Self.body(#""tool_choice": "auto", "# + Self.spelledGrammar(prefix: "Checking. ")))
            #expect(auto.status == .ok, "\(auto.text)")
            let calls = try Self.calls(auto.json)
            #expect(calls.count == 1 && calls[0].name == "get_weather")
            #expect(auto.json["choices", "0", "message", "tool_calls", "0", "function", "arguments"]?.stringValue == #"{"city":"Rome","unit":"c"}"#)
            #expect(auto.json["choices", "0", "message", "content"]?.stringValue == "Checking.")
            #expect(auto.json["choices", "0", "finish_reason"]?.stringValue == "tool_calls")

            let streamed = try await client.post("/v1/chat/completions",
                                                 Self.body(#""stream": true, "# + Self.spelledGrammar(prefix: "Checking. ")))
            let chunks = try #require(streamed.events).dropLast().map { try JSONValue(parsing: Data($0.utf8)) }
            let text = chunks.compactMap { $0["choices", "0", "delta", "content"]?.stringValue }.joined()
            #expect(text == "Checking. ", "only the text before the call streams as content")
            #expect(chunks.contains { $0["choices", "0", "delta", "tool_calls", "0", "function", "name"]?.stringValue == "get_weather" })

            let none = try await client.post("/v1/chat/completions", Self.body(#""tool_choice": "none", "# + Self.spelledGrammar()))
            #expect(none.json["choices", "0", "message", "tool_calls"] == nil)
            #expect(none.json["choices", "0", "message", "content"]?.stringValue?.hasPrefix("<tool_call>") == true)
            #expect(none.json["choices", "0", "finish_reason"]?.stringValue == "stop")
        }
    }

    @Test func noneShowsNoToolsAndAutoPutsThemInTheSystemPrompt() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            func promptTokens(_ extra: String) async throws -> Int {
                let r = try await client.post("/v1/chat/completions", Self.body(extra, user: "Hi", maxTokens: 1))
                #expect(r.status == .ok, "\(r.text)")
                return try #require(r.json["usage", "prompt_tokens"]?.intValue)
            }
            let plain = ServerTests.chatML(user: "Hi").utf8.count
            #expect(try await promptTokens(#""tool_choice": "none""#) == plain)
            let auto = try await promptTokens(#""tool_choice": "auto""#)
            // At least a system turn holding both tool definitions as JSON.
            let definitions = [Self.weather, Self.time].map { try! JSONValue(parsing: Data($0.utf8)).jsonText.utf8.count }.reduce(0, +)
            #expect(auto > plain + definitions + "<|im_start|>system\n<|im_end|>\n".utf8.count)
        }
    }

    @Test func aCallAndItsResultFeedBackIntoThePrompt() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let messages = #"""
                [{"role": "user", "content": "Weather?"},
                 {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"c\"}"}}]},
                 {"role": "tool", "tool_call_id": "call_1", "content": "18 C"}]
                """#
            func body(_ choice: String, maxTokens: Int) -> String {
                #"{"model": "tiny", "messages": \#(messages), "max_tokens": \#(maxTokens), "seed": 2, "tool_choice": \#(choice), \#(Self.tools)}"#
            }
            let response = try await client.post("/v1/chat/completions", body(#""none""#, maxTokens: 1))
            #expect(response.status == .ok, "\(response.text)")
            // Without tool support in the template, the call is Hermes markup and the result a user turn.
            let expected = "<|im_start|>user\nWeather?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\",\"unit\":\"c\"}}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n18 C\n</tool_response><|im_end|>\n<|im_start|>assistant\n"
            #expect(response.json["usage", "prompt_tokens"]?.intValue == expected.utf8.count)
            // And the answer after the result may call again, forced.
            let again = try await client.post("/v1/chat/completions", body(#""required", "parallel_tool_calls": false"#, maxTokens: 600))
            #expect(try Self.calls(again.json).isEmpty == false)
        }
    }

    @Test(arguments: [
        (#""tool_choice": {"type": "function", "function": {"name": "nope"}}"#, "tool_choice.function.name"),
        (#""tool_choice": "sometimes""#, "tool_choice"),
        (#""parallel_tool_calls": "yes""#, "parallel_tool_calls"),
        (#""tools": [{"type": "retrieval"}]"#, "tools[0].type"),
        (#""tools": [{"type": "function", "function": {"name": "bad name"}}]"#, "tools[0].function.name"),
        (#""tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"x": {"type": "strin"}}}}}]"#,
         "tools[0].function.parameters"),
        (#""tools": [{"type": "function", "function": {"name": "f", "parameters": {"properties": {"x": {"type": "string", "format": "email"}}}}}], "tool_choice": "required""#,
         "tools[0].function.parameters"),
    ])
    func badToolFieldsAre400sNamingTheParameter(_ extra: String, _ param: String) async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let response = try await client.post("/v1/chat/completions", Self.body(extra))
            #expect(response.status == .badRequest, "\(extra): \(response.text)")
            #expect(response.json["error", "param"]?.stringValue == param, "\(response.text)")
            #expect(response.json["error", "type"]?.stringValue == "invalid_request_error")
        }
    }

    @Test func requiredWithoutToolsIs400() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let body = #"{"model": "tiny", "messages": [{"role": "user", "content": "x"}], "tool_choice": "required"}"#
            let response = try await client.post("/v1/chat/completions", body)
            #expect(response.status == .badRequest && response.json["error", "param"]?.stringValue == "tool_choice")
        }
    }
}
