// Mutation fuzzing of the safetensors and GGUF readers: bit flips, byte overwrites, huge integers
// written over counts and lengths, truncations, insertions and deletions of small valid files.
// Every case must either parse into views whose reads stay in bounds or throw the format's typed error.
import Foundation
import Testing
import QuillTensor   // RandomGenerator: the project's one seeded RNG, so a failing case replays from its seed
@testable import QuillFormats

enum Mutator {
    static let interesting64: [UInt64] = [0, 1, 7, 8, 31, 32, 33, 0x7F, 0xFF, 0xFFFF, 1 << 31, 1 << 32, 1 << 40,
                                          UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max, UInt64.max - 7]
    static let interesting8: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, UInt8(ascii: "\""), UInt8(ascii: "-"),
                                        UInt8(ascii: "9"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: ",")]

    /// Applies 1–4 random mutations, biased towards the first `hot` bytes (the header).
    static func mutate(_ seed: [UInt8], hot: Int, using rng: inout RandomGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let limit = Bool.random(using: &rng) ? min(hot, bytes.count) : bytes.count
            guard limit > 0 else { bytes = [UInt8.random(in: 0...255, using: &rng)]; continue }
            let at = Int.random(in: 0..<limit, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes[at] = interesting8.randomElement(using: &rng)!
            case 3: bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng))
            case 4, 5:
                let width = Bool.random(using: &rng) ? 8 : 4
                var value = interesting64.randomElement(using: &rng)!
                if Bool.random(using: &rng) { value = UInt64(bytes.count) &+ UInt64.random(in: 0...64, using: &rng) &- 32 }
                for i in 0..<width where at + i < bytes.count { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
            case 6: bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 7: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng)))
            case 8: replaceNumber(in: &bytes, near: at, using: &rng)
            default:
                let from = Int.random(in: 0..<bytes.count, using: &rng)
                let chunk = bytes[from..<min(bytes.count, from + Int.random(in: 1...12, using: &rng))]
                bytes.replaceSubrange(at..<min(bytes.count, at + chunk.count), with: chunk)
            }
        }
        return bytes
    }

    /// Replaces the next run of ASCII digits (a JSON shape or offset) with another decimal number,
    /// so that header mutations reach the layout checks instead of stopping at the JSON parser.
    static func replaceNumber(in bytes: inout [UInt8], near start: Int, using rng: inout RandomGenerator) {
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        guard let first = bytes[start...].prefix(64).firstIndex(where: isDigit) else { return }
        let end = bytes[first...].firstIndex { !isDigit($0) } ?? bytes.count
        let old = min(Int(String(decoding: bytes[first..<end], as: UTF8.self)) ?? 0, 1 << 40)
        let choices = ["0", "1", "2", "3", "4", "8", "24", "\(old + 1)", "\(max(0, old - 1))", "\(old + 4)",
                       "\(old * 2)", "\(bytes.count)", "9223372036854775807", "18446744073709551615", "1e3", "-4"]
        bytes.replaceSubrange(first..<end, with: Array(choices.randomElement(using: &rng)!.utf8))
    }

    /// Cases per format: $QUILL_FUZZ_CASES, or 100,000 (200,000 over both formats, a few seconds in debug).
    static var casesPerFormat: Int {
        ProcessInfo.processInfo.environment["QUILL_FUZZ_CASES"].flatMap(Int.init) ?? 100_000
    }
}

