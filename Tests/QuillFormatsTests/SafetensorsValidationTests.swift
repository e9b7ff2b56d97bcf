// Malformed safetensors headers must each give the specific SafetensorsError that names the
// tensor and the problem, never a crash: one hand-built file per validation rule.
import Foundation
import Testing
@testable import QuillFormats

@Suite struct SafetensorsValidationTests {
    static let cases: [(String, [UInt8], SafetensorsError.Reason)] = [
        ("short", [1, 2, 3], .truncatedHeaderLength(fileSize: 3)),
        ("huge header", withUnsafeBytes(of: UInt64.max) { Array($0) }, .headerTooLarge(length: UInt64.max, limit: 100_000_000)),
        ("header past end", withUnsafeBytes(of: UInt64(50)) { Array($0) } + Array("{}".utf8),
         .headerPastEndOfFile(length: 50, fileSize: 10)),
        ("not json", TestFiles.safetensors(header: "{\"a\":", data: []), .invalidJSON("unexpected end of input at byte 5")),
        ("array header", TestFiles.safetensors(header: "[]", data: []), .invalidHeader("the header is not a JSON object")),
        ("bad metadata", TestFiles.safetensors(header: #"{"__metadata__":{"a":1}}"#, data: []),
         .invalidHeader("__metadata__ value for 'a' is not a string")),
    ]

    @Test(arguments: 0..<cases.count)
    func rejectsFileLevelProblems(index: Int) {
        let (label, bytes, reason) = Self.cases[index]
        #expect(throws: SafetensorsError(file: "t.safetensors", reason), "\(label)") {
            try SafetensorsFile(bytes: bytes, fileName: "t.safetensors")
        }
    }

    static let tensorCases: [(String, Int, SafetensorsError.Reason)] = [
        (#"{"w":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}"#, 4, .unknownDType("F99")),
        (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, 4,
         .invalidShape("dimension -1 is not a non-negative integer")),
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, 4, .byteCountMismatch(declared: 4, expected: 8)),
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4, .pastEndOfData(end: 8, dataSize: 4)),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, 4, .invalidEntry("has invalid data_offsets [4,0]")),
        (#"{"w":{"dtype":"F32","shape":[1]}}"#, 4, .invalidEntry("has no 'data_offsets' pair [begin, end]")),
        (#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#, 4,
         .invalidShape("element count overflows")),
        (#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8, .gap(start: 4, expected: 0)),
        (#"{"v":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, 8,
         .overlap(other: "v")),
    ]

    @Test(arguments: 0..<tensorCases.count)
    func rejectsTensorLevelProblems(index: Int) {
        let (header, dataSize, reason) = Self.tensorCases[index]
        let bytes = TestFiles.safetensors(header: header, data: [UInt8](repeating: 0, count: dataSize))
        #expect(throws: SafetensorsError(file: "t.safetensors", tensor: "w", reason)) {
            try SafetensorsFile(bytes: bytes, fileName: "t.safetensors")
        }
    }

    @Test func rejectsTrailingBytesAndNamesTheProblem() {
        let bytes = TestFiles.safetensors(header: #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [1, 2])
        do {
            _ = try SafetensorsFile(bytes: bytes, fileName: "m.safetensors")
            Issue.record("expected an error")
        } catch {
            #expect(error.reason == .trailingBytes(dataEnd: 1, dataSize: 2))
            #expect(error.description == "m.safetensors: tensors end at data byte 1 but the data section has 2 bytes")
        }
    }

    @Test func messageNamesTensorAndSizes() {
        let error = SafetensorsError(file: "model.safetensors", tensor: "h.3.mlp.c_fc.weight",
                                     .pastEndOfData(end: 2359296, dataSize: 1048576))
        #expect(error.description ==
            "model.safetensors: tensor 'h.3.mlp.c_fc.weight' declares data up to byte 2359296 but the data section ends at 1048576")
    }

    @Test func acceptsUnpaddedHeadersAndUnalignedData() throws {
        // Other writers need not pad: data may start at any offset, and reads must not assume alignment.
        let bytes = TestFiles.safetensors(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} "#,
                                          data: withUnsafeBytes(of: Float(1.5)) { Array($0) })
        let file = try SafetensorsFile(bytes: bytes)
        #expect(file.dataOffset % 4 != 0)
        #expect(try file.requireTensor(named: "w").floats() == [1.5])
    }

    @Test func openingAMissingFileIsATypedError() {
        #expect(throws: SafetensorsError.self) {
            try SafetensorsFile(url: URL(fileURLWithPath: "/nonexistent/model.safetensors"))
        }
    }
}
