// Conversions between little-endian storage bytes (F32, F16, BF16, F64, integers) and [Float].
// F16 uses Swift's Float16 (IEEE 754 binary16, round to nearest even); BF16 keeps the top 16 bits
// of an F32, rounded to nearest even with NaNs kept quiet, as ggml_compute_fp32_to_bf16 does.

/// Encoders and decoders between raw little-endian bytes and `[Float]`.
public enum FloatCodec {
    /// Decodes `count` little-endian values of `scalar` from `bytes` (which may be unaligned).
    static func decode(_ bytes: UnsafeRawBufferPointer, as scalar: Scalar, count: Int) -> [Float] {
        precondition(bytes.count >= count * scalar.byteSize, "decode: buffer too small")
        if count == 0 { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            let base = bytes.baseAddress!
            switch scalar {
            case .f32:
                UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: base, byteCount: count * 4)
            case .f16:
                for i in 0..<count {
                    out[i] = Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bf16:
                for i in 0..<count {
                    out[i] = bf16ToFloat(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
            case .f64:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            case .i8:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: i, as: Int8.self)) }
            case .u8:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: i, as: UInt8.self)) }
            case .i16:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
            case .u16:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .i32:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            case .u32:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            case .i64:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
            case .u64:
                for i in 0..<count { out[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            case .bool:
                for i in 0..<count { out[i] = base.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
            }
            initialized = count
        }
    }

    /// Encodes floats as little-endian `scalar` values. Only float scalars are supported.
    static func encode(_ values: [Float], as scalar: Scalar) -> [UInt8] {
        let count = values.count
        return [UInt8](unsafeUninitializedCapacity: count * scalar.byteSize) { out, initialized in
            let base = UnsafeMutableRawPointer(out.baseAddress!)
            switch scalar {
            case .f32:
                values.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
            case .f16:
                for i in 0..<count { base.storeBytes(of: Float16(values[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self) }
            case .bf16:
                for i in 0..<count { base.storeBytes(of: floatToBF16(values[i]), toByteOffset: 2 * i, as: UInt16.self) }
            case .f64:
                for i in 0..<count { base.storeBytes(of: Double(values[i]), toByteOffset: 8 * i, as: Double.self) }
            default:
                preconditionFailure("FloatCodec.encode supports F32, F16, BF16 and F64 only")
            }
            initialized = count * scalar.byteSize
        }
    }

    /// BF16 bits to Float: the bits are the top half of an F32.
    @inlinable
    public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float to BF16 bits, rounding to nearest even; NaN stays a quiet NaN.
    @inlinable
    public static func floatToBF16(_ value: Float) -> UInt16 {
        var bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { bits = (bits & 0xFFFF_0000) | (64 << 16) }
        let rounded = (UInt64(bits) + UInt64(0x7FFF + ((bits >> 16) & 1))) >> 16
        return UInt16(truncatingIfNeeded: rounded)
    }

    /// Storage scalars shared by both formats.
    enum Scalar {
        case f64, f32, f16, bf16, i8, u8, i16, u16, i32, u32, i64, u64, bool

        var byteSize: Int {
            switch self {
            case .f64, .i64, .u64: return 8
            case .f32, .i32, .u32: return 4
            case .f16, .bf16, .i16, .u16: return 2
            case .i8, .u8, .bool: return 1
            }
        }
    }
}
