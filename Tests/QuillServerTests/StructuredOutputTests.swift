// Structured output through the API in process: `response_format` json_schema and json_object and a
// raw `grammar` on /v1/chat/completions and /v1/completions give text that parses (and validates) for
// every choice, streamed or not; bad schemas, grammars and formats are 400s naming the parameter.
import Foundation
import HummingbirdTesting
import QuillFormats
import QuillServer
import Testing

@Suite("Structured output API")
struct StructuredOutputTests {
    static let schema = #"""
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 6},
         "rank": {"type": "integer"}, "kind": {"enum": ["big", "small"]}},
         "required": ["city", "rank", "kind"], "additionalProperties": false}
        """#

    /// A longer context than the shared tiny model's, so whole JSON answers fit.
    static func server() throws -> OpenAIServer { try ServerTests.server(ServerTests.model(try ServerTests.tinyGPT(contextLength: 1024))) }

    static func chat(_ extra: String) -> String {
        #"{"model": "tiny", "messages": [{"role": "user", "content": "JSON please"}], "max_tokens": 300, "n": 3, "seed": 4, \#(extra)}"#
    }

    @Test func jsonSchemaAnswersParseAndFollowTheSchema() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let format = #""response_format": {"type": "json_schema", "json_schema": {"name": "place", "strict": true, "schema": \#(Self.schema)}}"#
            let response = try await client.post("/v1/chat/completions", Self.chat(format))
            #expect(response.status == .ok, "\(response.text)")
            for i in 0..<3 {
                #expect(response.json["choices", "\(i)", "finish_reason"]?.stringValue == "stop")
                let content = try #require(response.json["choices", "\(i)", "message", "content"]?.stringValue)
                let value = try JSONValue(parsing: Data(content.utf8))
                #expect(value.objectPairs?.map(\.key) == ["city", "rank", "kind"], "\(content)")
                #expect(value["rank"]?.intValue != nil && ["big", "small"].contains(value["kind"]?.stringValue ?? ""))
                #expect((value["city"]?.stringValue?.count ?? 99) <= 6)
            }
        }
    }

    @Test func jsonObjectAndGrammarWorkStreamedAndOnCompletions() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let streamed = try await client.post("/v1/chat/completions",
                                                 Self.chat(#""stream": true, "response_format": {"type": "json_object"}, "max_tokens": 2000"#))
            #expect(streamed.status == .ok)
            let chunks = try #require(streamed.events).dropLast().map { (try? JSONValue(parsing: Data($0.utf8))) ?? .null }
            var texts = ["", "", ""], reasons: [String?] = [nil, nil, nil]
            for chunk in chunks {
                guard let i = chunk["choices", "0", "index"]?.intValue else { continue }
                texts[i] += chunk["choices", "0", "delta", "content"]?.stringValue ?? ""
                if let r = chunk["choices", "0", "finish_reason"]?.stringValue { reasons[i] = r }
            }
            for (text, reason) in zip(texts, reasons) where reason == "stop" {
                #expect(try JSONValue(parsing: Data(text.utf8)).objectValue != nil, "\(text)")
            }
            #expect(reasons.contains("stop"))

            let grammar = #"root ::= ("yes" | "no") (", " [0-9]{1,3})?"#
            let completion = try await client.post("/v1/completions",
                #"{"model": "tiny", "prompt": "Q: ", "max_tokens": 20, "n": 4, "seed": 1, "grammar": \#(JSONValue.quoted(grammar))}"#)
            #expect(completion.status == .ok, "\(completion.text)")
            for i in 0..<4 {
                let text = try #require(completion.json["choices", "\(i)", "text"]?.stringValue)
                #expect(text.range(of: #"^(yes|no)(, [0-9]{1,3})?$"#, options: .regularExpression) != nil, "\(text)")
            }
        }
    }

    @Test func logprobsUnderAGrammarListOnlyAllowedTokens() async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            let body = #"{"model": "tiny", "messages": [{"role": "user", "content": "?"}], "logprobs": true, "top_logprobs": 20, "seed": 2, "grammar": "root ::= \"yes\" | \"no\""}"#
            let response = try await client.post("/v1/chat/completions", body)
            #expect(response.status == .ok, "\(response.text)")
            #expect(["yes", "no"].contains(response.json["choices", "0", "message", "content"]?.stringValue ?? ""))
            let first = try #require(response.json["choices", "0", "logprobs", "content", "0", "top_logprobs"]?.arrayValue)
            #expect(Set(first.compactMap { $0["token"]?.stringValue }) == ["y", "n"], "\(first)")
        }
    }

    @Test(arguments: [
        (#""response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "integer", "minimum": 5}}}"#,
         "response_format.json_schema.schema", "minimum"),
        (#""response_format": {"type": "json_schema", "json_schema": {"name": "x"}}"#, "response_format.json_schema.schema", "schema"),
        (#""response_format": {"type": "xml"}"#, "response_format.type", "xml"),
        (#""response_format": "json""#, "response_format", "type"),
        (#""grammar": "root ::= \"a""#, "grammar", "1:10"),
        (#""grammar": "root ::= missing""#, "grammar", "missing"),
        (#""grammar": 5"#, "grammar", "string"),
        (#""grammar": "root ::= \"a\"", "response_format": {"type": "json_object"}"#, "grammar", "not both"),
    ] as [(String, String, String)])
    func badFormatsAre400sNamingTheParameter(_ extra: String, _ param: String, _ words: String) async throws {
        try await ServerTests.withClient(try Self.server()) { client in
            for (route, body) in [("/v1/chat/completions", Self.chat(extra)),
                                  ("/v1/completions", #"{"model": "tiny", "prompt": "x", \#(extra)}"#)] {
                let response = try await client.post(route, body)
                #expect(response.status == .badRequest, "\(route): \(response.text)")
                #expect(response.json["error", "param"]?.stringValue == param, "\(route): \(response.text)")
                #expect(response.json["error", "message"]?.stringValue?.contains(words) == true, "\(route): \(response.text)")
            }
        }
    }
}
