// Shared by the server tests: a tiny random GPT with the byte tokenizer (one token per UTF-8 byte, so
// prompt token counts follow from the ChatML text), servers built around it, requests through
// Hummingbird's in-process client, JSON and SSE parsing, and model wrappers that hold or slow a step.
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import QuillFormats
import QuillGeneration
import QuillModels
import QuillServer
import QuillTensor
import QuillTokenizer

enum ServerTests {
    static func tinyGPT(contextLength: Int = 256) throws -> GPT {
        try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 32, contextLength: contextLength, vocabularySize: 257,
                                  eosTokenID: 256), seed: 11)
    }

    static func model(_ language: (any LanguageModel)? = nil) throws -> GenerationModel {
        GenerationModel(model: try language ?? tinyGPT(), tokenizer: ByteTokenizer())
    }

    static func server(_ model: GenerationModel? = nil, embedder: TextEmbedder? = nil,
                       _ configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> OpenAIServer {
        var configuration = ServerConfiguration(port: 0, parallel: 4, modelID: "tiny")
        configure(&configuration)
        return OpenAIServer(configuration: configuration, model: try model ?? Self.model(), embedder: embedder)
    }

    /// Runs `body` against `server` in process, then shuts the scheduler down.
    static func withClient<T>(_ server: OpenAIServer, _ setup: TestingSetup = .router,
                              _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        defer { server.shutdown() }
        return try await server.makeApplication().test(setup, body)
    }

    /// The ChatML prompt the server renders for one user message.
    static func chatML(user: String) -> String { "<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n" }

    /// Banning end-of-text (256) and "<" (60) keeps a random model from stopping early.
    static let noEarlyStop = #""logit_bias": {"256": -100, "60": -100}"#
    /// Also bans every non-ASCII byte, so the text is exactly the tokens' bytes.
    static let asciiOnly = #""logit_bias": {"# + ([60] + Array(128...256)).map { "\"\($0)\": -100" }.joined(separator: ", ") + "}"
}

extension TestClientProtocol {
    func post(_ uri: String, _ json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: JSONValue { (try? JSONValue(parsing: Data(text.utf8))) ?? .null }

    /// The `data:` payloads of an SSE body, in order; nil when the framing is wrong.
    var events: [String]? {
        var out: [String] = []
        for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
            guard block.hasPrefix("data: "), !block.dropFirst(6).contains("\n") else { return nil }
            out.append(String(block.dropFirst(6)))
        }
        return out
    }
}

extension JSONValue {
    subscript(path: String...) -> JSONValue? {
        var v: JSONValue? = self
        for key in path { v = Int(key).map { v?[$0] } ?? v?[key] }
        return v
    }
}

/// A model whose forward pass waits until `open()` (signalling `entered` first) and optionally sleeps
/// per step, around a tiny GPT. No batched path: each sequence runs alone.
final class HeldModel: LanguageModel, @unchecked Sendable {
    let base: GPT
    let delay: useconds_t
    let entered = DispatchSemaphore(value: 0)
    private let condition = NSCondition()
    private var isOpen: Bool

    init(open: Bool = true, delayMicroseconds: useconds_t = 0, contextLength: Int = 256) throws {
        base = try ServerTests.tinyGPT(contextLength: contextLength)
        isOpen = open
        delay = delayMicroseconds
    }

    func open() { condition.lock(); isOpen = true; condition.broadcast(); condition.unlock() }
    var vocabularySize: Int { base.vocabularySize }
    var contextLength: Int { base.contextLength }
    func makeCache() -> KVCache { base.makeCache() }

    func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        condition.lock()
        if !isOpen { entered.signal() }
        while !isOpen { condition.wait() }
        condition.unlock()
        if delay > 0 { usleep(delay) }
        return try base.forward(tokens, cache: cache, allLogits: allLogits)
    }

    func waitUntilEntered() async {
        await withCheckedContinuation { c in DispatchQueue.global().async { self.entered.wait(); c.resume() } }
    }
}
