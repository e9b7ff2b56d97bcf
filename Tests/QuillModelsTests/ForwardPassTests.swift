// The three uses of each architecture's one layer body agree: training logits (the tape's path) equal
// the cached path's logits for every token, and a batched step gives each sequence exactly the logits
// it gets alone (bit for bit on stored-format weights, whose kernels are chosen per sequence).
import Testing
import QuillModels
import QuillTensor

@Suite("One forward path")
struct ForwardPassTests {
    static func gpt(_ type: WeightType?) throws -> GPT {
        let model = try GPT(config: GPTConfig(nLayer: 2, nHead: 2, nEmbd: 64, contextLength: 64, vocabularySize: 97), seed: 3)
        try model.quantize(to: type)
        return model
    }

    static func llama(_ type: WeightType?, scaling: RoPEScaling? = nil) throws -> Llama {
        let config = LlamaConfig(vocabularySize: 97, hiddenSize: 64, intermediateSize: 96, layerCount: 2, headCount: 4,
                                 kvHeadCount: 2, ropeScaling: scaling, maxPositionEmbeddings: 64)
        let model = try Llama(config: config, seed: 4)
        try model.quantize(to: type)
        return model
    }

    static let ids: [Int] = [5, 17, 3, 88, 42, 42, 9, 60, 1, 33, 70, 2]

    /// Training logits for two rows of T tokens against each row run alone through the cache.
    /// Tolerance 2e-5 max abs: the training and cached attention kernels sum in different orders.
    func trainingEqualsCached(_ model: any LanguageModel, training: ([Int32], Int, Int) -> Tensor) throws {
        let T = Self.ids.count / 2, V = model.vocabularySize
        let full = training(Self.ids.map { Int32($0) }, 2, T).scalars                      // (2·T, V)
        for b in 0..<2 {
            let row = Array(Self.ids[b * T..<(b + 1) * T])
            let cached = try model.forward(row, cache: model.makeCache(), allLogits: true).scalars   // (T, V)
            let worst = zip(cached, full[b * T * V..<(b + 1) * T * V]).map { abs($0 - $1) }.max()!
            #expect(worst < 2e-5, "row \(b): max |Δlogit| \(worst)")
        }
    }

    @Test func gptTrainingLogitsEqualCachedLogits() throws {
        let model = try Self.gpt(nil)
        try trainingEqualsCached(model) { ids, B, T in
            var rng = RandomGenerator(seed: 0)
            return model.logits(ids, batch: B, time: T, rng: &rng)
        }
    }

    @Test func llamaTrainingLogitsEqualCachedLogits() throws {
        let model = try Self.llama(nil)
        try trainingEqualsCached(model) { ids, B, T in model.logits(ids, batch: B, time: T) }
    }

    /// Steps of (sequence → new tokens): fresh prompts of 1–6 tokens beside decode steps, a prompt
    /// continued from a filled cache, and (for dynamic NTK) sequences past the original context of 8.
    static let steps: [[Int: [Int]]] = [
        [0: [1, 2, 3, 4, 5, 6], 1: [9], 2: [40, 41]],
        [0: [7], 1: [8, 9, 10, 11, 12], 2: [9]],
        [0: [10, 11, 12, 13], 2: [11], 3: [1, 2, 3, 4]],
        [0: [12], 1: [13], 2: [14], 3: [15]],
    ]

    /// Every batched row against the same sequence run alone; `tolerance` 0 asks for identical bits.
    func batchedEqualsSolo(_ model: any LanguageModel, tolerance: Float) throws {
        let alone = (0..<4).map { _ in model.makeCache() }, together = (0..<4).map { _ in model.makeCache() }
        let V = model.vocabularySize
        for step in Self.steps {
            let order = step.keys.sorted()
            let batched = try model.forwardBatch(order.map { step[$0]! }, caches: order.map { together[$0] }).scalars
            for (row, s) in order.enumerated() {
                let solo = try model.forward(step[s]!, cache: alone[s]).scalars
                let got = Array(batched[row * V..<(row + 1) * V])
                if tolerance == 0 {
                    #expect(solo.map(\.bitPattern) == got.map(\.bitPattern), "sequence \(s) at \(alone[s].length)")
                } else {
                    let worst = zip(solo, got).map { abs($0 - $1) }.max()!
                    #expect(worst <= tolerance, "sequence \(s) at \(alone[s].length): max |Δlogit| \(worst)")
                }
                #expect(alone[s].length == together[s].length)
            }
        }
    }

    @Test(arguments: [WeightType.f32, .f16, .q8_0, .q4_0])
    func batchedStepIsBitIdenticalToSoloOnStoredWeights(type: WeightType) throws {
        try batchedEqualsSolo(try Self.gpt(type), tolerance: 0)
        try batchedEqualsSolo(try Self.llama(type), tolerance: 0)
        // Dynamic NTK: each sequence turns by the table for its own length, as it does alone.
        try batchedEqualsSolo(try Self.llama(type, scaling: .dynamic(factor: 2, originalContextLength: 8)), tolerance: 0)
    }

    /// Float weights: a batch's 2–8 rows go through the few-row kernel, one sequence's through BLAS.
    /// Tolerance 1e-4 max abs (summation order only).
    @Test func batchedStepMatchesSoloOnFloatWeights() throws {
        try batchedEqualsSolo(try Self.gpt(nil), tolerance: 1e-4)
        try batchedEqualsSolo(try Self.llama(nil), tolerance: 1e-4)
        try batchedEqualsSolo(try Self.llama(nil, scaling: .dynamic(factor: 2, originalContextLength: 8)), tolerance: 1e-4)
    }

    @Test func oneSequenceBatchIsTheSoloForward() throws {
        for model in [try Self.gpt(nil) as any LanguageModel, try Self.llama(nil)] {
            let a = model.makeCache(), b = model.makeCache()
            let solo = try model.forward([4, 8, 15], cache: a).scalars
            let batch = try model.forwardBatch([[4, 8, 15]], caches: [b]).scalars
            #expect(solo.map(\.bitPattern) == batch.map(\.bitPattern))
        }
    }
}
