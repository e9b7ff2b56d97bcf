// Memory-mapped GGUF reader (spec: ggml/docs/gguf.md, version 3; version 2 has the same layout):
// magic "GGUF", version, tensor and metadata counts, typed key-values, tensor infos, padding to
// `general.alignment` (default 32), then tensor data. Checks mirror llama.cpp's gguf.cpp loader.
import Foundation

/// A GGUF file opened with mmap and fully validated; tensor data is read in place.
///
/// ```swift
/// let gguf = try GGUFFile(url: url)
/// print(gguf.architecture ?? "?", gguf.metadata["llama.context_length"]?.intValue ?? 0)
/// let wq = try gguf.requireTensor(named: "blk.0.attn_q.weight").dequantize()
/// ```
public final class GGUFFile: @unchecked Sendable {
    /// Alignment used when `general.alignment` is absent.
    public static let defaultAlignment = 32
    /// ggml's GGML_MAX_DIMS.
    public static let maxDimensions = 4

    public let fileName: String
    /// Format version (2 or 3).
    public let version: UInt32
    /// All metadata key-values.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data alignment in bytes (a power of two).
    public let alignment: Int
    /// Byte offset of the data section from the start of the file.
    public let dataOffset: Int

    private let storage: MappedBytes
    private let index: [String: Int]

    /// Maps and validates the file at `url`.
    public convenience init(url: URL) throws(GGUFError) {
        let storage: MappedBytes
        do { storage = try MappedBytes(mapping: url) } catch {
            throw GGUFError(file: url.lastPathComponent, "cannot open: \(error.reason)")
        }
        try self.init(storage: storage, fileName: url.lastPathComponent)
    }

    /// Validates GGUF bytes already in memory.
    public convenience init(bytes: [UInt8], fileName: String = "<memory>") throws(GGUFError) {
        try self.init(storage: MappedBytes(copying: bytes), fileName: fileName)
    }

    /// Validates the GGUF bytes in `storage`.
    public init(storage: MappedBytes, fileName: String) throws(GGUFError) {
        self.storage = storage
        self.fileName = fileName
        var reader = GGUFByteReader(bytes: storage.buffer, fileName: fileName)
        version = try Self.readPreamble(&reader)
        // A tensor info takes at least 24 bytes and a key-value at least 13, which bounds both counts.
        let tensorCount = try reader.readCount("tensor count", limit: reader.remaining / 24)
        let kvCount = try reader.readCount("metadata count", limit: reader.remaining / 13)
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for _ in 0..<kvCount {
            let start = reader.position
            let key = try reader.readString("metadata key")
            let type = try reader.readType(key: key)
            let value = try reader.readValue(type, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw GGUFError(file: fileName, "metadata key '\(key)' appears twice", offset: start)
            }
            keys.append(key)
        }
        alignment = try Self.alignment(from: metadata, fileName: fileName)
        var infos: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for _ in 0..<tensorCount {
            let start = reader.position
            let info = try Self.readTensorInfo(&reader, alignment: alignment)
            guard index.updateValue(infos.count, forKey: info.name) == nil else {
                throw GGUFError(file: fileName, "tensor '\(info.name)' appears twice", offset: start)
            }
            infos.append(info)
        }
        let (padded, overflow) = reader.position.addingReportingOverflow(alignment - 1)
        let dataOffset = overflow ? Int.max : padded / alignment * alignment
        if tensorCount > 0 && dataOffset > storage.count {
            throw GGUFError(file: fileName, "data section would start at \(dataOffset), past the end of the \(storage.count)-byte file")
        }
        try Self.validateLayout(infos, dataSize: max(0, storage.count - dataOffset), fileName: fileName)
        self.dataOffset = min(dataOffset, storage.count)
        self.metadata = metadata
        self.metadataKeys = keys
        self.tensors = infos
        self.index = index
    }

    /// `general.architecture` (e.g. "llama", "gpt2", "bert").
    public var architecture: String? { metadata["general.architecture"]?.stringValue }

    /// Total number of elements over all tensors.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    /// The tensor called `name`, or nil.
    public func tensor(named name: String) -> GGUFTensor? {
        guard let i = index[name] else { return nil }
        let info = tensors[i]
        let start = dataOffset + info.offset
        return GGUFTensor(info: info, byteRange: start..<(start + info.byteCount), storage: storage, fileName: fileName)
    }

