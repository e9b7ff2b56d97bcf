// Writes spec-valid safetensors files: `__metadata__` first, tensors in the caller's order with
// contiguous offsets, header JSON padded with spaces to a multiple of 8 bytes so the data section
// is 8-byte aligned; written to a temporary file and renamed into place.
import Foundation

/// Writes safetensors files.
///
/// ```swift
/// try SafetensorsWriter.write(tensors: [
///     .init(name: "wte.weight", shape: [50257, 768], floats: embedding),
///     .init(name: "ln_f.bias", shape: [768], floats: bias, dtype: .bf16),
/// ], metadata: ["format": "pt"], to: url)
/// ```
public enum SafetensorsWriter {
    /// One tensor to write: name, dtype, shape and its data (raw bytes, floats to encode, or a view to copy).
    public struct Entry: @unchecked Sendable {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        let payload: Payload

        enum Payload {
            case bytes([UInt8])
            case floats([Float])
            case view(SafetensorsTensor)
        }

        /// Raw little-endian bytes; their count must equal `dtype.byteSize × product(shape)`.
        public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            payload = .bytes(bytes)
        }

        /// Floats stored as `dtype` (F32, F16, BF16 or F64; F16/BF16 round to nearest even).
        public init(name: String, shape: [Int], floats: [Float], dtype: SafetensorsDType = .f32) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            payload = .floats(floats)
        }

        /// Copies an existing tensor (for instance from another file) under `name`.
        public init(name: String? = nil, copying tensor: SafetensorsTensor) {
            self.name = name ?? tensor.name
            dtype = tensor.dtype
            shape = tensor.shape
            payload = .view(tensor)
        }

        var byteCount: Int {
            switch payload {
            case let .bytes(bytes): return bytes.count
            case let .floats(floats): return floats.count * dtype.byteSize
            case let .view(tensor): return tensor.byteCount
            }
        }
    }

    /// Writes `tensors` (in this order) and `metadata` to `url`, replacing any existing file atomically.
    public static func write(tensors: [Entry], metadata: [String: String] = [:], to url: URL) throws(SafetensorsError) {
        let fileName = url.lastPathComponent
        let header = try makeHeader(tensors: tensors, metadata: metadata, fileName: fileName)
        let writer: AtomicFileWriter
        do {
            writer = try AtomicFileWriter(destination: url)
        } catch {
            throw SafetensorsError(file: fileName, .writeFailed(error.reason))
        }
        do {
            try writer.write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) })
            try writer.write(header)
            for entry in tensors {
                switch entry.payload {
                case let .bytes(bytes): try writer.write(bytes)
                case let .floats(floats): try writer.write(FloatCodec.encode(floats, as: entry.dtype.scalar!))
                case let .view(tensor):
                    try tensor.withUnsafeBytes { raw in
                        Result { () throws(AtomicFileWriter.Failure) in try writer.write(raw) }
                    }.get()
                }
            }
            try writer.commit()
        } catch {
            writer.abandon()
            throw SafetensorsError(file: fileName, .writeFailed(error.reason))
        }
    }

    /// The padded JSON header bytes; validates names, shapes, dtypes and byte counts first.
    static func makeHeader(tensors: [Entry], metadata: [String: String], fileName: String) throws(SafetensorsError) -> [UInt8] {
        var pairs: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            pairs.append(("__metadata__", .object(metadata.keys.sorted().map { ($0, .string(metadata[$0]!)) })))
        }
        var seen = Set<String>()
        var offset = 0
        for entry in tensors {
            func fail(_ reason: SafetensorsError.Reason) -> SafetensorsError {
                SafetensorsError(file: fileName, tensor: entry.name, reason)
            }
            guard entry.name != "__metadata__", seen.insert(entry.name).inserted else { throw fail(.duplicateName) }
            guard entry.shape.allSatisfy({ $0 >= 0 }) else { throw fail(.invalidShape("negative dimension in \(entry.shape)")) }
            if case .floats = entry.payload, !entry.dtype.isEncodableFromFloat {
                throw fail(.invalidEntry("cannot be stored as \(entry.dtype.rawValue) from floats"))
            }
            let expected = entry.shape.reduce(1, *) * entry.dtype.byteSize
            guard entry.byteCount == expected else {
                throw fail(.byteCountMismatch(declared: entry.byteCount, expected: expected))
            }
            pairs.append((entry.name, .object([
                ("dtype", .string(entry.dtype.rawValue)),
                ("shape", .array(entry.shape.map { .int(Int64($0)) })),
                ("data_offsets", .array([.int(Int64(offset)), .int(Int64(offset + expected))])),
            ])))
            offset += expected
        }
        var header = Array(JSONValue.object(pairs).jsonText.utf8)
        let padding = (8 - header.count % 8) % 8
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        return header
    }
}
