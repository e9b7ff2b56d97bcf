// Conversation in, streamed answer out: a model's ChatFormat in front of the continuous-batching
// scheduler, which owns the model (so answers from any number of tasks are batched, never run on the
// model at once) and reuses the KV rows of an earlier turn the new prompt starts with. `quill chat` and
// the `Quill` library answer through this; every stream it returns ends, with an error when there is one.
import Foundation
import QuillGeneration
import QuillModels
import QuillTokenizer

/// A model ready to answer conversations.
///
/// ```swift
/// let engine = ChatEngine(model: try ModelRegistry.loadForGeneration(path: url))
/// let reply = try engine.reply(to: [.user("Hi")], parameters: .init(maxTokens: 64))
/// for try await event in reply.events { if case .text(let piece) = event { print(piece, terminator: "") } }
/// ```
public final class ChatEngine: @unchecked Sendable {
    /// A submitted answer: its prompt's size (known before any token) and its events.
    public struct Reply: Sendable {
        public let promptTokens: Int
        public let events: AsyncThrowingStream<ChatEvent, any Error>
    }

    public let format: ChatFormat
    /// How tools reach this model's prompt and the call format it writes.
    public let toolPrompter: ToolPrompter
    public let scheduler: BatchScheduler
    public var tokenizer: any Tokenizer { format.tokenizer }
    /// Positions one answer's prompt and completion may fill together.
    public var contextLength: Int { scheduler.contextLength }
    public var vocabularySize: Int { scheduler.model.vocabularySize }
    /// Input bounds, hidden characters and content filter categories (docs/safety.md); set it before
    /// the first answer.
    public var contentPolicy = ContentPolicy()

    /// `slots` answers advance together per step; `prefixCacheSize` finished answers keep their KV rows for
    /// a next turn that starts with them; `contextLength` caps each answer's positions (default: the
    /// model's context, at most 4096).
    public init(model: GenerationModel, slots: Int = 1, contextLength: Int? = nil, cacheType: KVCacheType = .f32,
                prefixCacheSize: Int = 1, maxQueued: Int = 256) {
        format = ChatFormat(model: model)
        toolPrompter = ToolPrompter(chatFormat: format, templateSource: model.chatTemplate)
        scheduler = BatchScheduler(model: model.model, tokenizer: model.tokenizer, maxBatchSize: max(1, slots),
                                   cacheType: cacheType, prefixCacheSize: prefixCacheSize,
                                   contextLength: contextLength ?? model.model.defaultCacheCapacity, maxQueued: maxQueued)
    }

    deinit { scheduler.shutdown() }

    /// Ends every unfinished answer with ``SchedulerError/shutDown``; later requests throw it.
    public func shutdown() { scheduler.shutdown() }

    /// Prompt tokens `messages` take (what trimming a conversation to the context counts).
    public func promptTokenCount(_ messages: [ChatMessage]) throws -> Int { try format.encode(messages).tokens.count }

    /// Encodes `messages` with the chat template and queues the answer; bad input throws here. The
    /// template's stop strings and the model's end-of-generation ids are added to `parameters`.
    public func reply(to messages: [ChatMessage], parameters: GenerationParameters) throws -> Reply {
        guard let messages = try screened(messages) else { return Self.filteredReply() }
        let prompt = try format.encode(messages)
        return try complete(promptTokens: prompt.tokens, parameters: format.parameters(parameters))
    }

    /// Queues a plain continuation of `promptTokens` (no template, `parameters` as given).
    public func complete(promptTokens: [Int], parameters: GenerationParameters) throws -> Reply {
        let start = ContinuousClock.now
        let inner = try scheduler.submit(promptTokens: promptTokens, parameters: parameters)
        return Reply(promptTokens: promptTokens.count, events: relay(contentPolicy.filtered(inner, promptTokens: promptTokens.count), start: start))
    }

    /// `messages` under the content policy's input rules (hidden characters stripped, or an
    /// ``InputError``); nil when a blocking category matches a user or tool message.
    func screened(_ messages: [ChatMessage]) throws -> [ChatMessage]? {
        let clean = try InputSanitizer(limits: contentPolicy.input).sanitize(messages)
        return contentPolicy.evaluate(clean).isBlocked ? nil : clean
    }

    /// The answer to a refused question: no tokens, finish reason content_filter.
    static func filteredReply() -> Reply {
        Reply(promptTokens: 0, events: AsyncThrowingStream { c in
            c.yield(.finished(ChatUsage(finishReason: .contentFilter, promptTokens: 0, completionTokens: 0)))
            c.finish()
        })
    }

    /// ``reply(to:parameters:)`` whose refusal, too, arrives as the stream's error.
    public func stream(_ messages: [ChatMessage], parameters: GenerationParameters) -> AsyncThrowingStream<ChatEvent, any Error> {
        do { return try reply(to: messages, parameters: parameters).events } catch { return Self.failed(error) }
    }

    /// A stream that ends at once with `error`.
    public static func failed(_ error: any Error) -> AsyncThrowingStream<ChatEvent, any Error> {
        AsyncThrowingStream { $0.finish(throwing: error) }
    }

    /// Generation events as chat events. The relay holds the engine until the answer ends, and
    /// cancelling (or dropping) the returned stream cancels the request, freeing its slot.
    private func relay(_ inner: BatchScheduler.Stream, start: ContinuousClock.Instant) -> AsyncThrowingStream<ChatEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatEvent.self, throwing: (any Error).self)
        let task = Task { [self] in
            var first: ContinuousClock.Instant?
            do {
                for try await event in inner {
                    switch event {
                    case .token(let id, _):
                        if first == nil { first = .now }
                        continuation.yield(.token(id))
                    case .text(let piece):
                        continuation.yield(.text(piece))
                    case .finished(let reason, let stats):
                        let ttft = first.map { ChatUsageMeter.seconds(start, $0) } ?? ChatUsageMeter.seconds(start, .now)
                        continuation.yield(.finished(ChatUsage(
                            finishReason: reason, promptTokens: stats.promptTokens, completionTokens: stats.generatedTokens,
                            cachedPromptTokens: stats.cachedPromptTokens, timeToFirstToken: ttft,
                            tokensPerSecond: stats.tokensPerSecond)))
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
            withExtendedLifetime(self) {}
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
