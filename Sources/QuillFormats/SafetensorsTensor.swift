// A zero-copy view of one tensor inside a mapped safetensors file: dtype, shape and the raw
// little-endian bytes, with conversion to [Float] for the float and integer dtypes.

/// One tensor of a ``SafetensorsFile``; holds the mapping alive, so it may outlive the file object.
public struct SafetensorsTensor: @unchecked Sendable {
    /// The tensor's name as in the header (e.g. `"encoder.layer.0.attention.self.query.weight"`).
    public let name: String
    /// Element type.
    public let dtype: SafetensorsDType
    /// Shape, outermost dimension first (row-major, as PyTorch and NumPy write it).
    public let shape: [Int]
    /// Absolute byte range inside the file.
    public let byteRange: Range<Int>
    /// Name of the file it lives in, for error messages.
    public let fileName: String
    let storage: MappedBytes

    init(name: String, dtype: SafetensorsDType, shape: [Int], storage: MappedBytes, byteRange: Range<Int>,
         fileName: String) {
        self.name = name
        self.fileName = fileName
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
        self.byteRange = byteRange
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Number of data bytes.
    public var byteCount: Int { byteRange.count }

    /// Calls `body` with the tensor's bytes in place (no copy). The pointer may be unaligned
    /// for the element type; do not let it escape `body`.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(storage.slice(byteRange))
    }

    /// A copy of the raw bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The elements converted to Float (F32 is a straight copy; F16/BF16 widen exactly; integers convert).
    public func floats() throws(SafetensorsError) -> [Float] {
        guard let scalar = dtype.scalar else {
            throw SafetensorsError(file: fileName, tensor: name, .notConvertible(dtype))
        }
        return withUnsafeBytes { FloatCodec.decode($0, as: scalar, count: elementCount) }
    }
}
