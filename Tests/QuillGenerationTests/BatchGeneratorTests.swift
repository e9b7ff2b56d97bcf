// Continuous batching gives every sequence exactly what it gets alone: mixed prompts, lengths,
// sampling settings and stop conditions; requests joining late, waiting for room and finishing early;
// on GPT-2 and Llama. Also cancellation, bad requests, and the AsyncStream API.
import Foundation
import Testing
import QuillModels
import QuillTensor
import QuillTokenizer
@testable import QuillGeneration

@Suite("Batch generator")
struct BatchGeneratorTests {
    /// Six different requests: greedy, seeded sampling with each truncation and penalty, a stop string
    /// made likely by logit_bias, an end-of-text made likely, and a short limit.
    static let requests: [(prompt: String, parameters: GenerationParameters)] = [
        ("Hello", .init(maxTokens: 12, sampling: .init(temperature: 0), stopAtEndOfText: false)),
        ("a", .init(maxTokens: 20, sampling: .init(temperature: 1, topK: 20, seed: 7, logprobs: true, topLogprobs: 2))),
        ("The quick brown fox", .init(maxTokens: 16, sampling: .init(temperature: 0.8, topP: 0.9, minP: 0.05, seed: 3))),
        ("xy", .init(maxTokens: 30, sampling: .init(temperature: 1, logitBias: [65: 4], seed: 11), stop: ["A"])),
        ("zz", .init(maxTokens: 30, sampling: .init(temperature: 1, repetitionPenalty: 1.3, presencePenalty: 0.5,
                                                   frequencyPenalty: 0.5, logitBias: [256: 4], seed: 5))),
        ("q", .init(maxTokens: 3, sampling: .init(temperature: 1.2, seed: 1))),
    ]

    static func alone(_ model: any LanguageModel) throws -> [GenerationResult] {
        let gen = Generator(model: model, tokenizer: ByteTokenizer())
        return try requests.map { try gen.generate(prompt: $0.prompt, parameters: $0.parameters) }
    }

    /// Adds requests at the given steps (request index → step), runs to completion, collects results.
    static func batched(_ model: any LanguageModel, joinAt: [Int], maxBatchSize: Int) throws -> [GenerationResult] {
        let engine = BatchGenerator(model: model, tokenizer: ByteTokenizer(), maxBatchSize: maxBatchSize)
        var ids: [Int: Int] = [:], events: [Int: [GenerationEvent]] = [:], step = 0
        while ids.count < requests.count || !engine.isEmpty {
            for (i, r) in requests.enumerated() where joinAt[i] == step {
                ids[try engine.add(prompt: r.prompt, parameters: r.parameters)] = i
            }
            for e in try engine.step() { events[ids[e.request]!, default: []].append(e.event) }
            step += 1
        }
        return requests.indices.map { GenerationResult(events: events[$0] ?? []) }
    }

    static func expectSame(_ got: [GenerationResult], _ want: [GenerationResult]) {
        for (i, (g, w)) in zip(got, want).enumerated() {
            #expect(g.tokens == w.tokens, "request \(i)")
            #expect(g.text == w.text, "request \(i)")
            #expect(g.finishReason == w.finishReason, "request \(i)")
            // Batched rows go through sgemm and single rows through sgemv: the same tokens, with
            // log-probabilities equal up to float rounding.
            #expect(closeLogprobs(g.logprobs, w.logprobs), "request \(i)")
        }
    }

