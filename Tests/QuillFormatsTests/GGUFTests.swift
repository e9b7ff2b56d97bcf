// GGUF reader and writer: every metadata value type, nested arrays, alignment, tensor layout,
// and a fixture written by llama.cpp's own gguf-py (Scripts/check/formats_crosscheck.py) read back exactly.
import Foundation
import Testing
@testable import QuillFormats

@Suite struct GGUFTests {
    static let allTypes: [(String, GGUFValue)] = [
        ("test.u8", .uint8(200)), ("test.i8", .int8(-100)), ("test.u16", .uint16(60000)),
        ("test.i16", .int16(-30000)), ("test.u32", .uint32(4_000_000_000)), ("test.i32", .int32(-2_000_000_000)),
        ("test.f32", .float32(1.5)), ("test.bool", .bool(true)), ("test.string", .string("héllo ✓")),
        ("test.u64", .uint64(1 << 63 + 5)), ("test.i64", .int64(-(1 << 62))), ("test.f64", .float64(2.718281828459045)),
        ("test.strings", .array([.string("a"), .string("bc"), .string("")], of: .string)),
        ("test.ints", .array([.int32(1), .int32(-2), .int32(3)], of: .int32)),
        ("test.nested", .array([.array([.int32(1), .int32(2)], of: .int32), .array([.int32(3)], of: .int32)], of: .array)),
    ]

    @Test func readsTheGGUFPyFixture() throws {
        let file = try GGUFFile(url: TestFiles.fixture("python-gguf.gguf"))
        #expect(file.version == 3)
        #expect(file.architecture == "quilltest")
        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        for (key, value) in Self.allTypes { #expect(file.metadata[key] == value, "\(key)") }
        #expect(file.metadataKeys == ["general.architecture"] + Self.allTypes.map(\.0))
        let values = try file.requireTensor(named: "values")
        #expect(values.shape == [4, 64] && values.info.dimensions == [64, 4] && values.type == .f32)
        #expect(file.tensor(named: "values.q4_0")?.type == .q4_0)
        #expect(file.tensor(named: "values.q4_0")?.info.byteCount == 8 * 18)
        #expect(file.tensors.allSatisfy { $0.offset % 32 == 0 })
    }

    /// Quill's quantizers must produce the same bytes as gguf-py's (which match ggml-quants.c), and
    /// Quill's dequantizers the same floats.
    @Test(arguments: [GGMLType.f16, .bf16, .q8_0, .q4_0])
    func matchesGGUFPyBitForBit(type: GGMLType) throws {
        let file = try GGUFFile(url: TestFiles.fixture("python-gguf.gguf"))
        let x = try file.dequantize(named: "values")
        let suffix = type.name.lowercased()
        let reference = try file.requireTensor(named: "values.\(suffix)")
        #expect(try GGUFQuantization.quantize(x, to: type) == reference.bytes)
        let expected = try file.dequantize(named: "values.\(suffix).dequant")
        let ours = try reference.dequantize()
        #expect(ours.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test func writerRoundTripsMetadataAndTensors() throws {
        var writer = GGUFWriter(alignment: 64)
        writer.addMetadata("general.architecture", .string("quilltest"))
        for (key, value) in Self.allTypes { writer.addMetadata(key, value) }
        writer.addMetadata("test.empty", .array([], of: .float32))
        let x = TestFiles.pattern(2 * 64)
        try writer.addTensor(name: "a", shape: [2, 64], floats: x)
        try writer.addTensor(name: "b.q8", shape: [2, 64], floats: x, as: .q8_0)
        try writer.addTensor(name: "c.q4", shape: [2, 64], floats: x, as: .q4_0)
        try writer.addTensor(name: "d.f16", shape: [128], floats: x, as: .f16)
        try writer.addTensor(name: "e.scalar", shape: [], floats: [7])
        let url = TestFiles.temporaryDirectory().appendingPathComponent("rt.gguf")
        try writer.write(to: url)
        #expect(try Data(contentsOf: url) == Data(writer.serialized()))

        let file = try GGUFFile(url: url)
        #expect(file.alignment == 64)
        #expect(file.metadata["general.alignment"] == .uint32(64))
        for (key, value) in Self.allTypes { #expect(file.metadata[key] == value, "\(key)") }
        #expect(file.metadata["test.empty"] == .array([], of: .float32))
        #expect(file.tensors.map(\.name) == ["a", "b.q8", "c.q4", "d.f16", "e.scalar"])
        #expect(file.tensors.allSatisfy { $0.offset % 64 == 0 })
        #expect(try file.dequantize(named: "a") == x)
        #expect(try file.dequantize(named: "d.f16") == x.map { Float(Float16($0)) })
        #expect(try file.dequantize(named: "e.scalar") == [7])
        let q8 = try file.dequantize(named: "b.q8")
        let q4 = try file.dequantize(named: "c.q4")
        for i in x.indices {
            #expect(abs(q8[i] - x[i]) <= 48.0 / 7 / 127 * 0.51 + 1e-3)
            #expect(abs(q4[i] - x[i]) <= 48.0 / 7 / 8 + 1e-2)  // one step: +8·d is clipped to +7·d
        }
        #expect(file.parameterCount == 4 * 128 + 1)
        // The raw view is zero-copy and exposes the quantized blocks for kernels.
        #expect(file.tensor(named: "b.q8")!.withUnsafeBytes { $0.count } == 4 * 34)
    }

    @Test func undecodableTypesGiveAClearError() throws {
        var writer = GGUFWriter()
        try writer.addTensor(name: "k", type: .iq2_XXS, shape: [256], bytes: [UInt8](repeating: 0, count: 66))
        let file = try GGUFFile(bytes: writer.serialized(), fileName: "k.gguf")
        #expect(file.tensors[0].type.name == "IQ2_XXS")
        #expect(throws: GGUFError(file: "k.gguf", "tensor 'k': IQ2_XXS cannot be decoded yet (supported: F32, F16, BF16, "
                                  + "F64, I8–I64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)")) {
            try file.dequantize(named: "k")
        }
    }

