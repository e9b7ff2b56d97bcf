// Memory-mapped reader for the safetensors format (huggingface/safetensors, docs "Format"):
// 8-byte little-endian header length N, N bytes of JSON header, then the data section. Every
// header field is validated the way the reference `Metadata::validate` does before any byte is read.
import Foundation

/// A safetensors file opened with mmap; tensor bytes are read in place, never copied.
///
/// ```swift
/// let file = try SafetensorsFile(url: modelURL)
/// for name in file.names { print(name, file.tensor(named: name)!.shape) }
/// let weights: [Float] = try file.tensor(named: "embeddings.word_embeddings.weight").floats()
/// ```
public final class SafetensorsFile: @unchecked Sendable {
    /// Largest header accepted, as in the reference implementation (100 MB).
    public static let maxHeaderLength = 100_000_000

    /// The file's name, used in error messages.
    public let fileName: String
    /// Tensor names in the order their data appears in the file.
    public let names: [String]
    /// The free-form `__metadata__` string map (empty when absent).
    public let metadata: [String: String]
    /// Byte offset of the data section from the start of the file (8 + header length).
    public let dataOffset: Int

    private let storage: MappedBytes
    private let entries: [String: SafetensorsTensor]

    /// Maps and validates the file at `url`.
    public convenience init(url: URL) throws(SafetensorsError) {
        let storage: MappedBytes
        do {
            storage = try MappedBytes(mapping: url)
        } catch {
            throw SafetensorsError(file: url.lastPathComponent, .cannotOpen(error.reason))
        }
        try self.init(storage: storage, fileName: url.lastPathComponent)
    }

    /// Validates a safetensors file already in memory (`fileName` only labels errors).
    public convenience init(bytes: [UInt8], fileName: String = "<memory>") throws(SafetensorsError) {
        try self.init(storage: MappedBytes(copying: bytes), fileName: fileName)
    }

    /// Validates the safetensors bytes in `storage`.
    public init(storage: MappedBytes, fileName: String) throws(SafetensorsError) {
        self.storage = storage
        self.fileName = fileName
        let bytes = storage.buffer
        guard bytes.count >= 8 else { throw SafetensorsError(file: fileName, .truncatedHeaderLength(fileSize: bytes.count)) }
        let headerLength = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard headerLength <= UInt64(Self.maxHeaderLength) else {
            throw SafetensorsError(file: fileName, .headerTooLarge(length: headerLength, limit: Self.maxHeaderLength))
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw SafetensorsError(file: fileName, .headerPastEndOfFile(length: headerLength, fileSize: bytes.count))
        }
        dataOffset = 8 + Int(headerLength)
        let header: JSONValue
        do {
            header = try JSONValue(parsing: storage.slice(8..<dataOffset))
        } catch {
            throw SafetensorsError(file: fileName, .invalidJSON(error.description))
        }
        guard let pairs = header.objectPairs else {
            throw SafetensorsError(file: fileName, .invalidHeader("the header is not a JSON object"))
        }
        var metadata: [String: String] = [:]
        var parsed: [SafetensorsHeaderEntry] = []
        for (key, value) in pairs {
            if key == "__metadata__" {
                metadata = try Self.parseMetadata(value, fileName: fileName)
            } else {
                parsed.append(try SafetensorsHeaderEntry(name: key, json: value, fileName: fileName))
            }
        }
        let ordered = try Self.validateLayout(parsed, dataSize: bytes.count - dataOffset, fileName: fileName)
        var entries: [String: SafetensorsTensor] = [:]
        for entry in ordered {
            entries[entry.name] = SafetensorsTensor(
                name: entry.name, dtype: entry.dtype, shape: entry.shape, storage: storage,
                byteRange: (dataOffset + entry.begin)..<(dataOffset + entry.end), fileName: fileName)
        }
        self.metadata = metadata
        self.names = ordered.map(\.name)
        self.entries = entries
    }

    /// The tensor called `name`, or nil.
    public func tensor(named name: String) -> SafetensorsTensor? { entries[name] }

