// Continuous batching (Orca, Yu et al. 2022; vLLM's scheduler in miniature): requests join and leave
// between steps, and every step runs one batched forward pass over all active sequences — new ones
// prefilling their prompts, the rest decoding one token — each with its own KV cache, sampler and stop
// conditions. Each sequence decodes exactly as `Generator` would decode it alone. Optionally, finished
// sequences' caches are kept so that a prompt sharing their prefix starts from their rows (PrefixCache).
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
        /// Set on a `.finished` event when the request ended in error rather than normally: its context
        /// filled under ``ContextOverflow/error``. The other sequences of the batch go on.
        public var error: GenerationError?

        public init(request: RequestID, event: GenerationEvent, error: GenerationError? = nil) {
            self.request = request; self.event = event; self.error = error
        }
    }

    /// A step's batched forward pass failed: the requests that were in it have ended (their caches are
    /// recycled, no events follow); waiting requests are untouched and the engine can go on.
    public struct StepError: Error, CustomStringConvertible {
        public var requests: [RequestID]
        public var underlying: any Error
        public var description: String { "a batched generation step failed: \(underlying)" }
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
        /// Prompt tokens whose rows came from the prefix cache.
        var cachedPromptTokens = 0
        /// The cache's rows no longer follow prompt + tokens (a context shift re-encoded a window, or a
        /// failed step left rows half-written): not worth keeping.
        var cacheStale = false
        init(id: RequestID, decoder: SequenceDecoder) { self.id = id; self.decoder = decoder; input = decoder.prompt }
    }

    private var active: [Slot] = []
    private var waiting: [Slot] = []
    private var caches: PrefixCache
    private var nextID: RequestID = 0

    /// KV cache storage of every sequence (caches are allocated once and reused).
    public let cacheType: KVCacheType
    /// Positions one sequence may fill: the model's context, or less when asked (llama.cpp's --ctx-size).
    public let contextLength: Int

    /// A request whose ``ContextOverflow`` is `.error` ends with finish reason `length` and its
    /// ``Event/error`` set (one sequence cannot fail the whole batch); `.shift` works as in ``Generator``.
    /// `prefixCacheSize` finished caches are kept for prompts that share their prefix (0 = none); a
    /// reused prefix gives the same tokens up to float rounding (its rows came from decode steps, not
    /// from one prefill product).
    /// `contextLength` caps each sequence's positions below the model's context (nil = the model's).
    public init(model: any LanguageModel, tokenizer: any Tokenizer, maxBatchSize: Int = 8, cacheType: KVCacheType = .f32,
                prefixCacheSize: Int = 0, contextLength: Int? = nil) {
        precondition(maxBatchSize >= 1, "BatchGenerator: maxBatchSize must be ≥ 1")
        let context = min(model.contextLength, max(1, contextLength ?? model.contextLength))
        self.cacheType = cacheType
        self.contextLength = context
        self.model = model
        self.tokenizer = tokenizer
        self.maxBatchSize = maxBatchSize
        caches = PrefixCache(capacity: prefixCacheSize, limit: maxBatchSize + max(0, prefixCacheSize), make: { [model] in
            let c = model.makeCache(type: cacheType)
            return c.capacity <= context ? c
                : KVCache(layers: c.layerCount, capacity: context, width: c.width, heads: c.heads, type: cacheType)
        })
    }

    /// No request is running or waiting.
    public var isEmpty: Bool { active.isEmpty && waiting.isEmpty }
    public var activeCount: Int { active.count }
    public var waitingCount: Int { waiting.count }
    /// The requests in the batch now, in batch order.
    public var activeRequests: [RequestID] { active.map(\.id) }
    /// Finished sequences' caches kept for prefix reuse.
    public var cachedPrefixCount: Int { caches.count }

    /// Queues a request; it joins the batch at the next step with room. Throws on a bad request.
    public func add(prompt: String, parameters: GenerationParameters) throws -> RequestID {
        try add(promptTokens: tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false), parameters: parameters)
    }

    public func add(promptTokens: [Int], parameters: GenerationParameters) throws -> RequestID {
        try parameters.validate(vocabularySize: model.vocabularySize)
        try parameters.contextOverflow.validate(contextLength: contextLength)
        let prompt = try GenerationParameters.preparedPrompt(promptTokens, endOfText: tokenizer.endOfTextID,
                                                             vocabularySize: model.vocabularySize,
                                                             contextLength: contextLength)
        defer { nextID += 1 }
        waiting.append(Slot(id: nextID, decoder: SequenceDecoder(prompt: prompt, parameters: parameters,
                                                                     tokenizer: tokenizer, contextLength: contextLength)))
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
            let (cache, reused) = caches.acquire(for: s.decoder.prompt)
            s.cache = cache
            s.cachedPromptTokens = reused
            s.input = Array(s.decoder.prompt[reused...])
            active.append(s)
        }
        guard !active.isEmpty else { return events }
        let t0 = Date()
        let logits: Tensor                                                                   // (B, V)
        do {
            logits = try model.forwardBatch(active.map(\.input), caches: active.map { $0.cache! })
        } catch {
            // The caches may hold half-written rows: recycle them empty.
            let failed = active
            active.removeAll()
            for s in failed { _ = s.decoder.finish(.cancelled); s.cacheStale = true; release(s) }
            throw StepError(requests: failed.map(\.id), underlying: error)
        }
        let now = Date(), V = model.vocabularySize
        for (row, s) in active.enumerated() {
            if s.decodeStart == nil { s.prefillSeconds = now.timeIntervalSince(t0); s.decodeStart = now }
            let z = Array(UnsafeBufferPointer(start: logits.data + row * V, count: V))
            events += s.decoder.accept(z, cacheLength: s.cache!.length).map { Event(request: s.id, event: $0) }
            if let feed = s.decoder.nextFeed(cacheLength: s.cache!.length) {
                if feed.resetCache { s.cache!.reset(); s.cacheStale = true }               // context shift
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

    /// Hands the cache back, keyed by the tokens its rows hold: prompt + output up to the cache's fill
    /// (the last sampled token was never run).
    private func release(_ s: Slot) {
        guard let cache = s.cache else { return }
        caches.release(cache, holding: s.cacheStale ? nil : Array((s.decoder.prompt + s.decoder.tokens).prefix(cache.length)))
        s.cache = nil
    }

    private func finishedEvent(_ s: Slot) -> Event {
        let decodeSeconds = s.decodeStart.map { Date().timeIntervalSince($0) } ?? 0
        let stats = GenerationStats(promptTokens: s.decoder.prompt.count, generatedTokens: s.decoder.tokens.count,
                                    prefillSeconds: s.prefillSeconds, decodeSeconds: decodeSeconds,
                                    cachedPromptTokens: s.cachedPromptTokens)
        return Event(request: s.id, event: .finished(s.decoder.finishReason ?? .cancelled, stats),
                     error: s.decoder.contextExceeded ? .contextFull(contextLength: contextLength) : nil)
    }
}
