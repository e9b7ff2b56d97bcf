// GGUF tensor descriptions (name, dimensions with ne0 fastest-varying, ggml type, data offset) and
// a zero-copy view of a tensor's raw blocks, so kernels can later run on quantized data in place.

/// One entry of a GGUF file's tensor-info table.
public struct GGUFTensorInfo: Equatable, Sendable {
    /// The tensor's name (e.g. `"blk.0.attn_q.weight"`).
    public let name: String
    /// Dimensions in GGUF order: `dimensions[0]` (ne0) varies fastest, i.e. it is the row length.
    public let dimensions: [Int]
    /// Storage type.
    public let type: GGMLType
    /// Offset of the data from the start of the data section (a multiple of the alignment).
    public let offset: Int
    /// Number of data bytes.
    public let byteCount: Int

    /// Shape in row-major order (outermost first), as NumPy and safetensors write it: `dimensions` reversed.
    public var shape: [Int] { dimensions.reversed() }

    /// Number of elements.
    public var elementCount: Int { dimensions.reduce(1, *) }
}

/// A tensor of a ``GGUFFile``: its info plus the bytes, which stay in the mapping.
public struct GGUFTensor: @unchecked Sendable {
    public let info: GGUFTensorInfo
    /// Absolute byte range in the file.
    public let byteRange: Range<Int>
    let storage: MappedBytes
    let fileName: String

    init(info: GGUFTensorInfo, byteRange: Range<Int>, storage: MappedBytes, fileName: String) {
        self.info = info
        self.byteRange = byteRange
        self.storage = storage
        self.fileName = fileName
    }

    public var name: String { info.name }
    public var type: GGMLType { info.type }
    public var shape: [Int] { info.shape }

    /// Calls `body` with the raw (possibly quantized) bytes in place; the pointer is aligned to the
    /// file's alignment relative to the mapping, but do not let it escape `body`.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(storage.slice(byteRange))
    }

    /// A copy of the raw bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The elements as Float (F32/F16/BF16/F64/integers convert, the block formats dequantize).
    public func dequantize() throws(GGUFError) -> [Float] {
        let result = withUnsafeBytes { raw in
            Result { () throws(GGUFError) in
                try GGUFQuantization.dequantize(raw, type: info.type, count: info.elementCount)
            }
        }
        do { return try result.get() } catch {
            throw GGUFError(file: fileName, "tensor '\(name)': \(error.message)")
        }
    }
}
