// Beam search: width 1 is greedy on a real (tiny random) GPT; on a toy model whose next-token
// probabilities depend only on the last token, the beams, scores and the effect of the length
// penalty are checked against values worked out by hand.
import Foundation
import Testing
import QuillModels
import QuillTensor
import QuillTokenizer
@testable import QuillGeneration

/// A bigram "model": logits = ln P(next | last token) from a fixed table. The cache remembers the
/// tokens (one float per position), so forks and batched steps work as with a real model.
final class BigramModel: LanguageModel {
    let table: [[Float]]
    init(_ table: [[Float]]) { self.table = table }
    var vocabularySize: Int { table.count }
    var contextLength: Int { 16 }
    func makeCache() -> KVCache { KVCache(layers: 1, capacity: contextLength, width: 1) }
    func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor {
        try checkTokens(tokens, startingAt: cache.length)
        for (i, t) in tokens.enumerated() { cache.keys[0].pointer[cache.length + i] = Float(t) }
        cache.advance(by: tokens.count)
        return Tensor(shape: [1, table.count], scalars: table[tokens.last!].map { logf($0) })
    }
}

@Suite("Beam search")
struct BeamSearchTests {
    // A = 0, B = 1, C = 2, end-of-text = 3 (also the start token).
    static let model = BigramModel([
        [0.1, 0.2, 0.1, 0.6],      // after A
        [0.1, 0.1, 0.7, 0.1],      // after B
        [0.25, 0.25, 0.25, 0.25],  // after C
        [0.5, 0.3, 0.15, 0.05],    // at the start
    ])

    @Test func widthOneIsGreedy() throws {
        let model = try tinyModel()
        let greedy = try Generator(model: model, tokenizer: ByteTokenizer()).generate(
            promptTokens: [72, 105], parameters: .init(maxTokens: 15, sampling: .init(temperature: 0), stopAtEndOfText: false))
        let beam = try BeamSearch(model: model, endOfTextID: 256).run(
            promptTokens: [72, 105], parameters: .init(width: 1, maxTokens: 15, stopAtEndOfText: false))
        #expect(beam.count == 1 && beam[0].tokens == greedy.tokens)
    }

    /// Step 1 keeps A (.5), B (.3). Step 2: A·EOS (.30) finishes; B·C (.21) and A·B (.10) live.
    /// Step 3 (the limit): A·B·C (.07) and B·C·A (.0525, first of four ties) live, then finalised.
    @Test(arguments: [(Float(0), [[0], [0, 1, 2], [1, 2, 0]]), (Float(2), [[0, 1, 2], [0], [1, 2, 0]])])
    func handCheckedBeams(alpha: Float, expected: [[Int]]) throws {
        let result = try BeamSearch(model: Self.model, endOfTextID: 3).run(
            promptTokens: [3], parameters: .init(width: 2, maxTokens: 3, lengthPenalty: alpha, nBest: 2))
        // Three hypotheses finish (A·EOS, A·B·C, B·C·A); nBest = 2 returns the two best.
        #expect(result.map(\.tokens) == Array(expected.prefix(2)))
        let byTokens = Dictionary(uniqueKeysWithValues: result.map { ($0.tokens, $0) })
        if let a = byTokens[[0]] {
            #expect(abs(a.logprob - logf(0.3)) < 1e-5 && a.finishReason == .stop)
            #expect(abs(a.score - logf(0.3) / powf(2, alpha)) < 1e-5)
        }
        if let abc = byTokens[[0, 1, 2]] {
            #expect(abs(abc.logprob - logf(0.07)) < 1e-5 && abc.finishReason == .length)
            #expect(abs(abc.score - logf(0.07) / powf(3, alpha)) < 1e-5)
        }
    }

    @Test func widthThreeReturnsAllThreeHandCheckedHypotheses() throws {
        // Width 3: step 1 keeps A .5, B .3, C .15. Step 2: A·EOS .30 finishes; B·C .21, A·B .10 and
        // A·A .05 (ties A·C, lower id first) live — C's children (.0375) drop out. Step 3 (the limit):
        // A·B·C .07, then B·C·A and B·C·B (.0525, ties broken by token) fill the width.
        let r = try BeamSearch(model: Self.model, endOfTextID: 3).run(
            promptTokens: [3], parameters: .init(width: 3, maxTokens: 3, lengthPenalty: 0, nBest: 3))
        #expect(r.map(\.tokens) == [[0], [0, 1, 2], [1, 2, 0]])
        #expect(abs(r[2].logprob - logf(0.0525)) < 1e-5)
    }

    @Test func earlyStoppingEndsWhenWidthHypothesesFinish() throws {
        let model = BigramModel([[0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.6, 0.3999, 0.0001]])  // EOS = 2
        let r = try BeamSearch(model: model, endOfTextID: 2).run(
            promptTokens: [2], parameters: .init(width: 2, maxTokens: 10, lengthPenalty: 1, earlyStopping: true, nBest: 2))
        #expect(r.map(\.tokens) == [[0], [1]])
        #expect(r.allSatisfy { $0.finishReason == .stop })
        #expect(abs(r[0].logprob - logf(0.6 * 0.8)) < 1e-5)
    }

    @Test func badParametersThrow() {
        let search = BeamSearch(model: Self.model, endOfTextID: 3)
        #expect(throws: GenerationError.self) { try search.run(promptTokens: [3], parameters: .init(width: 0)) }
        #expect(throws: GenerationError.self) { try search.run(promptTokens: [3], parameters: .init(width: 2, nBest: 3)) }
        #expect(throws: GenerationError.self) { try search.run(promptTokens: [9], parameters: .init(width: 2)) }
    }
}
