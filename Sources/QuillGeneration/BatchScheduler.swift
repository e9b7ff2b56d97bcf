// The continuous-batching engine behind an async API, for the server: callers on any thread submit
// requests and get an `AsyncThrowingStream` of their own events; one worker thread owns the
// `BatchGenerator`, admits new requests between steps, routes each step's events, and cancels a
// request whose stream the caller dropped before the next step. Every stream ends: with `.finished`,
// or with an error (a failed step, a full context under `.error`, `shutdown()`).
import Foundation
import QuillModels
import QuillTokenizer

/// Many concurrent generations sharing one batched forward pass per step.
///
/// ```swift
/// let scheduler = BatchScheduler(model: gpt, tokenizer: tokenizer, maxBatchSize: 8)
/// let stream = try scheduler.submit(prompt: "Hello", parameters: .init(maxTokens: 30))
/// for try await event in stream { if case .text(let s) = event { print(s, terminator: "") } }
/// ```
public final class BatchScheduler: @unchecked Sendable {
    public typealias Stream = AsyncThrowingStream<GenerationEvent, any Error>

    /// What the scheduler is doing now (for metrics and load shedding).
    public struct Status: Sendable, Equatable {
        /// Sequences in the batch (slots in use).
        public var active: Int
        /// Requests waiting for a slot.
        public var queued: Int
        /// Requests taken and not yet finished (running or waiting).
        public var outstanding: Int
        /// Slots: the most sequences one step runs.
        public var slots: Int
        /// Finished sequences' caches kept for prefix reuse.
        public var cachedPrefixes: Int
    }

    private struct Submission {
        let tokens: [Int]
        let parameters: GenerationParameters
        let continuation: Stream.Continuation
        let cancelled: CancellationFlag
    }

    private let engine: BatchGenerator
    /// Requests allowed to wait for a slot, beyond those the slots hold, before `submit` throws
    /// ``SchedulerError/queueFull(limit:)``.
    public let maxQueued: Int
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var submissions: [Submission] = []
    private var jobs: [() -> Void] = []
    private var stopped = false
    private var status: Status
    // Owned by the worker thread:
    private var streams: [BatchGenerator.RequestID: (continuation: Stream.Continuation, cancelled: CancellationFlag)] = [:]

    /// `prefixCacheSize` finished caches are kept for prompts sharing their prefix (see ``BatchGenerator``);
    /// `contextLength` caps each sequence below the model's context.
    public init(model: any LanguageModel, tokenizer: any Tokenizer, maxBatchSize: Int = 8, cacheType: KVCacheType = .f32,
                prefixCacheSize: Int = 0, contextLength: Int? = nil, maxQueued: Int = 256) {
        engine = BatchGenerator(model: model, tokenizer: tokenizer, maxBatchSize: maxBatchSize, cacheType: cacheType,
                                prefixCacheSize: prefixCacheSize, contextLength: contextLength)
        self.maxQueued = max(0, maxQueued)
        status = Status(active: 0, queued: 0, outstanding: 0, slots: maxBatchSize, cachedPrefixes: 0)
        let thread = Thread { self.work() }             // holds the scheduler until shutdown()
        thread.name = "quill.batch-scheduler"
        thread.stackSize = 8 << 20
        thread.start()
    }

    public var model: any LanguageModel { engine.model }
    public var tokenizer: any Tokenizer { engine.tokenizer }
    /// Positions one sequence may fill.
    public var contextLength: Int { engine.contextLength }

    public var currentStatus: Status { condition.lock(); defer { condition.unlock() }; return status }

    /// Stops the worker after the current step. Every unfinished request — running or still queued —
    /// ends with ``SchedulerError/shutDown``, and later submissions throw it. The worker keeps the
    /// scheduler alive until this is called.
    public func shutdown() {
        condition.lock(); stopped = true; condition.signal(); condition.unlock()
    }