    @Test func writerRejectsInconsistentTensors() {
        var writer = GGUFWriter()
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "w", shape: [3, 30], floats: .init(repeating: 0, count: 90), as: .q8_0) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "w", type: .f32, shape: [2], bytes: [0, 0, 0, 0]) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: "w", shape: [2], floats: [1]) }
        #expect(throws: GGUFError.self) { try writer.addTensor(name: String(repeating: "x", count: 64), shape: [1], floats: [1]) }
    }

    @Test func quantizersFollowTheReferenceRules() throws {
        // Q8_0: d = max|x| / 127; q = round(x / d), halves away from zero.
        var block = [Float](repeating: 0, count: 32)
        block[0] = 127; block[1] = -63.5; block[2] = 0.49
        let q8 = try GGUFQuantization.quantizeQ8_0(block)
        #expect(Float16(bitPattern: UInt16(q8[0]) | UInt16(q8[1]) << 8) == 1)
        #expect(Int8(bitPattern: q8[2]) == 127 && Int8(bitPattern: q8[3]) == -64 && q8[4] == 0)
        // Q4_0: d = (largest-magnitude value) / -8; element j in the low nibble, j+16 in the high nibble.
        block = [Float](repeating: 0, count: 32)
        block[0] = -8; block[16] = 4; block[1] = 7
        let q4 = try GGUFQuantization.quantizeQ4_0(block)
        #expect(Float16(bitPattern: UInt16(q4[0]) | UInt16(q4[1]) << 8) == 1)
        #expect(q4[2] == 0x0C << 4 | 0x00)    // x0 = -8 → 0, x16 = 4 → 12
        #expect(q4[3] == 0x08 << 4 | 0x0F)    // x1 = 7 → 15, x17 = 0 → 8
        #expect(try GGUFQuantization.dequantizeQ4_0(q4, count: 32)[0...1] == [-8, 7])
        #expect(throws: GGUFError.self) { try GGUFQuantization.quantizeQ4_0([1, 2, 3]) }
    }
}
