// Generation as an `AsyncStream` of events (the mlx-swift-lm pattern), for servers and UIs: the
// request is validated up front (so bad input throws at the call), then decoding runs on its own
// thread and stops early when the consumer cancels or drops the stream.
import Foundation
import QuillTokenizer

extension Generator {
    /// Streams `.token` and `.text` events, then one `.finished`.
    ///
    /// ```swift
    /// for await event in try generator.events(prompt: "Hi", parameters: .init(maxTokens: 20)) {
    ///     if case .text(let piece) = event { print(piece, terminator: "") }
    /// }
    /// ```
    /// The generator must not be used for anything else until the stream has finished.
    public func events(prompt: String, parameters: GenerationParameters) throws -> AsyncStream<GenerationEvent> {
        try events(promptTokens: tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false), parameters: parameters)
    }

    public func events(promptTokens: [Int], parameters: GenerationParameters) throws -> AsyncStream<GenerationEvent> {
        _ = try validate(promptTokens: promptTokens, parameters: parameters)
        let (stream, continuation) = AsyncStream.makeStream(of: GenerationEvent.self, bufferingPolicy: .unbounded)
        let cancelled = CancellationFlag()
        continuation.onTermination = { _ in cancelled.set() }
        let job = UncheckedBox(self)
        let thread = Thread {
            do {
                try job.value.run(promptTokens: promptTokens, parameters: parameters,
                                  isCancelled: { cancelled.isSet }) { continuation.yield($0) }
            } catch {
                // The request was validated, so only a model failure or a full context under
                // `ContextOverflow.error` lands here; a stream has no error channel, so the latter ends
                // with finish reason `length` (what `BatchGenerator` reports too) and the former `cancelled`.
                let reason: FinishReason = error as? GenerationError == .contextFull(contextLength: job.value.cacheCapacity) ? .length : .cancelled
                continuation.yield(.finished(reason, GenerationStats(promptTokens: promptTokens.count,
                    generatedTokens: 0, prefillSeconds: 0, decodeSeconds: 0)))
            }
            continuation.finish()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return stream
    }
}

/// A flag set from any thread (stream termination) and read by the decoding thread.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// Hands a non-Sendable reference to the decoding thread, which is its only user meanwhile.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
