// Sampling rules: temperature 0 is greedy, a fixed seed reproduces the draw sequence, and top-k /
// top-p never pick outside their allowed sets (checked over many draws from a known distribution).
import Testing
import QuillTensor
@testable import QuillGeneration

@Suite("Sampler")
struct SamplerTests {
    let logits: [Float] = [0.5, 2.0, -1.0, 1.5, 0.0, 3.0, 1.0, -2.0]

    @Test func temperatureZeroIsArgmax() {
        var s = Sampler(SamplingParameters(temperature: 0, seed: 1))
        for _ in 0..<20 { #expect(s.sample(logits) == 5) }
    }

    @Test func sameSeedSameDraws() {
        var a = Sampler(SamplingParameters(temperature: 1, seed: 9)), b = Sampler(SamplingParameters(temperature: 1, seed: 9))
        let xa = (0..<200).map { _ in a.sample(logits) }, xb = (0..<200).map { _ in b.sample(logits) }
        #expect(xa == xb)
        #expect(Set(xa).count > 3, "temperature 1 should visit several tokens")
    }

    @Test(arguments: [1, 2, 3, 5])
    func topKStaysInTheKLargest(k: Int) {
        let allowed = Set(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(k))
        var s = Sampler(SamplingParameters(temperature: 2, topK: k, seed: 3))
        let seen = Set((0..<2000).map { _ in s.sample(logits) })
        #expect(seen.isSubset(of: allowed))
        #expect(seen.count == k, "with temperature 2 every allowed token should appear in 2000 draws")
    }

    @Test func topPKeepsTheSmallestNucleus() {
        // Softmax of the logits: the top tokens 5 (0.44), 1 (0.16), 3 (0.10) ... nucleus for p = 0.6 is {5, 1}.
        let probs = logits.map { expf($0) }
        let total = probs.reduce(0, +)
        #expect(probs[5] / total < 0.6 && (probs[5] + probs[1]) / total >= 0.6)
        var s = Sampler(SamplingParameters(temperature: 1, topP: 0.6, seed: 4))
        let seen = Set((0..<2000).map { _ in s.sample(logits) })
        #expect(seen == [5, 1])
    }

    @Test func topKHeapMatchesSorting() {
        var rng = RandomGenerator(seed: 7)
        let big = (0..<5000).map { _ in rng.nextNormal() }
        let heap = Set(Sampler.topKIndices(big, k: 40))
        let sorted = Set(big.indices.sorted { big[$0] > big[$1] }.prefix(40))
        #expect(heap == sorted)
    }

    @Test func invalidParametersAreRejected() {
        #expect(throws: GenerationError.self) { try SamplingParameters(temperature: -1).validate() }
        #expect(throws: GenerationError.self) { try SamplingParameters(topP: 0).validate() }
        #expect(throws: GenerationError.self) { try SamplingParameters(topK: -3).validate() }
    }
}

import Foundation
