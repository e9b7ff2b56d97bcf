// Continuous batching (Orca, Yu et al. 2022; vLLM's scheduler in miniature): requests join and leave
// between steps, and every step runs one batched forward pass over all active sequences — new ones
// prefilling their prompts, the rest decoding one token — each with its own KV cache, sampler and stop
// conditions. Each sequence decodes exactly as `Generator` would decode it alone.
import Foundation
import QuillModels
import QuillTensor
import QuillTokenizer

/// The engine a server drives: `add` requests at any time, call `step()` until `isEmpty`.
///
/// ```swift
/// let engine = BatchGenerator(model: gpt, tokenizer: tokenizer, maxBatchSize: 8)
/// let a = try engine.add(prompt: "Once upon", parameters: .init(maxTokens: 40))
/// while !engine.isEmpty {
///     for e in try engine.step() where e.request == a { if case .text(let s) = e.event { print(s, terminator: "") } }
///     // more requests may be added here; they join at the next step
/// }
/// ```
public final class BatchGenerator {
    public typealias RequestID = Int

    /// An event of one request.
    public struct Event: Sendable, Equatable {
        public var request: RequestID
        public var event: GenerationEvent
    }

    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    /// The most sequences one step runs; later requests wait their turn in arrival order.
    public let maxBatchSize: Int

    /// One request's state: its decoder, what to feed next and its cache while active.
    final class Slot {
        let id: RequestID
        var decoder: SequenceDecoder
        var input: [Int]
        var cache: KVCache?
        var prefillSeconds = 0.0
        var decodeStart: Date?
        init(id: RequestID, decoder: SequenceDecoder) { self.id = id; self.decoder = decoder; input = decoder.prompt }
    }

    private var active: [Slot] = []
    private var waiting: [Slot] = []
    private var spareCaches: [KVCache] = []
    private var nextID: RequestID = 0

    /// KV cache storage of every sequence (caches are allocated once and reused).
    public let cacheType: KVCacheType

    /// A request whose ``ContextOverflow`` is `.error` ends with finish reason `length` here (one
    /// sequence cannot fail the whole batch); `.shift` works as in ``Generator``.
    public init(model: any LanguageModel, tokenizer: any Tokenizer, maxBatchSize: Int = 8, cacheType: KVCacheType = .f32) {
        precondition(maxBatchSize >= 1, "BatchGenerator: maxBatchSize must be ≥ 1")
        self.cacheType = cacheType
        self.model = model
        self.tokenizer = tokenizer
        self.maxBatchSize = maxBatchSize
    }

    /// No request is running or waiting.
    public var isEmpty: Bool { active.isEmpty && waiting.isEmpty }
    public var activeCount: Int { active.count }
    public var waitingCount: Int { waiting.count }

    /// Queues a request; it joins the batch at the next step with room. Throws on a bad request.
    public func add(prompt: String, parameters: GenerationParameters) throws -> RequestID {
        try add(promptTokens: tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false), parameters: parameters)
    }

    public func add(promptTokens: [Int], parameters: GenerationParameters) throws -> RequestID {
        try parameters.validate(vocabularySize: model.vocabularySize)
        try parameters.contextOverflow.validate(contextLength: model.contextLength)
        let prompt = try GenerationParameters.preparedPrompt(promptTokens, endOfText: tokenizer.endOfTextID,
                                                             vocabularySize: model.vocabularySize,
                                                             contextLength: model.contextLength)
        defer { nextID += 1 }
        waiting.append(Slot(id: nextID, decoder: SequenceDecoder(prompt: prompt, parameters: parameters,
                                                                     tokenizer: tokenizer, contextLength: model.contextLength)))
        return nextID
    }

    /// Ends a request now: its held-back text and a `.finished(.cancelled, …)` event come back.
    public func cancel(_ id: RequestID) -> [Event] {
        if let i = waiting.firstIndex(where: { $0.id == id }) {
            let s = waiting.remove(at: i)
            _ = s.decoder.finish(.cancelled)
            return [finishedEvent(s)]
        }
        guard let i = active.firstIndex(where: { $0.id == id }) else { return [] }
        let s = active.remove(at: i)
        let events = s.decoder.finish(.cancelled).map { Event(request: id, event: $0) } + [finishedEvent(s)]
        release(s)
        return events
    }

    /// Admits waiting requests, runs one batched forward over every active sequence, samples each, and
    /// returns the events in request order. Finished sequences leave the batch (their caches are reused).
    public func step() throws -> [Event] {
        var events: [Event] = []
        while active.count < maxBatchSize, !waiting.isEmpty {
            let s = waiting.removeFirst()
            if s.decoder.finishReason != nil { events.append(finishedEvent(s)); continue }  // max_tokens 0
            s.cache = spareCaches.popLast() ?? model.makeCache(type: cacheType)
            s.cache!.reset()
            active.append(s)
        }
        guard !active.isEmpty else { return events }
        let t0 = Date()
        let logits = try model.forwardBatch(active.map(\.input), caches: active.map { $0.cache! })   // (B, V)
        let now = Date(), V = model.vocabularySize
        for (row, s) in active.enumerated() {
            if s.decodeStart == nil { s.prefillSeconds = now.timeIntervalSince(t0); s.decodeStart = now }
            let z = Array(UnsafeBufferPointer(start: logits.data + row * V, count: V))
            events += s.decoder.accept(z, cacheLength: s.cache!.length).map { Event(request: s.id, event: $0) }
            if let feed = s.decoder.nextFeed(cacheLength: s.cache!.length) {
                if feed.resetCache { s.cache!.reset() }                                 // context shift
                s.input = feed.tokens
            } else {
                events.append(finishedEvent(s))
            }
        }
        active.removeAll { s in
            guard s.decoder.finishReason != nil else { return false }
            release(s)
            return true
        }
        // Stable by request: a sequence's own events keep their order.
        return events.enumerated().sorted { ($0.element.request, $0.offset) < ($1.element.request, $1.offset) }.map(\.element)
    }

    private func release(_ s: Slot) {
        if let cache = s.cache { spareCaches.append(cache) }
        s.cache = nil
    }

    private func finishedEvent(_ s: Slot) -> Event {
        let decodeSeconds = s.decodeStart.map { Date().timeIntervalSince($0) } ?? 0
        let stats = GenerationStats(promptTokens: s.decoder.prompt.count, generatedTokens: s.decoder.tokens.count,
                                    prefillSeconds: s.prefillSeconds, decodeSeconds: decodeSeconds)
        return Event(request: s.id, event: .finished(s.decoder.finishReason ?? .cancelled, stats))
    }
}
