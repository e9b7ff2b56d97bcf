// Token billing through the real routes: each chat / completion request (streamed or not) is billed
// to its API key, GET /v1/usage reports days, tokens and cost, a key over its quota gets OpenAI's 429
// `insufficient_quota` before anything is generated, and keys may read only their own usage.
import Foundation
import HTTPTypes
import HummingbirdTesting
import QuillAssistant
import QuillFormats
import Testing
@testable import QuillServer

@Suite("Billing routes")
struct BillingRouteTests {
    /// A fresh path in the temporary directory, and its removal with SQLite's WAL files.
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("billing-\(UUID().uuidString).sqlite").path
    }
    static func cleanup(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// "Hi" in ChatML is 52 bytes = 52 prompt tokens with the byte tokenizer; 12 completion tokens.
    static let promptTokens = ServerTests.chatML(user: "Hi").utf8.count
    static let chat = #"{"model": "tiny", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 12, \#(ServerTests.noEarlyStop)}"#
    static func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)"] }

    /// sk-a may use one request's worth of tokens per day; sk-b is unlimited; "admin" is --api-key.
    static func server(billing path: String) throws -> OpenAIServer {
        let keyring = APIKeyring([APIKeyEntry(key: "sk-a", quota: UsageQuota(dailyTokens: promptTokens + 12)), APIKeyEntry(key: "sk-b")])
        let accounting = Accounting(keyring: keyring, billing: try BillingStore(path: path, create: true),
                                    prices: PriceTable(defaultPrice: .init(prompt: 1, completion: 2),
                                                       models: ["tiny": .init(prompt: 1_000, completion: 3_000)]))
        return try ServerTests.server { $0.apiKey = "admin"; $0.accounting = accounting }
    }

    @Test func requestsAreBilledAndReported() async throws {
        #expect(Self.promptTokens == 52)                  // counted by hand from the ChatML text
        let path = Self.temporaryPath()
        defer { Self.cleanup(path) }
        try await ServerTests.withClient(try Self.server(billing: path)) { client in
            #expect(try await client.post("/v1/chat/completions", Self.chat, headers: Self.bearer("sk-b")).status == .ok)
            let streamed = String(Self.chat.dropLast()) + #", "stream": true}"#
            let events = try #require(try await client.post("/v1/chat/completions", streamed, headers: Self.bearer("sk-b")).events)
            #expect(events.last == "[DONE]")
            let legacy = try await client.post("/v1/completions", #"{"prompt": "abc", "max_tokens": 5, \#(ServerTests.noEarlyStop)}"#,
                                               headers: Self.bearer("sk-b"))
            let legacyPrompt = try #require(legacy.json["usage", "prompt_tokens"]?.intValue)
            #expect(legacy.json["usage", "completion_tokens"]?.intValue == 5)

            let usage = try await client.get("/v1/usage?key=sk-b", headers: Self.bearer("sk-b"))
            #expect(usage.status == .ok, "\(usage.text)")
            let json = usage.json
            #expect(json["object"]?.stringValue == "usage" && json["key"]?.stringValue == "sk-b" && json["currency"]?.stringValue == "USD")
            let days = try #require(json["days"]?.arrayValue)
            #expect(days.count == 1)
            #expect(days.first?["date"]?.stringValue == BillingStore.day(of: Date()))
            let prompt = 2 * 52 + legacyPrompt, completion = 12 + 12 + 5
            #expect(days.first?["requests"]?.intValue == 3)
            #expect(days.first?["prompt_tokens"]?.intValue == prompt)
            #expect(days.first?["completion_tokens"]?.intValue == completion)
            #expect(days.first?["total_tokens"]?.intValue == prompt + completion)
            // "tiny" costs 1,000 per million prompt tokens and 3,000 per million completion tokens.
            let cost = try #require(days.first?["cost"]?.doubleValue)
            #expect(abs(cost - (Double(prompt) * 0.001 + Double(completion) * 0.003)) < 1e-9)
            #expect(json["total", "prompt_tokens"]?.intValue == prompt && json["total", "date"] == nil)
            // No limits for sk-b: written as nulls.
            #expect(json["quota", "daily_tokens"]?.isNull == true && json["quota", "total_tokens"]?.isNull == true)
            // Without ?key= a key reads its own usage.
            #expect(try await client.get("/v1/usage", headers: Self.bearer("sk-b")).json["key"]?.stringValue == "sk-b")
        }
    }

    /// n = 2 streamed: the prompt once, both choices' 12 tokens, as the non-streamed `usage` counts them.
    @Test func aStreamWithTwoChoicesIsBilledLikeItsUsage() async throws {
        let path = Self.temporaryPath()
        defer { Self.cleanup(path) }
        try await ServerTests.withClient(try Self.server(billing: path)) { client in
            let body = String(Self.chat.dropLast()) + #", "n": 2, "stream": true, "stream_options": {"include_usage": true}}"#
            let events = try #require(try await client.post("/v1/chat/completions", body, headers: Self.bearer("sk-b")).events)
            let usage = try #require(events.dropLast().last.flatMap { try? JSONValue(parsing: Data($0.utf8)) }?["usage"])
            #expect(usage["prompt_tokens"]?.intValue == 52 && usage["completion_tokens"]?.intValue == 24)
            let day = try await client.get("/v1/usage", headers: Self.bearer("sk-b")).json["days", "0"]
            #expect(day?["requests"]?.intValue == 1 && day?["prompt_tokens"]?.intValue == 52 && day?["completion_tokens"]?.intValue == 24)
        }
    }

    /// A client that hangs up mid-stream is billed for the tokens generated before it left (over a
    /// real socket, the model slowed to 20 ms a step so the 1,500-token answer cannot finish first).
    @Test func anAbandonedStreamIsBilledForWhatWasGenerated() async throws {
        let path = Self.temporaryPath()
        defer { Self.cleanup(path) }
        let slow = try HeldModel(delayMicroseconds: 20_000, contextLength: 2048)
        let accounting = Accounting(billing: try BillingStore(path: path, create: true))
        let server = try ServerTests.server(try ServerTests.model(slow)) { $0.parallel = 1; $0.accounting = accounting }
        try await ServerTests.withClient(server, .live) { client in
            let connection = try RawConnection(port: try #require(client.port))
            connection.send(post: "/v1/chat/completions", json: LiveServerTests.long + #", "stream": true}"#)
            #expect(connection.read(until: "data: ", count: 3).hasPrefix("HTTP/1.1 200"))
            connection.hangUp()
            #expect(await LiveServerTests.slotsComeFree(server))
            var day: [DailyUsage] = []
            for _ in 0..<2000 where day.isEmpty {              // billed when the abandoned stream has wound down
                day = try accounting.billing!.usage(key: Accounting.anonymousKey)
                if day.isEmpty { try await Task.sleep(nanoseconds: 10_000_000) }
            }
            let billed = try #require(day.first)
            #expect(billed.requests == 1 && billed.promptTokens == ServerTests.chatML(user: "hello").utf8.count)
            #expect(billed.completionTokens >= 2 && billed.completionTokens < 1500, "\(billed.completionTokens) tokens billed")
        }
    }

    @Test func overQuotaIs429InsufficientQuotaBeforeGeneration() async throws {
        let path = Self.temporaryPath()
        defer { Self.cleanup(path) }
        try await ServerTests.withClient(try Self.server(billing: path)) { client in
            #expect(try await client.post("/v1/chat/completions", Self.chat, headers: Self.bearer("sk-a")).status == .ok)
            for (uri, body) in [("/v1/chat/completions", Self.chat), ("/v1/completions", #"{"prompt": "x"}"#),
                                ("/v1/engines/davinci/completions", #"{"prompt": "x"}"#),
                                ("/v1/chat/completions", String(Self.chat.dropLast()) + #", "stream": true}"#)] {
                let refused = try await client.post(uri, body, headers: Self.bearer("sk-a"))
                #expect(refused.status == .tooManyRequests, "\(uri): \(refused.text)")
                let error = try #require(refused.json["error"]?.objectValue)
                #expect(error["type"]?.stringValue == "insufficient_quota" && error["code"]?.stringValue == "insufficient_quota")
                #expect(error["param"]?.isNull == true, "param is written as null, as OpenAI does")
                #expect(error["message"]?.stringValue?.contains("quota") == true)
            }
            // Nothing was generated or billed for the refused requests; other keys still work.
            let usage = try await client.get("/v1/usage?key=sk-a", headers: Self.bearer("sk-a")).json
            #expect(usage["days", "0", "requests"]?.intValue == 1)
            #expect(usage["quota", "daily_tokens"]?.intValue == 64)
            #expect(try await client.post("/v1/chat/completions", Self.chat, headers: Self.bearer("sk-b")).status == .ok)
            #expect(try await client.post("/v1/chat/completions", Self.chat, headers: Self.bearer("admin")).status == .ok)
        }
    }

    @Test func usageIsPrivateToItsKey() async throws {
        let path = Self.temporaryPath()
        defer { Self.cleanup(path) }
        try await ServerTests.withClient(try Self.server(billing: path)) { client in
            ServerErrorTests.expectError(try await client.get("/v1/usage?key=sk-a", headers: Self.bearer("sk-b")), .forbidden,
                                         param: "key", code: "permission_denied", "another key's usage")
            ServerErrorTests.expectError(try await client.get("/v1/usage?key=sk-a"), .unauthorized, param: nil, code: "invalid_api_key", "no key")
            ServerErrorTests.expectError(try await client.get("/v1/usage?key=sk-a", headers: Self.bearer("sk-z")), .unauthorized,
                                         param: nil, code: "invalid_api_key", "unknown key")
            #expect(try await client.get("/v1/usage?key=sk-a", headers: Self.bearer("admin")).status == .ok)
            ServerErrorTests.expectError(try await client.get("/v1/usage?key=sk-a&since=yesterday", headers: Self.bearer("sk-a")),
                                         .badRequest, param: "since", "bad date")
        }
    }

    @Test func withoutAccountingThereIsNoUsageRoute() async throws {
        try await ServerTests.withClient(try ServerTests.server()) { client in
            ServerErrorTests.expectError(try await client.get("/v1/usage?key=x"), .notFound, param: nil, code: "unknown_url", "no billing")
            ServerErrorTests.expectError(try await client.post("/v1/feedback", #"{"response_id": "x", "rating": 1}"#), .notFound,
                                         param: nil, code: "unknown_url", "no feedback")
        }
    }

    @Test func keysFile() throws {
        let path = Self.temporaryPath() + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"keys": [{"key": "sk-a", "name": "alice", "daily_tokens": 100}, {"key": "sk-b", "total_cost": 2.5}]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let ring = try APIKeyring.load(path: path)
        #expect(ring.entries == [APIKeyEntry(key: "sk-a", name: "alice", quota: UsageQuota(dailyTokens: 100)),
                                 APIKeyEntry(key: "sk-b", quota: UsageQuota(totalCost: 2.5))])
        for (text, reason) in [
            (#"{"keys": [{"key": "sk-a"}, {"key": "sk-a"}]}"#, "keys[1].key appears twice"),
            (#"{"keys": [{"key": " "}]}"#, "keys[0].key is empty"),
            (#"{"keys": [{"key": "k", "daily_tokens": -5}]}"#, "keys[0]: quotas must be ≥ 0"),
            (#"{"keys": [{"key": "k", "daily_token": 5}]}"#,
             "not a keys file: unknown field 'keys[0].daily_token' (allowed: daily_tokens, key, name, total_cost, total_tokens); expected {\"keys\": [{\"key\": \"…\", \"daily_tokens\": N}]}"),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: AccountingError.invalidFile(path: path, reason: reason)) { try APIKeyring.load(path: path) }
        }
        try Data(#"{"keys": [{"name": "no key"}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: AccountingError.self) { try APIKeyring.load(path: path) }
    }
}
