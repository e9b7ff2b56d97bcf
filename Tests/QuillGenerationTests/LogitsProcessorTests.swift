// Logits processors and the new truncations against hand-computed values: HF repetition penalty,
// OpenAI presence/frequency penalties and logit_bias, min-p, top-p by heap (same set as sorting),
// log-probabilities, and typed errors for every bad parameter.
import Foundation
import Testing
import QuillTensor
@testable import QuillGeneration

@Suite("Logits processors")
struct LogitsProcessorTests {
    let logits: [Float] = [0.5, 2.0, -1.0, 1.5, 0.0, 3.0, 1.0, -2.0]

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegative() {
        var z = logits
        RepetitionPenalty(2).process(&z, history: TokenHistory(prompt: [1, 2, 1]))
        #expect(z == [0.5, 1.0, -2.0, 1.5, 0.0, 3.0, 1.0, -2.0])
    }

    @Test func presenceAndFrequencyCountOnlyGeneratedTokens() {
        var history = TokenHistory(prompt: [0])
        for id in [3, 3, 5] { history.append(id) }
        var z = logits
        OccurrencePenalty(presence: 0.5, frequency: 0.25).process(&z, history: history)
        #expect(z[0] == 0.5)                       // prompt only: untouched
        #expect(z[3] == 1.5 - 0.5 - 2 * 0.25)
        #expect(z[5] == 3.0 - 0.5 - 0.25)
    }

    @Test func logitBiasCanBanAndForce() {
        var s = Sampler(SamplingParameters(temperature: 0, logitBias: [5: -100]))
        #expect(s.sample(logits) == 1)
        var t = Sampler(SamplingParameters(temperature: 1, logitBias: [7: 100], seed: 3))
        #expect((0..<50).allSatisfy { _ in t.sample(logits) == 7 })
    }

    @Test func repetitionPenaltyChangesGreedyChoiceAfterRepeats() {
        var s = Sampler(SamplingParameters(temperature: 0, repetitionPenalty: 10), prompt: [5])
        #expect(s.sample(logits) == 1)            // 3.0 / 10 < 2.0
        #expect(s.sample(logits) == 3)            // 1 is now seen too
    }

    @Test func minPKeepsTokensAboveTheFractionOfTheBest() {
        // p_i / p_max = e^(z_i − 3): keeps z ≥ 3 + ln 0.3 ≈ 1.80 → {5, 1}
        let kept = Sampler.allowedTokens(logits, topK: 0, topP: 1, minP: 0.3, temperature: 1).tokens.map(\.id)
        #expect(Set(kept) == [5, 1])
        var s = Sampler(SamplingParameters(temperature: 1, minP: 0.3, seed: 2))
        #expect(Set((0..<1000).map { _ in s.sample(logits) }) == [5, 1])
    }

    @Test(arguments: [0.05, 0.3, 0.5, 0.9, 0.99] as [Float])
    func topPByHeapMatchesSorting(p: Float) {
        var rng = RandomGenerator(seed: 4)
        let big = (0..<3000).map { _ in 2 * rng.nextNormal() }
        let got = Sampler.allowedTokens(big, topK: 0, topP: p, temperature: 0.7).tokens.map(\.id)
        let probs = big.map { expf(($0 - big.max()!) / 0.7) }
        let order = big.indices.sorted { probs[$0] > probs[$1] || (probs[$0] == probs[$1] && $0 < $1) }
        let total = probs.reduce(0, +)
        var mass: Float = 0, expected: [Int] = []
        for i in order where expected.isEmpty || mass < p * total { expected.append(i); mass += probs[i] }
        #expect(got == expected)
    }

    @Test func logprobsMatchLogSoftmax() {
        var s = Sampler(SamplingParameters(temperature: 0, logprobs: true, topLogprobs: 3))
        let token = s.next(logits)
        let logZ = log(logits.map { exp(Double($0)) }.reduce(0, +))
        #expect(token.id == 5)
        let lp = try! #require(token.logprob)
        #expect(abs(Double(lp.logprob) - (3.0 - logZ)) < 1e-5)
        #expect(lp.top.map(\.id) == [5, 1, 3])
        #expect(abs(Double(lp.top[2].logprob) - (1.5 - logZ)) < 1e-5)
        var plain = Sampler(SamplingParameters(temperature: 0))
        #expect(plain.next(logits).logprob == nil)
    }

    @Test(arguments: [
        SamplingParameters(minP: 1.5), SamplingParameters(repetitionPenalty: 0),
        SamplingParameters(presencePenalty: 3), SamplingParameters(frequencyPenalty: -2.5),
        SamplingParameters(logitBias: [3: 101]), SamplingParameters(logitBias: [8: 1]),
        SamplingParameters(logitBias: [-1: 1]), SamplingParameters(topLogprobs: 2),
        SamplingParameters(logprobs: true, topLogprobs: 21), SamplingParameters(temperature: .nan),
    ])
    func badParametersThrowTypedErrors(p: SamplingParameters) {
        #expect(throws: GenerationError.self) { try p.validate(vocabularySize: 8) }
    }

    @Test func goodParametersPass() throws {
        try SamplingParameters(temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, repetitionPenalty: 1.1,
                               presencePenalty: 0.5, frequencyPenalty: 0.5, logitBias: [7: -100],
                               logprobs: true, topLogprobs: 5).validate(vocabularySize: 8)
    }
}
