// Every stream ends, with an error when there is one: submit after shutdown, shutdown with requests
// running and queued, a failing forward pass (batched and alone), a full queue. A model wrapper that
// can hold the worker inside a step and fail on demand makes each case deterministic (no timing).
import Foundation
import Testing
import QuillModels
import QuillTensor
import QuillTokenizer
@testable import QuillGeneration

struct BrokenModelError: Error, Equatable {}

/// The tiny GPT behind a gate: while closed, a forward pass signals `entered` and waits for `open()`;
/// while `failing`, it throws `BrokenModelError`. No batched path, so each sequence runs alone.
final class ControlledModel: LanguageModel, @unchecked Sendable {
    let base: GPT
    let entered = DispatchSemaphore(value: 0)
    private let condition = NSCondition()
    private var isOpen: Bool
    private var isFailing: Bool

    init(open: Bool = true, failing: Bool = false) throws {
        base = try tinyModel()
        isOpen = open
        isFailing = failing
    }

    func open() { condition.lock(); isOpen = true; condition.broadcast(); condition.unlock() }
    func setFailing(_ on: Bool) { condition.lock(); isFailing = on; condition.unlock() }

    var vocabularySize: Int { base.vocabularySize }
    var contextLength: Int { base.contextLength }
    func makeCache() -> KVCache { base.makeCache() }

    func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        condition.lock()
        if !isOpen { entered.signal() }
        while !isOpen { condition.wait() }
        let fail = isFailing
        condition.unlock()
        if fail { throw BrokenModelError() }
        return try base.forward(tokens, cache: cache, allLogits: allLogits)
    }

    /// Waits (off the test's task) until the worker is inside a forward pass.
    func waitUntilEntered() async { await withCheckedContinuation { c in DispatchQueue.global().async { self.entered.wait(); c.resume() } } }
}

@Suite("Scheduler lifecycle")
struct SchedulerLifecycleTests {
    static let long = GenerationParameters(maxTokens: 40, sampling: .init(temperature: 0), stopAtEndOfText: false)

    /// Drains a stream; returns the error it ended with (nil when it ended normally) and its events.
    static func drain(_ stream: BatchScheduler.Stream) async -> (error: (any Error)?, events: [GenerationEvent]) {
        var events: [GenerationEvent] = []
        do { for try await e in stream { events.append(e) } } catch { return (error, events) }
        return (nil, events)
    }

    @Test func submitAfterShutdownThrows() throws {
        let scheduler = BatchScheduler(model: try tinyModel(), tokenizer: ByteTokenizer())
        scheduler.shutdown()
        #expect(throws: SchedulerError.shutDown) { try scheduler.submit(prompt: "a", parameters: Self.long) }
    }

    @Test func shutdownEndsRunningQueuedAndPendingStreams() async throws {
        let model = try ControlledModel(open: false)
        let scheduler = BatchScheduler(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 1)
        let running = try scheduler.submit(prompt: "a", parameters: Self.long)
        let queued = try scheduler.submit(prompt: "b", parameters: Self.long)
        await model.waitUntilEntered()                        // "a" is in a step; "b" waits for the slot
        let pending = try scheduler.submit(prompt: "c", parameters: Self.long)   // not yet seen by the worker
        scheduler.shutdown()
        model.open()
        for (name, stream) in [("running", running), ("queued", queued), ("pending", pending)] {
            let (error, events) = await Self.drain(stream)
            #expect(error as? SchedulerError == .shutDown, "\(name) stream")
            #expect(!events.contains { if case .finished = $0 { true } else { false } }, "\(name) stream")
        }
    }

    @Test func aFailedStepEndsItsStreamsWithTheModelError() async throws {
        let model = try ControlledModel(failing: true)
        let scheduler = BatchScheduler(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 4)
        defer { scheduler.shutdown() }
        let streams = try ["a", "b", "c"].map { try scheduler.submit(prompt: $0, parameters: Self.long) }
        for stream in streams {
            #expect(await Self.drain(stream).error as? BrokenModelError == BrokenModelError())
        }
        model.setFailing(false)                               // the scheduler goes on serving
        let (error, events) = await Self.drain(try scheduler.submit(prompt: "d", parameters: .init(maxTokens: 5)))
        #expect(error == nil)
        guard case .finished(_, let stats)? = events.last else { Issue.record("no .finished"); return }
        #expect(stats.generatedTokens <= 5)
        #expect(scheduler.currentStatus.active == 0)
    }

    @Test func aFailedStepLeavesWaitingRequestsInTheEngine() throws {
        let model = try ControlledModel(failing: true)
        let engine = BatchGenerator(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 1)
        let a = try engine.add(prompt: "a", parameters: Self.long)
        let b = try engine.add(prompt: "b", parameters: .init(maxTokens: 3, sampling: .init(temperature: 0), stopAtEndOfText: false))
        #expect(throws: BatchGenerator.StepError.self) { try engine.step() }
        do { _ = try engine.step() } catch let e as BatchGenerator.StepError { #expect(e.requests == [b]) }
        #expect(engine.isEmpty)
        model.setFailing(false)
        let c = try engine.add(prompt: "c", parameters: .init(maxTokens: 3, sampling: .init(temperature: 0), stopAtEndOfText: false))
        var tokens = 0
        while !engine.isEmpty { tokens += try engine.step().filter { if case .token = $0.event { $0.request == c } else { false } }.count }
        #expect(tokens == 3 && a != c)
    }

    @Test func generatorStreamCarriesAModelError() async throws {
        let model = try ControlledModel(failing: true)
        let stream = try Generator(model: model, tokenizer: ByteTokenizer()).events(prompt: "a", parameters: Self.long)
        await #expect(throws: BrokenModelError()) { for try await _ in stream {} }
    }

    @Test func aFullQueueRefusesRequestsAllOrNone() async throws {
        let model = try ControlledModel(open: false)
        let scheduler = BatchScheduler(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 1, maxQueued: 2)
        defer { scheduler.shutdown() }
        let short = GenerationParameters(maxTokens: 2, sampling: .init(temperature: 0), stopAtEndOfText: false)
        let first = try scheduler.submit(prompt: "a", parameters: short)
        await model.waitUntilEntered()                        // "a" holds the only slot
        let waiting = try scheduler.submit([([98], short), ([99], short)])      // the queue (2 beyond 1 slot) is full
        #expect(throws: SchedulerError.queueFull(limit: 2)) { try scheduler.submit(prompt: "d", parameters: short) }
        model.open()
        for stream in [first] + waiting { #expect(await Self.drain(stream).error == nil) }
        #expect(throws: SchedulerError.queueFull(limit: 2)) {
            try scheduler.submit([([1], short), ([2], short), ([3], short), ([4], short)])   // more than slot + queue hold
        }
    }

    @Test func performRunsOnTheWorkerBetweenSteps() async throws {
        let scheduler = BatchScheduler(model: try tinyModel(), tokenizer: ByteTokenizer())
        let vocabulary = try await scheduler.perform { $0.vocabularySize }
        #expect(vocabulary == 257)
        scheduler.shutdown()
        await #expect(throws: SchedulerError.shutDown) { try await scheduler.perform { $0.vocabularySize } }
    }
}