    /// The tensor called `name`, or an error naming it.
    public func requireTensor(named name: String) throws(GGUFError) -> GGUFTensor {
        guard let tensor = tensor(named: name) else { throw GGUFError(file: fileName, "tensor '\(name)' not found") }
        return tensor
    }

    /// The tensor called `name` decoded to Float.
    public func dequantize(named name: String) throws(GGUFError) -> [Float] {
        try requireTensor(named: name).dequantize()
    }

    private static func readPreamble(_ reader: inout GGUFByteReader) throws(GGUFError) -> UInt32 {
        let magic = try reader.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { // "GGUF" read as a little-endian u32
            throw GGUFError(file: reader.fileName, "not a GGUF file (magic is not \"GGUF\")", offset: 0)
        }
        let version = try reader.read(UInt32.self, "version")
        if version & 0xFFFF == 0 && version != 0 {
            throw GGUFError(file: reader.fileName, "big-endian GGUF files are not supported", offset: 4)
        }
        guard version == 2 || version == 3 else {
            throw GGUFError(file: reader.fileName, "GGUF version \(version) is not supported (expected 3)", offset: 4)
        }
        return version
    }

    private static func alignment(from metadata: [String: GGUFValue], fileName: String) throws(GGUFError) -> Int {
        guard let value = metadata["general.alignment"] else { return defaultAlignment }
        guard case let .uint32(raw) = value, raw > 0, raw & (raw - 1) == 0 else {
            throw GGUFError(file: fileName, "general.alignment must be a power-of-two uint32, got \(value.summary())")
        }
        return Int(raw)
    }

    private static func readTensorInfo(_ reader: inout GGUFByteReader, alignment: Int) throws(GGUFError) -> GGUFTensorInfo {
        let start = reader.position
        let name = try reader.readString("tensor name")
        func fail(_ why: String) -> GGUFError { GGUFError(file: reader.fileName, "tensor '\(name)': \(why)", offset: start) }
        let dimensionCount = try reader.read(UInt32.self, "dimension count of '\(name)'")
        guard dimensionCount <= UInt32(maxDimensions) else { throw fail("has \(dimensionCount) dimensions (at most 4)") }
        var dimensions: [Int] = []
        var elements = 1
        for _ in 0..<dimensionCount {
            let raw = try reader.read(UInt64.self, "dimensions of '\(name)'")
            guard raw <= UInt64(Int64.max) else { throw fail("dimension \(raw) is out of range") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(raw))
            guard !overflow else { throw fail("element count overflows") }
            dimensions.append(Int(raw))
            elements = product
        }
        let rawType = try reader.read(UInt32.self, "type of '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else { throw fail("unknown ggml type \(rawType)") }
        let rowLength = dimensions.first ?? 1
        guard let rowBytes = type.rowByteCount(elements: rowLength) else {
            throw fail("row length \(rowLength) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        let rows = rowLength == 0 ? 0 : elements / rowLength
        let (byteCount, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow else { throw fail("byte count overflows") }
        let rawOffset = try reader.read(UInt64.self, "offset of '\(name)'")
        guard rawOffset <= UInt64(Int64.max), Int(rawOffset) % alignment == 0 else {
            throw fail("offset \(rawOffset) is not a multiple of the alignment \(alignment)")
        }
        return GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: Int(rawOffset), byteCount: byteCount)
    }

    /// Every tensor must lie inside the data section, and no two may overlap.
    private static func validateLayout(_ infos: [GGUFTensorInfo], dataSize: Int, fileName: String) throws(GGUFError) {
        var previous: GGUFTensorInfo?
        for info in infos.sorted(by: { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }) {
            let (end, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, end <= dataSize else {
                throw GGUFError(file: fileName,
                                "tensor '\(info.name)' needs \(info.byteCount) bytes at data offset \(info.offset) but the data section has \(dataSize)")
            }
            if let previous, previous.byteCount > 0, info.offset < previous.offset + previous.byteCount {
                throw GGUFError(file: fileName, "tensor '\(info.name)' overlaps tensor '\(previous.name)'")
            }
            if info.byteCount > 0 { previous = info }
        }
    }
}
