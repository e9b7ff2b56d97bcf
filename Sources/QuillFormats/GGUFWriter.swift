// Writes GGUF version 3 files (ggml/docs/gguf.md): header, metadata in insertion order, tensor
// infos with offsets padded to the alignment, zero padding, then tensor data; atomically via rename.
import Foundation

/// Builds and writes a GGUF v3 file.
///
/// ```swift
/// var writer = GGUFWriter()
/// writer.addMetadata("general.architecture", .string("llama"))
/// try writer.addTensor(name: "token_embd.weight", shape: [vocab, dim], floats: embedding, as: .q8_0)
/// try writer.write(to: url)
/// ```
public struct GGUFWriter {
    private var metadataKeys: [String] = []
    private var metadata: [String: GGUFValue] = [:]
    private var infos: [(name: String, dimensions: [Int], type: GGMLType)] = []
    private var payloads: [[UInt8]] = []

    /// Data alignment; written as `general.alignment` when it is not the default 32.
    public let alignment: Int

    /// A writer with the given power-of-two alignment.
    public init(alignment: Int = GGUFFile.defaultAlignment) {
        precondition(alignment > 0 && alignment & (alignment - 1) == 0 && alignment <= Int(UInt32.max),
                     "GGUF alignment must be a power of two")
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment { addMetadata("general.alignment", .uint32(UInt32(alignment))) }
    }

    /// Adds or replaces a metadata key-value (order of first insertion is kept).
    public mutating func addMetadata(_ key: String, _ value: GGUFValue) {
        if metadata.updateValue(value, forKey: key) == nil { metadataKeys.append(key) }
    }

    /// Adds a tensor from raw bytes already encoded as `type`. `shape` is row-major (outermost first);
    /// it is written reversed, so the last axis becomes ne0.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) throws(GGUFError) {
        func fail(_ why: String) -> GGUFError { GGUFError(file: "GGUFWriter", "tensor '\(name)': \(why)") }
        guard !infos.contains(where: { $0.name == name }) else { throw fail("added twice") }
        // llama.cpp stores names in a 64-byte buffer (GGML_MAX_NAME) and refuses longer ones.
        guard !name.isEmpty, name.utf8.count < 64 else { throw fail("name must be 1–63 bytes for llama.cpp") }
        guard shape.count <= GGUFFile.maxDimensions, shape.allSatisfy({ $0 >= 0 }) else {
            throw fail("shape \(shape) needs 0–4 non-negative dimensions")
        }
        let dimensions = Array(shape.reversed())
        let rowLength = dimensions.first ?? 1
        guard let rowBytes = type.rowByteCount(elements: rowLength) else {
            throw fail("row length \(rowLength) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        let rows = rowLength == 0 ? 0 : dimensions.reduce(1, *) / rowLength
        guard bytes.count == rowBytes * rows else {
            throw fail("has \(bytes.count) bytes but \(type.name) \(shape) needs \(rowBytes * rows)")
        }
        infos.append((name, dimensions, type))
        payloads.append(bytes)
    }

    /// Adds a tensor from floats, encoded as `type` (F32, F16, BF16, Q8_0 or Q4_0).
    public mutating func addTensor(name: String, shape: [Int], floats: [Float], as type: GGMLType = .f32) throws(GGUFError) {
        guard floats.count == shape.reduce(1, *) else {
            throw GGUFError(file: "GGUFWriter", "tensor '\(name)': \(floats.count) values do not fill shape \(shape)")
        }
        guard (shape.last ?? 1) % type.blockSize == 0 else {
            throw GGUFError(file: "GGUFWriter",
                            "tensor '\(name)': row length \(shape.last ?? 1) is not a multiple of the \(type.name) block size \(type.blockSize)")
        }
        try addTensor(name: name, type: type, shape: shape, bytes: GGUFQuantization.quantize(floats, to: type))
    }

    /// The complete file contents (for small files and tests).
    public func serialized() -> [UInt8] {
        var out = header()
        out.append(contentsOf: [UInt8](repeating: 0, count: padding(out.count)))
        for payload in payloads {
            out.append(contentsOf: payload)
            out.append(contentsOf: [UInt8](repeating: 0, count: padding(payload.count)))
        }
        return out
    }

    /// Writes the file to `url`, replacing any existing file atomically.
    public func write(to url: URL) throws(GGUFError) {
        let fileName = url.lastPathComponent
        do throws(AtomicFileWriter.Failure) {
            let writer = try AtomicFileWriter(destination: url)
            do {
                let head = header()
                try writer.write(head)
                try writer.writeZeros(padding(head.count))
                for payload in payloads {
                    try writer.write(payload)
                    try writer.writeZeros(padding(payload.count))
                }
                try writer.commit()
            } catch {
                writer.abandon()
                throw error
            }
        } catch {
            throw GGUFError(file: fileName, "write failed: \(error.reason)")
        }
    }

    private func padding(_ count: Int) -> Int { (alignment - count % alignment) % alignment }

    /// Magic, version, counts, metadata and tensor infos (everything before the first padding).
    private func header() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        append(UInt32(3), to: &out)
        append(UInt64(infos.count), to: &out)
        append(UInt64(metadataKeys.count), to: &out)
        for key in metadataKeys {
            appendString(key, to: &out)
            append(metadata[key]!.type.rawValue, to: &out)
            appendValue(metadata[key]!, to: &out)
        }
        var offset = 0
        for (info, payload) in zip(infos, payloads) {
            appendString(info.name, to: &out)
            append(UInt32(info.dimensions.count), to: &out)
            for dimension in info.dimensions { append(UInt64(dimension), to: &out) }
            append(info.type.rawValue, to: &out)
            append(UInt64(offset), to: &out)
            offset += payload.count + padding(payload.count)
        }
        return out
    }

    private func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private func appendString(_ string: String, to out: inout [UInt8]) {
        append(UInt64(string.utf8.count), to: &out)
        out.append(contentsOf: string.utf8)
    }

    private func appendValue(_ value: GGUFValue, to out: inout [UInt8]) {
        switch value {
        case let .uint8(v): append(v, to: &out)
        case let .int8(v): append(v, to: &out)
        case let .uint16(v): append(v, to: &out)
        case let .int16(v): append(v, to: &out)
        case let .uint32(v): append(v, to: &out)
        case let .int32(v): append(v, to: &out)
        case let .float32(v): append(v.bitPattern, to: &out)
        case let .bool(v): append(UInt8(v ? 1 : 0), to: &out)
        case let .string(v): appendString(v, to: &out)
        case let .uint64(v): append(v, to: &out)
        case let .int64(v): append(v, to: &out)
        case let .float64(v): append(v.bitPattern, to: &out)
        case let .array(elementType, values):
            append(elementType.rawValue, to: &out)
            append(UInt64(values.count), to: &out)
            for element in values {
                precondition(element.type == elementType, "GGUF array element \(element) is not \(elementType)")
                appendValue(element, to: &out)
            }
        }
    }
}
