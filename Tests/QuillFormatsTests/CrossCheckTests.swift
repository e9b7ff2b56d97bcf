// Writes quill.gguf and quill.safetensors for Scripts/check/formats.sh, which reads them with
// the reference Python packages (gguf-py, safetensors) and compares every value and quantized byte.
import Foundation
import Testing
@testable import QuillFormats

@Suite struct CrossCheckTests {
    /// Where to put the files; the script sets it. Without it the files go to a temporary directory
    /// and are only read back by Quill itself.
    static var outputDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["QUILL_CROSSCHECK_DIR"] { return URL(fileURLWithPath: path) }
        return TestFiles.temporaryDirectory()
    }

    @Test func writesFilesForThePythonReaders() throws {
        let directory = Self.outputDirectory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let x = TestFiles.pattern(4 * 64)

        var writer = GGUFWriter()
        writer.addMetadata("general.architecture", .string("quilltest"))
        for (key, value) in GGUFTests.allTypes { writer.addMetadata(key, value) }
        try writer.addTensor(name: "values", shape: [4, 64], floats: x)
        for type in [GGMLType.f16, .bf16, .q8_0, .q4_0] {
            let name = "values.\(type.name.lowercased())"
            try writer.addTensor(name: name, shape: [4, 64], floats: x, as: type)
            let bytes = try GGUFQuantization.quantize(x, to: type)
            let dequantized = try bytes.withUnsafeBytes { raw in
                Result { () throws(GGUFError) in try GGUFQuantization.dequantize(raw, type: type, count: x.count) }
            }.get()
            try writer.addTensor(name: name + ".quill_dequant", shape: [4, 64], floats: dequantized)
        }
        let gguf = directory.appendingPathComponent("quill.gguf")
        try writer.write(to: gguf)
        #expect(try GGUFFile(url: gguf).tensors.count == 9)

        let safetensors = directory.appendingPathComponent("quill.safetensors")
        try SafetensorsWriter.write(tensors: [
            .init(name: "f32", shape: [4, 64], floats: x),
            .init(name: "f16", shape: [4, 64], floats: x, dtype: .f16),
            .init(name: "i8", dtype: .i8, shape: [3], bytes: [0xFF, 2, 0x80]),
            .init(name: "scalar", shape: [], floats: [3]),
        ], metadata: ["format": "pt", "writer": "quill"], to: safetensors)
        #expect(try SafetensorsFile(url: safetensors).names.count == 4)
    }

    @Test func readsTheSafetensorsPackageFixture() throws {
        let file = try SafetensorsFile(url: TestFiles.fixture("python.safetensors"))
        #expect(file.metadata == ["format": "np", "source": "formats_crosscheck.py"])
        #expect(Set(file.names) == ["a", "b", "i8"])
        let gguf = try GGUFFile(url: TestFiles.fixture("python-gguf.gguf"))
        let x = try gguf.dequantize(named: "values")
        #expect(try file.requireTensor(named: "a").floats() == Array(x[128...]))
        #expect(try file.requireTensor(named: "b").floats() == x[..<128].map { Float(Float16($0)) })
        #expect(file.tensor(named: "b")?.dtype == .f16)
        #expect(try file.requireTensor(named: "i8").floats() == [-3, 4])
    }
}
