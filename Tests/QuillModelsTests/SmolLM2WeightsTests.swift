// SmolLM2-135M-Instruct as shipped (Q4_1 ×210, Q8_0 token_embd, F32 norms) runs with its weights in
// place: every projection is a WeightMatrix over the mapped file (q/k through llama.cpp's row
// interleave), nothing is materialized, and the logits agree with the float copies the same load
// fills on demand. Skipped with a message when the asset is absent.
import Foundation
import Testing
import QuillFormats
import QuillModels
import QuillTensor
import TestSupport

@Suite("SmolLM2 weights in place")
struct SmolLM2WeightsTests {
    static let url = Fixtures.asset("SmolLM2-135M-Instruct.Q4_1.gguf")

    @Test(.enabled(if: url != nil, "SmolLM2-135M-Instruct.Q4_1.gguf asset absent: run Scripts/setup/fetch_assets.sh"))
    func q4_1WeightsRunInPlace() throws {
        let file = try GGUFFile(url: Self.url!)
        let model = try #require(try GGUFCheckpoint.loadModel(file, forInference: true) as? Llama)
        let weights = try #require(model.inferenceWeights)
        let layers = weights.matrices.filter { $0.key.hasPrefix("model.layers.") }
        #expect(layers.count == 30 * 7 && layers.values.allSatisfy { $0.type == .q4_1 })
        #expect(weights.matrices["head"]?.type == .q8_0, "tied head on token_embd")
        // Views into the mapping, not copies: q (interleaved rows, reordered outputs) and down.
        for (name, gguf) in [("model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q.weight"),
                             ("model.layers.29.mlp.down_proj.weight", "blk.29.ffn_down.weight")] {
            let m = try #require(weights.matrices[name])
            try file.requireTensor(named: gguf).withUnsafeBytes { #expect(m.base == UnsafeRawPointer($0.baseAddress!), "\(name)") }
        }
        #expect(weights.matrices["model.layers.0.self_attn.k_proj.weight"]?.outputOrder != nil)

        let ids = [1, 9690, 198, 504, 3575, 282, 4649, 314]
        let cache = model.makeCache()
        let inPlace = try model.forward(ids, cache: cache, allLogits: true).scalars + model.forward([28], cache: cache).scalars
        #expect(!model.isMaterialized, "inference must not fill the float copies")
        #expect(inPlace.allSatisfy { $0.isFinite })

        // The same products through the float copies (dequantized and de-interleaved when filled) and
        // BLAS: only the activations' int8 rounding (per 32-block, every matmul of 30 layers) differs:
        // measured max |Δlogit| 1.1 over logits spanning −26…35; bound 2, and the same top token everywhere.
        try model.quantize(to: nil)
        let floatCache = model.makeCache()
        let float = try model.forward(ids, cache: floatCache, allLogits: true).scalars + model.forward([28], cache: floatCache).scalars
        let diff = Fixtures.maxAbsoluteDifference(inPlace, float)
        #expect(diff <= 2, "max |Δlogit| \(diff)")
        let V = model.vocabularySize
        for row in 0..<(float.count / V) {
            let a = Array(inPlace[row * V..<(row + 1) * V]), b = Array(float[row * V..<(row + 1) * V])
            #expect(a.firstIndex(of: a.max()!) == b.firstIndex(of: b.max()!), "position \(row)")
        }
    }
}