    public func submit(prompt: String, parameters: GenerationParameters) throws -> Stream {
        try submit(promptTokens: engine.tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false), parameters: parameters)
    }

    /// Validates the request now (bad input throws here) and queues it for the next step.
    public func submit(promptTokens: [Int], parameters: GenerationParameters) throws -> Stream {
        try submit([(promptTokens, parameters)])[0]
    }

    /// Queues several requests at once, all or none (the n choices of one API request): throws when
    /// any is invalid, when there is no room in the queue for all of them, or after shutdown.
    public func submit(_ requests: [(promptTokens: [Int], parameters: GenerationParameters)]) throws -> [Stream] {
        for r in requests { try validate(promptTokens: r.promptTokens, parameters: r.parameters) }
        var made: [(Stream, Submission)] = []
        for r in requests {
            let (stream, continuation) = Stream.makeStream(bufferingPolicy: .unbounded)
            let cancelled = CancellationFlag()
            continuation.onTermination = { [weak self] _ in
                cancelled.set()
                self?.wake()
            }
            made.append((stream, Submission(tokens: r.promptTokens, parameters: r.parameters,
                                            continuation: continuation, cancelled: cancelled)))
        }
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { throw SchedulerError.shutDown }
        guard status.outstanding + submissions.count + requests.count <= status.slots + maxQueued else {
            throw SchedulerError.queueFull(limit: maxQueued)
        }
        submissions += made.map(\.1)
        condition.signal()
        return made.map(\.0)
    }

    /// Checks a request as `submit` does, without queueing it.
    public func validate(promptTokens: [Int], parameters: GenerationParameters) throws {
        try parameters.validate(vocabularySize: engine.model.vocabularySize)
        try parameters.contextOverflow.validate(contextLength: engine.contextLength)
        _ = try GenerationParameters.preparedPrompt(promptTokens, endOfText: engine.tokenizer.endOfTextID,
                                                    vocabularySize: engine.model.vocabularySize,
                                                    contextLength: engine.contextLength)
    }

    /// Runs `body` on the worker thread between two steps, with the model to itself (scoring a prompt,
    /// for instance): the model is not safe to use from two threads at once.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (any LanguageModel) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let model = UncheckedBox(engine.model)
            condition.lock()
            guard !stopped else { condition.unlock(); continuation.resume(throwing: SchedulerError.shutDown); return }
            jobs.append { continuation.resume(with: Result { try body(model.value) }) }
            condition.signal()
            condition.unlock()
        }
    }

    private func wake() { condition.lock(); condition.signal(); condition.unlock() }

    private func work() {
        while true {
            condition.lock()
            while submissions.isEmpty && jobs.isEmpty && engine.isEmpty && !stopped { condition.wait() }
            let incoming = submissions, pendingJobs = jobs
            submissions.removeAll()
            jobs.removeAll()
            let stop = stopped
            condition.unlock()
            pendingJobs.forEach { $0() }
            if stop {
                for s in incoming { s.continuation.finish(throwing: SchedulerError.shutDown) }
                break
            }
            for s in incoming {
                do {
                    let id = try engine.add(promptTokens: s.tokens, parameters: s.parameters)
                    streams[id] = (s.continuation, s.cancelled)
                } catch {
                    s.continuation.finish(throwing: error)           // validated at submit: cannot happen
                }
            }
            for (id, entry) in streams where entry.cancelled.isSet { deliver(engine.cancel(id)) }
            publishStatus()
            do { deliver(try engine.step()) } catch let failure as BatchGenerator.StepError {
                for id in failure.requests { streams.removeValue(forKey: id)?.continuation.finish(throwing: failure.underlying) }
            } catch {
                for (id, entry) in streams { _ = engine.cancel(id); entry.continuation.finish(throwing: error) }
                streams.removeAll()
            }
            publishStatus()
        }
        endEverything()
    }

    /// After shutdown: running and waiting requests release their held-back text, then end with
    /// `.shutDown`; so does anything submitted meanwhile.
    private func endEverything() {
        for (id, entry) in streams {
            for e in engine.cancel(id) { if case .text = e.event { entry.continuation.yield(e.event) } }
            entry.continuation.finish(throwing: SchedulerError.shutDown)
        }
        streams.removeAll()
        condition.lock()
        let late = submissions, lateJobs = jobs
        submissions.removeAll()
        jobs.removeAll()
        condition.unlock()
        for s in late { s.continuation.finish(throwing: SchedulerError.shutDown) }
        lateJobs.forEach { $0() }                  // queued before shutdown: they still run, so none waits forever
        publishStatus()
    }

    private func publishStatus() {
        condition.lock()
        status = Status(active: engine.activeCount, queued: engine.waitingCount, outstanding: streams.count,
                        slots: engine.maxBatchSize, cachedPrefixes: engine.cachedPrefixCount)
        condition.unlock()
    }

    private func deliver(_ events: [BatchGenerator.Event]) {
        for e in events {
            guard let (continuation, _) = streams[e.request] else { continue }
            if case .finished = e.event {
                if let error = e.error { continuation.finish(throwing: error) } else {
                    continuation.yield(e.event)
                    continuation.finish()
                }
                streams[e.request] = nil
            } else {
                continuation.yield(e.event)
            }
        }
    }
}