    static func closeLogprobs(_ a: [TokenLogprob]?, _ b: [TokenLogprob]?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.id == y.id && abs(x.logprob - y.logprob) < 1e-4 && x.top.map(\.id) == y.top.map(\.id)
                && zip(x.top, y.top).allSatisfy { abs($0.logprob - $1.logprob) < 1e-4 }
        }
    }

    @Test func allAtOnceEqualsAlone() throws {
        let model = try tinyModel()
        let want = try Self.alone(model)
        #expect(Set(want.map(\.finishReason)) == [.stop, .length], "the requests should end in different ways")
        #expect(want[3].finishReason == .stop && want[3].tokens.count < 30)
        Self.expectSame(try Self.batched(model, joinAt: [0, 0, 0, 0, 0, 0], maxBatchSize: 8), want)
    }

    @Test func lateJoinersAndAFullBatchEqualAlone() throws {
        let model = try tinyModel()
        let want = try Self.alone(model)
        Self.expectSame(try Self.batched(model, joinAt: [0, 2, 2, 5, 9, 3], maxBatchSize: 8), want)
        Self.expectSame(try Self.batched(model, joinAt: [0, 0, 1, 1, 1, 4], maxBatchSize: 2), want)
    }

    @Test func llamaBatchEqualsAlone() throws {
        let model = try tinyLlama()
        Self.expectSame(try Self.batched(model, joinAt: [0, 1, 1, 3, 0, 2], maxBatchSize: 4), try Self.alone(model))
    }

    @Test(arguments: [WeightType.q8_0, .q4_0])
    func quantizedBatchEqualsAlone(type: WeightType) throws {
        // Stored-format weights take the same per-sequence path batched as alone.
        let gpt = try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 64, contextLength: 64, vocabularySize: 257,
                                            eosTokenID: 256), seed: 11)
        try gpt.quantize(to: type)
        Self.expectSame(try Self.batched(gpt, joinAt: [0, 1, 1, 3, 0, 2], maxBatchSize: 4), try Self.alone(gpt))
        let llama = try tinyLlama()
        try llama.quantize(to: type)
        Self.expectSame(try Self.batched(llama, joinAt: [0, 0, 2, 2, 1, 0], maxBatchSize: 8), try Self.alone(llama))
    }

    @Test func cancelEndsOneRequestAndLeavesTheOthers() throws {
        let model = try tinyModel()
        let engine = BatchGenerator(model: model, tokenizer: ByteTokenizer())
        let a = try engine.add(prompt: "a", parameters: .init(maxTokens: 10, sampling: .init(temperature: 0), stopAtEndOfText: false))
        let b = try engine.add(prompt: "b", parameters: .init(maxTokens: 10, sampling: .init(temperature: 0), stopAtEndOfText: false))
        _ = try engine.step()
        let cancelled = engine.cancel(a)
        guard case .finished(.cancelled, _)? = cancelled.last?.event else { Issue.record("no cancelled event"); return }
        #expect(engine.activeCount == 1)
        var tokensOfB = 1
        while !engine.isEmpty { tokensOfB += try engine.step().filter { if case .token = $0.event { $0.request == b } else { false } }.count }
        #expect(tokensOfB == 10)
    }

    @Test func badRequestsThrowAtAdd() throws {
        let engine = BatchGenerator(model: try tinyModel(), tokenizer: ByteTokenizer())
        #expect(throws: GenerationError.self) { try engine.add(promptTokens: [300], parameters: .init()) }
        #expect(throws: GenerationError.self) { try engine.add(promptTokens: [1], parameters: .init(sampling: .init(logitBias: [257: 1]))) }
        #expect(throws: GenerationError.self) { try engine.add(promptTokens: Array(repeating: 1, count: 64), parameters: .init()) }
        #expect(engine.isEmpty)
    }

    @Test func asyncStreamMatchesTheDirectCall() async throws {
        let model = try tinyModel()
        let (prompt, parameters) = Self.requests[1]
        let want = try Generator(model: model, tokenizer: ByteTokenizer()).generate(prompt: prompt, parameters: parameters)
        var events: [GenerationEvent] = []
        for try await e in try Generator(model: model, tokenizer: ByteTokenizer()).events(prompt: prompt, parameters: parameters) {
            events.append(e)
        }
        let got = GenerationResult(events: events)
        #expect(got.tokens == want.tokens && got.text == want.text && Self.closeLogprobs(got.logprobs, want.logprobs))
        guard case .finished(_, let stats)? = events.last else { Issue.record("stream did not end with .finished"); return }
        #expect(stats.generatedTokens == want.tokens.count && stats.promptTokens == 1)
        #expect(throws: GenerationError.self) { try Generator(model: model, tokenizer: ByteTokenizer()).events(promptTokens: [999], parameters: .init()) }
    }
}

@Suite("Batch scheduler")
struct BatchSchedulerTests {
    @Test func concurrentStreamsEachGetTheirSoloResult() async throws {
        let model = try tinyModel()
        let want = try BatchGeneratorTests.alone(model)
        let scheduler = BatchScheduler(model: model, tokenizer: ByteTokenizer(), maxBatchSize: 4)
        defer { scheduler.shutdown() }
        let streams = try BatchGeneratorTests.requests.map { try scheduler.submit(prompt: $0.prompt, parameters: $0.parameters) }
        var got: [GenerationResult] = []
        for stream in streams {
            var events: [GenerationEvent] = []
            for try await e in stream { events.append(e) }
            got.append(GenerationResult(events: events))
        }
        BatchGeneratorTests.expectSame(got, want)
        #expect(throws: GenerationError.self) { try scheduler.submit(promptTokens: [], parameters: .init(maxTokens: -1)) }
    }

    @Test func droppingAStreamCancelsItsRequest() async throws {
        let scheduler = BatchScheduler(model: try tinyModel(), tokenizer: ByteTokenizer())
        defer { scheduler.shutdown() }
        let long = GenerationParameters(maxTokens: 60, sampling: .init(temperature: 0), stopAtEndOfText: false)
        var tokens = 0
        for try await e in try scheduler.submit(prompt: "a", parameters: long) {
            if case .token = e { tokens += 1 }
            if tokens == 3 { break }                    // ends the stream → the request is cancelled
        }
        // The scheduler keeps serving others.
        var finished = false
        for try await e in try scheduler.submit(prompt: "b", parameters: .init(maxTokens: 4, sampling: .init(temperature: 0))) {
            if case .finished = e { finished = true }
        }
        #expect(finished)
    }
}
