// The library's entry point, in the spirit of mlx-swift-lm's ModelContainer: an actor that loads a model
// by path or short name and answers chats and completions as `AsyncThrowingStream`s from any number of
// tasks. The model has one owner, the batch scheduler's thread, so concurrent requests are batched and
// never touch it at once; each stream ends, with its error when there is one.
import Foundation
import QuillAssistant
import QuillGeneration
import QuillModels
import QuillTokenizer

/// Why a model could not be loaded (beside the loaders' own typed errors for a bad file).
public enum QuillModelError: Error, CustomStringConvertible, Equatable {
    /// Neither an existing file or directory nor a known short name.
    case notFound(String)

    public var description: String {
        switch self {
        case .notFound(let name):
            return "no model at '\(name)': pass a model directory, a .gguf file or a short name ("
                + ModelCatalog.entries.map(\.name).joined(separator: ", ") + ")"
        }
    }
}

/// A loaded model, safe to share between tasks.
///
/// ```swift
/// import Quill
/// let model = try await QuillModel.load("smollm2")
/// var parameters = GenerationParameters(maxTokens: 100)
/// parameters.sampling.temperature = 0.7
/// for try await event in await model.chat(messages: [.user("Name three colours.")], parameters: parameters) {
///     if case .text(let piece) = event { print(piece, terminator: "") }
/// }
/// ```
public actor QuillModel {
    /// How a model is run.
    public struct Configuration: Sendable {
        /// Answers that advance together in one batched step (more wait in a queue).
        public var slots: Int
        /// Positions one request may fill (default: the model's context, at most 4096).
        public var contextLength: Int?
        public var cacheType: KVCacheType
        /// Finished requests whose KV rows are kept for a next one starting with the same tokens.
        public var prefixCacheSize: Int
        /// Requests that may wait for a slot; past that a request's stream ends with `queueFull`.
        public var maxQueued: Int
        /// Input bounds, hidden characters and content filter categories (docs/safety.md).
        public var contentPolicy: ContentPolicy

        public init(slots: Int = 4, contextLength: Int? = nil, cacheType: KVCacheType = .f32, prefixCacheSize: Int = 4,
                    maxQueued: Int = 256, contentPolicy: ContentPolicy = ContentPolicy()) {
            self.slots = slots; self.contextLength = contextLength; self.cacheType = cacheType
            self.prefixCacheSize = prefixCacheSize; self.maxQueued = maxQueued; self.contentPolicy = contentPolicy
        }
    }

    /// The file or directory the model came from (or the name it was given).
    public nonisolated let name: String
    private let engine: ChatEngine

    /// Wraps an already loaded model.
    public init(_ model: GenerationModel, name: String = "model", configuration: Configuration = .init()) {
        self.name = name
        engine = ChatEngine(model: model, slots: configuration.slots, contextLength: configuration.contextLength,
                            cacheType: configuration.cacheType, prefixCacheSize: configuration.prefixCacheSize,
                            maxQueued: configuration.maxQueued)
        engine.contentPolicy = configuration.contentPolicy
    }

    /// Loads a model directory, a .gguf file or a short name (`smollm2`, `shakespeare`; see ModelCatalog).
    /// Throws ``QuillModelError/notFound(_:)`` for nothing at that name, ModelCatalogError for a short name
    /// whose asset is not installed, and the loader's error for a file it cannot read.
    public static func load(_ pathOrShortName: String, configuration: Configuration = .init()) async throws -> QuillModel {
        let url = try ModelCatalog.resolve(pathOrShortName)
        guard FileManager.default.fileExists(atPath: url.path) else { throw QuillModelError.notFound(pathOrShortName) }
        let loaded = try ModelRegistry.loadForGeneration(path: url)
        return QuillModel(loaded, name: url.path, configuration: configuration)
    }

    public nonisolated var tokenizer: any Tokenizer { engine.tokenizer }
    /// Positions one request's prompt and answer may fill together.
    public nonisolated var contextLength: Int { engine.contextLength }
    /// Slots in use, requests waiting: how busy the model is.
    public nonisolated var status: BatchScheduler.Status { engine.scheduler.currentStatus }

    /// Answers a conversation with the model's chat template (its stop strings and end-of-generation ids
    /// added to `parameters`): `.token` / `.text` events, then `.finished` with the usage. A conversation
    /// that cannot be encoded, or does not fit, ends the stream with that error; cancelling the consuming
    /// task (or dropping the stream) stops generation and frees the slot.
    public func chat(messages: [ChatMessage], parameters: GenerationParameters = .init()) -> AsyncThrowingStream<ChatEvent, any Error> {
        engine.stream(messages, parameters: parameters)
    }

    /// Continues plain text (no template; BOS added when the tokenizer declares one), streamed as ``chat(messages:parameters:)``.
    public func generate(prompt: String, parameters: GenerationParameters = .init()) -> AsyncThrowingStream<ChatEvent, any Error> {
        let tokens = engine.tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false)
        do { return try engine.complete(promptTokens: tokens, parameters: parameters).events } catch { return ChatEngine.failed(error) }
    }

    /// Collects a whole chat answer: its text and usage.
    public func respond(to messages: [ChatMessage], parameters: GenerationParameters = .init()) async throws -> (text: String, usage: ChatUsage) {
        try await Self.collect(chat(messages: messages, parameters: parameters))
    }

    /// Runs `body` with the model to itself, between two batched steps (scoring, embedding a prompt...).
    public func perform<T: Sendable>(_ body: @escaping @Sendable (any LanguageModel) throws -> T) async throws -> T {
        try await engine.scheduler.perform(body)
    }

    /// The text and usage of a finished stream.
    public static func collect(_ events: AsyncThrowingStream<ChatEvent, any Error>) async throws -> (text: String, usage: ChatUsage) {
        var text = "", usage: ChatUsage?
        for try await event in events {
            switch event {
            case .text(let piece): text += piece
            case .finished(let u): usage = u
            case .token: break
            }
        }
        return (text, usage ?? ChatUsage(finishReason: .cancelled, promptTokens: 0, completionTokens: 0))
    }
}