    /// The tensor called `name`, or a ``SafetensorsError`` naming it.
    public func requireTensor(named name: String) throws(SafetensorsError) -> SafetensorsTensor {
        guard let tensor = entries[name] else { throw SafetensorsError(file: fileName, tensor: name, .notFound) }
        return tensor
    }

    /// All tensors in file order.
    public var tensors: [SafetensorsTensor] { names.map { entries[$0]! } }

    /// Total number of elements over all tensors.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    private static func parseMetadata(_ value: JSONValue, fileName: String) throws(SafetensorsError) -> [String: String] {
        guard let pairs = value.objectPairs else {
            throw SafetensorsError(file: fileName, .invalidHeader("__metadata__ is not an object"))
        }
        var metadata: [String: String] = [:]
        for (key, value) in pairs {
            guard let string = value.stringValue else {
                throw SafetensorsError(file: fileName, .invalidHeader("__metadata__ value for '\(key)' is not a string"))
            }
            metadata[key] = string
        }
        return metadata
    }

    /// Sorts entries by offset and checks they tile the data section exactly: no overlap, no hole,
    /// nothing past the end and nothing left over (the reference rejects all four).
    private static func validateLayout(_ entries: [SafetensorsHeaderEntry], dataSize: Int,
                                       fileName: String) throws(SafetensorsError) -> [SafetensorsHeaderEntry] {
        let ordered = entries.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        var previous: String?
        for entry in ordered {
            if entry.end > dataSize {
                throw SafetensorsError(file: fileName, tensor: entry.name, .pastEndOfData(end: entry.end, dataSize: dataSize))
            }
            if entry.begin < expected, let previous {
                throw SafetensorsError(file: fileName, tensor: entry.name, .overlap(other: previous))
            }
            if entry.begin > expected {
                throw SafetensorsError(file: fileName, tensor: entry.name, .gap(start: entry.begin, expected: expected))
            }
            expected = entry.end
            previous = entry.name
        }
        if expected != dataSize {
            throw SafetensorsError(file: fileName, .trailingBytes(dataEnd: expected, dataSize: dataSize))
        }
        return ordered
    }
}

/// One validated header entry: dtype, shape and data offsets relative to the data section.
struct SafetensorsHeaderEntry {
    let name: String
    let dtype: SafetensorsDType
    let shape: [Int]
    let begin: Int
    let end: Int

    init(name: String, json: JSONValue, fileName: String) throws(SafetensorsError) {
        func fail(_ reason: SafetensorsError.Reason) -> SafetensorsError {
            SafetensorsError(file: fileName, tensor: name, reason)
        }
        guard let fields = json.objectValue else { throw fail(.invalidEntry("is not a JSON object")) }
        guard let dtypeName = fields["dtype"]?.stringValue else { throw fail(.invalidEntry("has no string 'dtype'")) }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else { throw fail(.unknownDType(dtypeName)) }
        guard let shapeJSON = fields["shape"]?.arrayValue else { throw fail(.invalidEntry("has no 'shape' array")) }
        guard let offsets = fields["data_offsets"]?.arrayValue, offsets.count == 2 else {
            throw fail(.invalidEntry("has no 'data_offsets' pair [begin, end]"))
        }
        var shape: [Int] = []
        var elements = 1
        for dimension in shapeJSON {
            guard let d = dimension.intValue, d >= 0 else {
                throw fail(.invalidShape("dimension \(dimension.jsonText) is not a non-negative integer"))
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail(.invalidShape("element count overflows")) }
            shape.append(d)
            elements = product
        }
        let (expectedBytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw fail(.invalidShape("byte count overflows")) }
        guard let begin = offsets[0].intValue, let end = offsets[1].intValue, begin >= 0, end >= begin else {
            throw fail(.invalidEntry("has invalid data_offsets \(JSONValue.array(offsets).jsonText)"))
        }
        guard end - begin == expectedBytes else {
            throw fail(.byteCountMismatch(declared: end - begin, expected: expectedBytes))
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.begin = begin
        self.end = end
    }
}
