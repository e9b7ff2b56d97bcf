// Generation at the end of the context: `.stop` ends with finish reason length, `.error` throws a
// message naming the fix, `.shift` (llama.cpp's context shift) produces exactly the tokens of an
// oracle that re-runs the model from a fresh cache on the kept window at every step; batched decoding
// with F16 caches (and shifts) equals decoding alone. Tiny random GPT-2 and Llama, context 64.
import Foundation
import Testing
import QuillModels
import QuillTensor
import QuillTokenizer
@testable import QuillGeneration

@Suite("Context overflow")
struct ContextOverflowTests {
    static let greedy = SamplingParameters(temperature: 0)

    @Test func stopEndsWithLengthAtTheContext() throws {
        let model = try tinyModel()                                            // context 64
        let p = GenerationParameters(maxTokens: 500, sampling: Self.greedy, stopAtEndOfText: false)
        let result = try Generator(model: model, tokenizer: ByteTokenizer()).generate(prompt: "Hello", parameters: p)
        #expect(result.tokens.count == 64 - 5 + 1 && result.finishReason == .length)
    }

    @Test func errorPolicyThrowsAClearMessage() throws {
        let model = try tinyModel()
        let gen = Generator(model: model, tokenizer: ByteTokenizer(), cacheType: .f16)
        var p = GenerationParameters(maxTokens: 500, sampling: Self.greedy, stopAtEndOfText: false, contextOverflow: .error)
        #expect(throws: GenerationError.contextFull(contextLength: 64)) { try gen.generate(prompt: "Hello", parameters: p) }
        #expect(GenerationError.contextFull(contextLength: 64).description.contains("context of 64 tokens"))
        p.maxTokens = 60                                                       // ends exactly at the edge: no error
        #expect(try gen.generate(prompt: "Hello", parameters: p).tokens.count == 60)
    }

    @Test func streamedErrorPolicyEndsWithTheError() async throws {
        // The stream carries the error `generate` throws, after the tokens that fit.
        let gen = Generator(model: try tinyModel(), tokenizer: ByteTokenizer())
        let p = GenerationParameters(maxTokens: 500, sampling: Self.greedy, stopAtEndOfText: false, contextOverflow: .error)
        var tokens = 0, finished = false
        await #expect(throws: GenerationError.contextFull(contextLength: 64)) {
            for try await event in try gen.events(prompt: "Hello", parameters: p) {
                if case .token = event { tokens += 1 }
                if case .finished = event { finished = true }
            }
        }
        #expect(tokens == 60 && !finished)
    }

    @Test func batchedErrorPolicyEndsWithLength() throws {
        let engine = BatchGenerator(model: try tinyModel(), tokenizer: ByteTokenizer(), cacheType: .f16)
        let p = GenerationParameters(maxTokens: 500, sampling: Self.greedy, stopAtEndOfText: false, contextOverflow: .error)
        _ = try engine.add(prompt: "Hello", parameters: p)
        var events: [BatchGenerator.Event] = []
        while !engine.isEmpty { events += try engine.step() }
        let result = GenerationResult(events: events.map(\.event))
        #expect(result.tokens.count == 60 && result.finishReason == .length)
        #expect(events.last?.error == .contextFull(contextLength: 64))        // the scheduler's stream throws it
    }

    @Test func keepOutsideTheContextIsRejected() throws {
        let gen = Generator(model: try tinyModel(), tokenizer: ByteTokenizer())
        let p = GenerationParameters(contextOverflow: .shift(keep: 63))
        #expect(throws: GenerationError.self) { try gen.generate(prompt: "Hi", parameters: p) }
        #expect(ContextOverflow(name: "slide", keep: 2) == .shift(keep: 2) && ContextOverflow(name: "wrap") == nil)
    }

    @Test func shiftedWindowKeepsThePrefixAndDropsHalfTheRest() {
        let history = Array(0..<65)                                            // a full cache of 64 + 1 new
        let w = ContextOverflow.shiftedWindow(history, keep: 4, capacity: 64)
        #expect(w == Array(0..<4) + Array(34..<65))                            // 30 = (64 − 4) / 2 dropped
        // 29 tokens later the cache (4 kept + 60 newest) is full again: the window follows it.
        let later = ContextOverflow.shiftedWindow(Array(0..<94), keep: 4, capacity: 64)
        #expect(later == Array(0..<4) + Array(63..<94))
    }

    /// The oracle: at every step a fresh cache runs the whole kept window (the tokens the model may
    /// see), takes the argmax, and applies the shift rule by plain list surgery when the window would
    /// exceed the context.
    static func oracle(_ model: any LanguageModel, prompt: [Int], keep: Int, count: Int, type: KVCacheType) throws -> [Int] {
        var window = prompt, out: [Int] = []
        let capacity = model.contextLength, discard = (capacity - keep) / 2
        while out.count < count {
            let row = try model.forward(window, cache: model.makeCache(type: type)).scalars
            let next = Sampler.argmax(row)
            out.append(next)
            window.append(next)
            if window.count > capacity { window.removeSubrange(keep..<keep + discard) }
        }
        return out
    }

    @Test(arguments: [KVCacheType.f32, .f16])
    func shiftEqualsAFreshRunOnTheKeptWindow(storage: KVCacheType) throws {
        for model in [try tinyModel() as any LanguageModel, try tinyLlama()] {
            let prompt = ByteTokenizer().encode("Once upon a time")
            let p = GenerationParameters(maxTokens: 150, sampling: Self.greedy, stopAtEndOfText: false,
                                         contextOverflow: .shift(keep: 3))
            let result = try Generator(model: model, tokenizer: ByteTokenizer(), cacheType: storage).generate(promptTokens: prompt, parameters: p)
            #expect(result.tokens.count == 150 && result.finishReason == .length)   // well past the context of 64
            #expect(result.tokens == (try Self.oracle(model, prompt: prompt, keep: 3, count: 150, type: storage)), "\(model.contextLength) \(storage)")
        }
    }

    /// Batched decoding with F16 caches gives each request what it gets alone, a context shift included.
    @Test func batchedF16EqualsAlone() throws {
        for model in [try tinyModel() as any LanguageModel, try tinyLlama()] {
            var requests = BatchGeneratorTests.requests
            requests.append(("shift me", .init(maxTokens: 90, sampling: Self.greedy, stopAtEndOfText: false,
                                               contextOverflow: .shift(keep: 2))))
            let gen = Generator(model: model, tokenizer: ByteTokenizer(), cacheType: .f16)
            let alone = try requests.map { try gen.generate(prompt: $0.prompt, parameters: $0.parameters) }
            let engine = BatchGenerator(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 4, cacheType: .f16)
            var ids: [Int: Int] = [:], events: [Int: [GenerationEvent]] = [:]
            for (i, r) in requests.enumerated() { ids[try engine.add(prompt: r.prompt, parameters: r.parameters)] = i }
            while !engine.isEmpty { for e in try engine.step() { events[ids[e.request]!, default: []].append(e.event) } }
            let batched = requests.indices.map { GenerationResult(events: events[$0] ?? []) }
            #expect(batched.last!.tokens.count == 90)
            BatchGeneratorTests.expectSame(batched, alone)
        }
    }
}
