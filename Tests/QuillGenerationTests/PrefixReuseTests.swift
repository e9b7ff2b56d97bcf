// Prefix reuse in continuous batching: a prompt that continues a finished conversation starts from
// that conversation's KV rows, a prompt that diverges inside one copies the shared rows, and either
// way the sequence decodes as it does alone. Expected reuse counts follow from what a cache holds:
// the prompt and every generated token but the last (which was sampled, never run).
import Foundation
import Testing
import QuillModels
import QuillTensor
import QuillTokenizer
@testable import QuillGeneration

@Suite("Prefix reuse")
struct PrefixReuseTests {
    static let greedy = GenerationParameters(maxTokens: 8, sampling: .init(temperature: 0, logprobs: true, topLogprobs: 2),
                                             stopAtEndOfText: false)

    /// Runs one request to the end on `engine`; returns its result and how many prompt tokens were reused.
    static func run(_ engine: BatchGenerator, _ prompt: [Int], _ parameters: GenerationParameters = greedy) throws -> (GenerationResult, Int) {
        _ = try engine.add(promptTokens: prompt, parameters: parameters)
        var events: [GenerationEvent] = []
        while !engine.isEmpty { events += try engine.step().map(\.event) }
        guard case .finished(_, let stats)? = events.last else { throw GenerationError.emptyPrompt }
        return (GenerationResult(events: events), stats.cachedPromptTokens)
    }

    static func solo(_ model: any LanguageModel, _ prompt: [Int], _ parameters: GenerationParameters = greedy) throws -> GenerationResult {
        try Generator(model: model, tokenizer: ByteTokenizer()).generate(promptTokens: prompt, parameters: parameters)
    }

    /// Same tokens; log-probabilities within 1e-4 (reused rows were computed by decode steps, a fresh
    /// prompt's by one prefill product: equal up to float rounding).
    static func expectSame(_ got: GenerationResult, _ want: GenerationResult, _ label: String) {
        #expect(got.tokens == want.tokens, "\(label)")
        #expect(BatchGeneratorTests.closeLogprobs(got.logprobs, want.logprobs), "\(label)")
    }

    @Test func theNextTurnReusesTheWholeConversation() throws {
        let model = try tinyModel()
        let engine = BatchGenerator(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 2, prefixCacheSize: 2)
        let first = Array("Hello there".utf8).map(Int.init)
        let (turn1, reused1) = try Self.run(engine, first)
        #expect(reused1 == 0 && turn1.tokens.count == 8)
        let second = first + turn1.tokens + Array(" more".utf8).map(Int.init)
        let (turn2, reused2) = try Self.run(engine, second)
        #expect(reused2 == first.count + turn1.tokens.count - 1)
        Self.expectSame(turn2, try Self.solo(model, second), "next turn")
        #expect(engine.cachedPrefixCount == 1)                // the longer conversation replaced the first
    }

    @Test func aDivergingPromptCopiesTheSharedRowsAndKeepsTheEntry() throws {
        let model = try tinyModel()
        let engine = BatchGenerator(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 1, prefixCacheSize: 4)
        let system = Array("You are kind. ".utf8).map(Int.init)
        _ = try Self.run(engine, system + Array("Hi".utf8).map(Int.init))
        for question in ["Why?", "Can you?"] {         // neither shares a first letter with "Hi" or the other
            let prompt = system + Array(question.utf8).map(Int.init)
            let (result, reused) = try Self.run(engine, prompt)
            #expect(reused == system.count, "\(question)")
            Self.expectSame(result, try Self.solo(model, prompt), question)
        }
        #expect(engine.cachedPrefixCount == 3)
        // A prompt inside a kept entry still runs its last token.
        let (result, reused) = try Self.run(engine, system)
        #expect(reused == system.count - 1)
        Self.expectSame(result, try Self.solo(model, system), "prefix of an entry")
    }

    @Test func seededSamplingIsUnchangedByReuse() throws {
        let model = try tinyLlama()
        let engine = BatchGenerator(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 2, prefixCacheSize: 1)
        let sampled = GenerationParameters(maxTokens: 12, sampling: .init(temperature: 0.9, topP: 0.95, seed: 3), stopAtEndOfText: false)
        let first = Array("abcdefgh".utf8).map(Int.init)
        let (turn1, _) = try Self.run(engine, first, sampled)
        let second = first + turn1.tokens + [65, 66]
        let (turn2, reused) = try Self.run(engine, second, sampled)
        #expect(reused == first.count + turn1.tokens.count - 1)
        #expect(turn2.tokens == (try Self.solo(model, second, sampled)).tokens)
    }

    @Test func withoutAPrefixCacheNothingIsReused() throws {
        let engine = BatchGenerator(model: try tinyModel(), tokenizer: ByteTokenizer())
        let prompt = Array("Hello".utf8).map(Int.init)
        _ = try Self.run(engine, prompt)
        #expect(try Self.run(engine, prompt).1 == 0)
        #expect(engine.cachedPrefixCount == 0)
    }

    @Test func entriesAreBoundedAndRecycled() throws {
        var made = 0
        var caches = PrefixCache(capacity: 2, limit: 3) { made += 1; return KVCache(layers: 1, capacity: 16, width: 2) }
        func filled(_ tokens: [Int]) -> KVCache {
            let (cache, _) = caches.acquire(for: [99] + tokens)
            cache.advance(by: tokens.count)
            return cache
        }
        for t in [[1, 2, 3], [4, 5, 6], [7, 8, 9]] { caches.release(filled(t), holding: t) }
        #expect(caches.count == 2 && made <= 3)               // the oldest entry was evicted
        #expect(caches.acquire(for: [1, 2, 3, 4]).reused == 0)
        #expect(caches.acquire(for: [7, 8, 9, 10]).reused == 3)
        #expect(caches.allocated <= 3)
        // A cache whose rows do not follow its tokens is never kept.
        let stale = caches.acquire(for: [5]).cache
        stale.advance(by: 2)
        caches.release(stale, holding: nil)
        #expect(caches.acquire(for: [5, 6]).reused == 0)
    }
}
