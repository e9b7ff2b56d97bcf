// Every GGUF block format against the references in Fixtures/quant-blocks.gguf (written by
// Scripts/reference/quant_blocks.py): dequantization bit-identical to gguf-py on random valid blocks,
// quantization byte-identical to ggml's own quantizer, and the Q8_K activation to ggml's.
import Foundation
import Testing
import CQuillKernels
@testable import QuillFormats
import QuillTensor

@Suite struct BlockFormatTests {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_NL, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
    static let paths = KernelISA.allCases.filter { $0 != .best && $0.rawValue <= KernelISA.available.rawValue }

    static func fixture() throws -> GGUFFile { try GGUFFile(url: TestFiles.fixture("quant-blocks.gguf")) }

    /// gguf-py's gguf.quants.dequantize of the same blocks, bit for bit, through GGUFQuantization and
    /// through a WeightMatrix borrowing the blocks in place.
    @Test(arguments: types)
    func dequantizesAsGGUFPy(type: GGMLType) throws {
        let file = try Self.fixture()
        let blocks = try file.requireTensor(named: "blocks.\(type.name.lowercased())")
        #expect(blocks.type == type)
        let expected = try file.dequantize(named: "blocks.\(type.name.lowercased()).dequant")
        let ours = try blocks.dequantize()
        #expect(ours.count == expected.count)
        #expect(ours.map(\.bitPattern) == expected.map(\.bitPattern))
        let weightType = try #require(WeightType(rawValue: type.rawValue))
        let m = try blocks.withUnsafeBytes { raw in
            try WeightMatrix(borrowing: raw.baseAddress!, byteCount: raw.count, type: weightType, outputs: 1,
                             inputs: expected.count, owner: file)
        }
        #expect(m.dequantized().scalars.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// ggml's quantizer (ggml_quantize_chunk without an importance matrix) on the same input, byte for
    /// byte: all-zero and constant blocks, large magnitudes, half-way cases and an outlier included.
    @Test(arguments: types)
    func quantizesAsGGML(type: GGMLType) throws {
        let file = try Self.fixture()
        let x = try file.dequantize(named: "input")
        let reference = try file.requireTensor(named: "quant.\(type.name.lowercased())")
        let ours = try GGUFQuantization.quantize(x, to: type)
        #expect(ours == reference.bytes)
        let rowBytes = reference.bytes.count / 4, blockBytes = type.typeSize
        for b in 0..<(ours.count / blockBytes) where ours[b * blockBytes..<(b + 1) * blockBytes] != reference.bytes[b * blockBytes..<(b + 1) * blockBytes] {
            Issue.record("\(type.name): block \(b) (row \(b * blockBytes / rowBytes)) differs")
        }
    }

    /// The k-quants' activation quantizer equals ggml's quantize_row_q8_K_ref on every ISA.
    @Test func q8KActivationMatchesGGML() throws {
        let file = try Self.fixture()
        let x = try file.dequantize(named: "input")
        let reference = try file.requireTensor(named: "q8k").bytes
        for isa in Self.paths {
            var ours = [UInt8](repeating: 0xAA, count: qk_activation_q8k_bytes(x.count))
            ours.withUnsafeMutableBytes { out in
                x.withUnsafeBufferPointer { qk_quantize_activation_q8k(out.baseAddress!, $0.baseAddress!, 4, 512, isa.rawValue) }
            }
            #expect(ours == reference, "\(isa)")
        }
    }

    @Test func rejectsPartialBlocksAndUnknownTypes() {
        #expect(throws: GGUFError.self) { try GGUFQuantization.quantize([Float](repeating: 1, count: 300), to: .q4_K) }
        #expect(throws: GGUFError.self) { try GGUFQuantization.quantize([Float](repeating: 1, count: 256), to: .iq2_XXS) }
        #expect(throws: GGUFError.self) { try GGUFQuantization.dequantize([UInt8](repeating: 0, count: 100), type: .q6_K, count: 256) }
        #expect(GGMLType.q5_K.isDecodable && GGMLType.q5_K.isEncodable && !GGMLType.iq2_XXS.isDecodable)
    }
}