@Suite struct FormatsFuzzTests {
    static func safetensorsSeed() throws -> [UInt8] {
        let entries: [SafetensorsWriter.Entry] = [
            .init(name: "a", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]),
            .init(name: "b.half", shape: [4], floats: [1, -2, 3, 0.5], dtype: .f16),
            .init(name: "c", dtype: .bf16, shape: [2], bytes: [0, 0x3F, 0, 0xC0]),
            .init(name: "d", dtype: .i8, shape: [3], bytes: [1, 2, 0xFF]),
            .init(name: "e", shape: [0], floats: []),
        ]
        let header = try SafetensorsWriter.makeHeader(tensors: entries, metadata: ["format": "pt"], fileName: "seed")
        var data: [UInt8] = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        data += FloatCodec.encode([1, 2, 3, 4, 5, 6], as: .f32) + FloatCodec.encode([1, -2, 3, 0.5], as: .f16)
        data += [0, 0x3F, 0, 0xC0, 1, 2, 0xFF]
        return data
    }

    static func ggufSeed() throws -> [UInt8] {
        var writer = GGUFWriter(alignment: 16)
        writer.addMetadata("general.architecture", .string("llama"))
        writer.addMetadata("llama.block_count", .uint32(2))
        writer.addMetadata("f", .float64(0.5))
        writer.addMetadata("tokens", .array([.string("<s>"), .string("a")], of: .string))
        writer.addMetadata("nested", .array([.array([.int8(1)], of: .int8)], of: .array))
        let x = (0..<64).map { Float($0) / 9 - 3 }
        try writer.addTensor(name: "w.f32", shape: [2, 4], floats: Array(x[..<8]))
        try writer.addTensor(name: "w.q8", shape: [2, 32], floats: x, as: .q8_0)
        try writer.addTensor(name: "w.q4", shape: [32], floats: Array(x[..<32]), as: .q4_0)
        try writer.addTensor(name: "w.f16", shape: [3], floats: [1, 2, 3], as: .f16)
        return writer.serialized()
    }

    @Test func seedsAreValid() throws {
        #expect(try SafetensorsFile(bytes: Self.safetensorsSeed()).names.count == 5)
        #expect(try GGUFFile(bytes: Self.ggufSeed()).tensors.count == 4)
    }

    @Test func mutatedSafetensorsNeverCrash() throws {
        let seed = try Self.safetensorsSeed()
        let hot = 8 + Int(seed.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var rng = RandomGenerator(seed: 0x5AFE)
        var accepted = 0
        var reasons: [String: Int] = [:]
        for _ in 0..<Mutator.casesPerFormat {
            let bytes = Mutator.mutate(seed, hot: hot, using: &rng)
            do {
                let file = try SafetensorsFile(bytes: bytes)
                accepted += 1
                for tensor in file.tensors {
                    #expect(tensor.byteRange.upperBound <= bytes.count)
                    #expect(tensor.withUnsafeBytes { $0.count } == tensor.elementCount * tensor.dtype.byteSize)
                    if tensor.dtype.isConvertibleToFloat { #expect(try tensor.floats().count == tensor.elementCount) }
                }
            } catch {
                #expect(!error.description.isEmpty)
                reasons["\(error.reason)".prefix { $0 != "(" }.description, default: 0] += 1
            }
        }
        print("fuzz safetensors: \(Mutator.casesPerFormat) cases, \(accepted) accepted, rejections by reason: \(reasons.sorted { $0.key < $1.key })")
        #expect(accepted > 0)   // some mutations (in the data section) leave the file valid
        #expect(reasons.count >= 10)
    }

    @Test func mutatedGGUFNeverCrash() throws {
        let seed = try Self.ggufSeed()
        let hot = try GGUFFile(bytes: seed).dataOffset
        var rng = RandomGenerator(seed: 0x6675)
        var accepted = 0
        var messages = Set<String>()
        for _ in 0..<Mutator.casesPerFormat {
            let bytes = Mutator.mutate(seed, hot: hot, using: &rng)
            do {
                let file = try GGUFFile(bytes: bytes)
                accepted += 1
                for info in file.tensors {
                    let tensor = try file.requireTensor(named: info.name)
                    #expect(tensor.byteRange.upperBound <= bytes.count)
                    if info.type.isDecodable { #expect(try tensor.dequantize().count == info.elementCount) }
                }
            } catch {
                #expect(!error.description.isEmpty)
                messages.insert(String(error.message.filter { !$0.isNumber }.split(separator: "'").enumerated()
                    .filter { $0.offset % 2 == 0 }.map(\.element).joined()))
            }
        }
        print("fuzz GGUF: \(Mutator.casesPerFormat) cases, \(accepted) accepted, \(messages.count) distinct error messages")
        #expect(accepted > 0)
        #expect(messages.count >= 10)
    }

    @Test func mutatedJSONNeverCrashes() {
        let seed = Array(#"{"a":[1,-2.5e3,true,null,"\u00e9\ud83d\ude00\n"],"b":{"c":{}}}"#.utf8)
        var rng = RandomGenerator(seed: 0x150)
        for _ in 0..<(Mutator.casesPerFormat / 6) {
            let bytes = Mutator.mutate(seed, hot: seed.count, using: &rng)
            _ = bytes.withUnsafeBytes { try? JSONValue(parsing: $0) }
        }
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONParseError.self) { try deep.withUnsafeBytes { raw in
            try Result { () throws(JSONParseError) in try JSONValue(parsing: raw) }.get()
        } }
    }
}
