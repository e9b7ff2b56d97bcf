// The batched forward pass against one forward per sequence: mixed prefill and decode rows, GPT-2
// and Llama (grouped-query) models, caches left in the same state; cache copies are independent.
import Testing
import QuillModels
import QuillTensor
@testable import QuillGeneration

func tinyLlama() throws -> Llama {
    try Llama(config: LlamaConfig(vocabularySize: 257, hiddenSize: 32, intermediateSize: 64, layerCount: 2,
                                  headCount: 4, kvHeadCount: 2, maxPositionEmbeddings: 64, eosTokenIDs: [256]), seed: 5)
}

@Suite("Batched forward")
struct BatchedForwardTests {
    /// Steps of (sequence → new tokens): the first step prefills prompts of different lengths, later
    /// steps mix one-token decodes with a late prompt.
    static let steps: [[Int: [Int]]] = [
        [0: [1, 2, 3, 4, 5], 1: [9], 2: [40, 41, 42]],
        [0: [7], 1: [8], 2: [9]],
        [0: [10], 2: [11], 3: [100, 101, 102, 103]],
        [1: [12], 3: [13]],
    ]

    func compare(_ model: any LanguageModel) throws {
        let alone = (0..<4).map { _ in model.makeCache() }, together = (0..<4).map { _ in model.makeCache() }
        for step in Self.steps {
            let ids = step.keys.sorted()
            let batched = try model.forwardBatch(ids.map { step[$0]! }, caches: ids.map { together[$0] })
            let V = model.vocabularySize
            #expect(batched.shape == [ids.count, V])
            for (row, s) in ids.enumerated() {
                let single = try model.forward(step[s]!, cache: alone[s]).scalars
                let b = Array(batched.scalars[row * V..<(row + 1) * V])
                let worst = zip(single, b).map { abs($0 - $1) }.max()!
                #expect(worst < 1e-4, "sequence \(s): max |Δlogit| \(worst)")
                #expect(alone[s].length == together[s].length)
            }
        }
    }

    @Test func gptBatchEqualsOneForwardPerSequence() throws { try compare(try tinyModel()) }
    @Test func llamaBatchEqualsOneForwardPerSequence() throws { try compare(try tinyLlama()) }

    @Test func badSequenceFailsTheStepBeforeAnyCacheIsWritten() throws {
        let model = try tinyModel()
        let a = model.makeCache(), b = model.makeCache()
        #expect(throws: ModelError.self) { try model.forwardBatch([[1, 2], [999]], caches: [a, b]) }
        #expect(a.length == 0 && b.length == 0)
    }

    @Test func cacheCopyIsIndependent() throws {
        let model = try tinyModel()
        let a = model.makeCache()
        _ = try model.forward([1, 2, 3], cache: a)
        let b = a.copy()
        let la = try model.forward([4], cache: a).scalars, lb = try model.forward([4], cache: b).scalars
        #expect(la == lb)
        _ = try model.forward([5], cache: a)
        #expect(a.length == 5 && b.length == 4)
    }
}

@Suite("Few-row matmul")
struct FewRowMatmulTests {
    @Test(arguments: [1, 2, 5, 8])
    func matchesBLAS(rows: Int) {
        var rng = RandomGenerator(seed: UInt64(rows))
        for (K, N) in [(64, 96), (48, 77), (20, 33), (19, 1100)] {
            let x = Tensor(zeros: [rows, K]); x.fillNormal(std: 1, rng: &rng)
            let bias = Tensor(zeros: [N]); bias.fillNormal(std: 1, rng: &rng)
            for layout in [WeightLayout.inputByOutput, .outputByInput] {
                let w = Tensor(zeros: layout == .inputByOutput ? [K, N] : [N, K]); w.fillNormal(std: 1, rng: &rng)
                for b in [nil, bias] {
                    let want = matmul(x, w, bias: b, layout: layout).scalars, got = fewRowMatmul(x, w, bias: b, layout: layout).scalars
                    let worst = zip(want, got).map { abs($0 - $1) }.max()!
                    #expect(worst < 1e-4, "K \(K) N \(N) \(layout): max |Δ| \(worst)")
                }
            }
        }
    }
}
