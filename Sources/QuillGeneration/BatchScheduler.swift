// The continuous-batching engine behind an async API, for the server: callers on any thread submit
// requests and get an `AsyncStream` of their own events; one worker thread owns the `BatchGenerator`,
// admits new requests between steps, routes each step's events, and cancels a request whose stream
// the caller dropped. The worker sleeps when there is nothing to do.
import Foundation
import QuillModels
import QuillTokenizer

/// Many concurrent generations sharing one batched forward pass per step.
///
/// ```swift
/// let scheduler = BatchScheduler(model: gpt, tokenizer: tokenizer, maxBatchSize: 8)
/// let stream = try scheduler.submit(prompt: "Hello", parameters: .init(maxTokens: 30))
/// for await event in stream { if case .text(let s) = event { print(s, terminator: "") } }
/// ```
public final class BatchScheduler: @unchecked Sendable {
    private let engine: BatchGenerator
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var submissions: [(tokens: [Int], parameters: GenerationParameters,
                               continuation: AsyncStream<GenerationEvent>.Continuation, token: CancellationFlag)] = []
    private var stopped = false
    // Owned by the worker thread:
    private var streams: [BatchGenerator.RequestID: (AsyncStream<GenerationEvent>.Continuation, CancellationFlag)] = [:]

    public init(model: any LanguageModel, tokenizer: any Tokenizer, maxBatchSize: Int = 8) {
        engine = BatchGenerator(model: model, tokenizer: tokenizer, maxBatchSize: maxBatchSize)
        let thread = Thread { self.work() }             // holds the scheduler until shutdown()
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops the worker after the current step; unfinished streams end. The worker keeps the
    /// scheduler alive until this is called.
    public func shutdown() {
        condition.lock(); stopped = true; condition.signal(); condition.unlock()
    }

    public func submit(prompt: String, parameters: GenerationParameters) throws -> AsyncStream<GenerationEvent> {
        try submit(promptTokens: engine.tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false), parameters: parameters)
    }

    /// Validates the request now (bad input throws here) and queues it for the next step.
    public func submit(promptTokens: [Int], parameters: GenerationParameters) throws -> AsyncStream<GenerationEvent> {
        try parameters.validate(vocabularySize: engine.model.vocabularySize)
        _ = try GenerationParameters.preparedPrompt(promptTokens, endOfText: engine.tokenizer.endOfTextID,
                                                    vocabularySize: engine.model.vocabularySize,
                                                    contextLength: engine.model.contextLength)
        let (stream, continuation) = AsyncStream.makeStream(of: GenerationEvent.self, bufferingPolicy: .unbounded)
        let cancelled = CancellationFlag()
        continuation.onTermination = { [weak self] _ in
            cancelled.set()
            self?.wake()
        }
        condition.lock()
        submissions.append((promptTokens, parameters, continuation, cancelled))
        condition.signal()
        condition.unlock()
        return stream
    }

    private func wake() { condition.lock(); condition.signal(); condition.unlock() }

    private func work() {
        while true {
            condition.lock()
            while submissions.isEmpty && engine.isEmpty && !stopped { condition.wait() }
            let incoming = submissions
            submissions.removeAll()
            let stop = stopped
            condition.unlock()
            if stop { break }
            for s in incoming {
                do {
                    let id = try engine.add(promptTokens: s.tokens, parameters: s.parameters)
                    streams[id] = (s.continuation, s.token)
                } catch {
                    s.continuation.finish()                     // validated at submit: cannot happen
                }
            }
            for (id, entry) in streams where entry.1.isSet { deliver(engine.cancel(id)) }
            do { deliver(try engine.step()) } catch {
                for (_, entry) in streams { entry.0.finish() }
                streams.removeAll()
            }
        }
        for (_, entry) in streams { entry.0.finish() }
    }

    private func deliver(_ events: [BatchGenerator.Event]) {
        for e in events {
            guard let (continuation, _) = streams[e.request] else { continue }
            continuation.yield(e.event)
            if case .finished = e.event {
                continuation.finish()
                streams[e.request] = nil
            }
        }
    }
}
