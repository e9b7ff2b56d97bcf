// Per-tensor types of the quantization mixtures against llama.cpp's llama-quantize: the fixture
// (Scripts/reference/llama_quantize_types.py) lists SmolLM2-135M's tensors in file order and the type
// llama-quantize chose for each under Q4_K_M, Q5_K_M and Q6_K; a file with the same names and row
// lengths (one row each) must get the same plan. Plus the rules the fixture cannot show.
import Foundation
import Testing
@testable import QuillFormats

@Suite struct GGUFQuantizationPlanTests {
    struct Reference: Decodable {
        struct Tensor: Decodable { let name: String, dims: [Int], type: String }
        let metadata: [String: Int]
        let tensors: [Tensor]
        let mixtures: [String: [String: String]]
    }

    /// A GGUF holding `tensors` as F32 with one row each (ne0 kept), so only names and row lengths count.
    static func file(_ tensors: [(String, Int, Bool)], metadata: [String: Int]) throws -> GGUFFile {
        var writer = GGUFWriter()
        writer.addMetadata("general.architecture", .string("llama"))
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { writer.addMetadata(key, .uint32(UInt32(value))) }
        for (name, columns, matrix) in tensors {
            try writer.addTensor(name: name, shape: matrix ? [1, columns] : [columns], floats: [Float](repeating: 0.5, count: columns))
        }
        return try GGUFFile(bytes: writer.serialized(), fileName: "plan.gguf")
    }

    @Test(arguments: [("Q4_K_M", GGUFQuantizationTarget.q4_K_M), ("Q5_K_M", .q5_K_M), ("Q6_K", .q6_K)])
    func mixturesMatchLlamaQuantize(name: String, target: GGUFQuantizationTarget) throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: TestFiles.fixture("llama-quantize-types.json")))
        let file = try Self.file(reference.tensors.map { ($0.name, $0.dims[0], $0.dims.count > 1) }, metadata: reference.metadata)
        let plan = GGUFQuantizationPlan(file: file, target: target)
        let expected = try #require(reference.mixtures[name])
        for (info, source) in zip(file.tensors, reference.tensors) {
            let ours = plan.type(for: info)?.name ?? source.type       // nil: copied in its source type
            #expect(ours == expected[info.name], "\(name) \(info.name)")
        }
    }

    @Test func untiedOutputAndPureTypes() throws {
        let file = try Self.file([("token_embd.weight", 512, true), ("output.weight", 512, true), ("blk.0.attn_v.weight", 512, true),
                                  ("blk.0.ffn_down.weight", 1000, true), ("blk.0.attn_norm.weight", 512, false),
                                  ("blk.0.attn_q.weight", 40, true)],
                                 metadata: ["llama.block_count": 1])
        let t = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0) })
        let km = GGUFQuantizationPlan(file: file, target: .q4_K_M)
        #expect(km.type(for: t["output.weight"]!) == .q6_K)          // the output rule
        #expect(km.type(for: t["token_embd.weight"]!) == .q4_K)      // untied: the default type
        #expect(km.type(for: t["blk.0.attn_v.weight"]!) == .q6_K)    // first eighth of the layers
        #expect(km.type(for: t["blk.0.ffn_down.weight"]!) == .f16)   // 1000 fits neither Q6_K nor Q8_0
        #expect(km.type(for: t["blk.0.attn_norm.weight"]!) == nil)   // 1-D: copied
        let pure = GGUFQuantizationPlan(file: file, target: .uniform(.q4_K))
        #expect(pure.type(for: t["output.weight"]!) == .q4_K && pure.type(for: t["blk.0.attn_v.weight"]!) == .q4_K)
        #expect(pure.type(for: t["blk.0.attn_q.weight"]!) == .f16)
        #expect(GGUFQuantizationTarget(name: "Q4_K_M") == .q4_K_M && GGUFQuantizationTarget(name: "iq4_nl") == .uniform(.iq4_NL))
        #expect(GGUFQuantizationTarget(name: "iq2_xxs") == nil && GGUFQuantizationTarget(name: "q4_k_s") == nil)
    }
}
