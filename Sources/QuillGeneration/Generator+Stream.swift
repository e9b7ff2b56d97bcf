// Generation as an `AsyncThrowingStream` of events (the mlx-swift-lm pattern), for servers and UIs:
// the request is validated up front (so bad input throws at the call), then decoding runs on its own
// thread, stops early when the consumer cancels or drops the stream, and ends with any error it hit.
import Foundation
import QuillTokenizer

extension Generator {
    /// Streams `.token` and `.text` events, then one `.finished`; a failure while decoding (a model
    /// error, a full context under ``ContextOverflow/error``) ends the stream with that error instead.
    ///
    /// ```swift
    /// for try await event in try generator.events(prompt: "Hi", parameters: .init(maxTokens: 20)) {
    ///     if case .text(let piece) = event { print(piece, terminator: "") }
    /// }
    /// ```
    /// The generator must not be used for anything else until the stream has finished.
    public func events(prompt: String, parameters: GenerationParameters) throws -> AsyncThrowingStream<GenerationEvent, any Error> {
        try events(promptTokens: tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false), parameters: parameters)
    }

    public func events(promptTokens: [Int], parameters: GenerationParameters) throws -> AsyncThrowingStream<GenerationEvent, any Error> {
        _ = try validate(promptTokens: promptTokens, parameters: parameters)
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: GenerationEvent.self, throwing: (any Error).self,
                                                                    bufferingPolicy: .unbounded)
        let cancelled = CancellationFlag()
        continuation.onTermination = { _ in cancelled.set() }
        let job = UncheckedBox(self)
        let thread = Thread {
            do {
                try job.value.run(promptTokens: promptTokens, parameters: parameters,
                                  isCancelled: { cancelled.isSet }) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
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
