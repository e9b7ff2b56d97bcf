// IDX reader on hand-built bytes: a valid image-like and label-like file, then every header fault
// (short file, wrong magic, gzip, other type codes, bad rank, zero or oversized dimensions, truncated
// or trailing data) as a typed error naming the field, never a crash or a huge allocation.
import Foundation
import Testing
import QuillFormats

@Suite("IDX files")
struct IDXTests {
    /// 00 00 08 rank, big-endian dims, then `payload`.
    static func idx(_ dims: [UInt32], type: UInt8 = 0x08, payload: [UInt8]) -> Data {
        var d: [UInt8] = [0, 0, type, UInt8(dims.count)]
        for v in dims { d += [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
        return Data(d + payload)
    }

    static func reason(_ bytes: Data) -> IDXError.Reason? {
        do { _ = try IDXFile(bytes: bytes, name: "t.idx"); return nil } catch { return error.reason }
    }

    @Test func readsImagesAndLabels() throws {
        let images = try IDXFile(bytes: Self.idx([2, 2, 3], payload: Array(0..<12)))
        #expect(images.shape == [2, 2, 3])
        #expect(images.values == Array(0..<12))
        let labels = try IDXFile(bytes: Self.idx([3], payload: [9, 0, 255]))
        #expect(labels.shape == [3] && labels.values == [9, 0, 255])
        // A dimension above 255 exercises the big-endian decoding: 0x0102 = 258.
        let wide = try IDXFile(bytes: Self.idx([1, 258], payload: [UInt8](repeating: 7, count: 258)))
        #expect(wide.shape == [1, 258])
    }

    @Test func readsFromAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-idx-\(UUID().uuidString)")
        try Self.idx([2], payload: [4, 5]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(try IDXFile(url: url).values == [4, 5])
        let missing = url.appendingPathExtension("absent")
        #expect(throws: IDXError.self) { try IDXFile(url: missing) }
    }

    @Test func headerFaultsAreTypedErrors() {
        #expect(Self.reason(Data([0, 0, 8])) == .truncatedHeader(needed: 4, fileSize: 3))
        #expect(Self.reason(Data([0, 0, 8, 3, 0, 0, 0, 2])) == .truncatedHeader(needed: 16, fileSize: 8))
        #expect(Self.reason(Data([0x1f, 0x8b, 8, 0, 0])) == .badMagic(byte0: 0x1f, byte1: 0x8b, gzipped: true))
        #expect(Self.reason(Data([0, 1, 8, 1, 0, 0, 0, 0])) == .badMagic(byte0: 0, byte1: 1, gzipped: false))
        #expect(Self.reason(Self.idx([1], type: 0x0d, payload: [0, 0, 0, 0])) == .unsupportedType(code: 0x0d))
        #expect(Self.reason(Self.idx([], payload: [])) == .badDimensionCount(0))
        #expect(Self.reason(Self.idx([UInt32](repeating: 1, count: 9), payload: [1])) == .badDimensionCount(9))
        #expect(Self.reason(Self.idx([2, 0, 3], payload: [])) == .zeroDimension(index: 1))
    }

    @Test func dataSizeIsCheckedBeforeAllocating() {
        // Truncated data and trailing data.
        #expect(Self.reason(Self.idx([2, 3], payload: [1, 2, 3, 4, 5])) == .dataSizeMismatch(declared: "6", available: 5))
        #expect(Self.reason(Self.idx([2], payload: [1, 2, 3])) == .dataSizeMismatch(declared: "2", available: 3))
        // A hostile header: 4×(2³²−1)³ bytes would overflow Int; reported as the dimensions, not allocated.
        let huge = UInt32.max
        #expect(Self.reason(Self.idx([huge, huge, huge, 4], payload: [1])) == .dataSizeMismatch(declared: "4294967295×4294967295×4294967295×4", available: 1))
        let message = IDXError(file: "t.idx", .badMagic(byte0: 0x1f, byte1: 0x8b, gzipped: true)).description
        #expect(message.contains("t.idx") && message.contains("gunzip"))
    }
}
