// Element types of the safetensors format (huggingface/safetensors, `Dtype` in safetensors/src/tensor.rs),
// spelled as they appear in the JSON header, with their byte sizes.

/// A safetensors element type, named exactly as in the header (`"F32"`, `"BF16"`, ...).
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }

    /// Whether ``SafetensorsTensor/floats()`` can convert this type.
    public var isConvertibleToFloat: Bool { scalar != nil }

    /// Whether a `[Float]` can be stored as this type by ``SafetensorsWriter``.
    public var isEncodableFromFloat: Bool {
        self == .f32 || self == .f16 || self == .bf16 || self == .f64
    }

    var scalar: FloatCodec.Scalar? {
        switch self {
        case .bool: return .bool
        case .u8: return .u8
        case .i8: return .i8
        case .i16: return .i16
        case .u16: return .u16
        case .f16: return .f16
        case .bf16: return .bf16
        case .i32: return .i32
        case .u32: return .u32
        case .f32: return .f32
        case .f64: return .f64
        case .i64: return .i64
        case .u64: return .u64
        case .f8e5m2, .f8e4m3: return nil
        }
    }
}

extension SafetensorsDType {
    /// Decodes little-endian elements of this dtype from `bytes` (any alignment) to Float;
    /// nil for the F8 types. `bytes.count` must be a multiple of ``byteSize``.
    public func decode(_ bytes: UnsafeRawBufferPointer) -> [Float]? {
        guard let scalar, bytes.count % byteSize == 0 else { return nil }
        return FloatCodec.decode(bytes, as: scalar, count: bytes.count / byteSize)
    }

    /// Encodes floats as this dtype (F32, F16 and BF16 round to nearest even); nil for non-float dtypes.
    public func encode(_ values: [Float]) -> [UInt8]? {
        guard isEncodableFromFloat, let scalar else { return nil }
        return FloatCodec.encode(values, as: scalar)
    }
}
