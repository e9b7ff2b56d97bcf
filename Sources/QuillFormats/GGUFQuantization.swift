// Block quantization for GGUF tensors, bit-exact with ggml's reference quantizers (ggml-quants.c,
// mirrored in gguf-py quants.py): Q8_0 = fp16 scale + 32 int8, Q4_0 = fp16 scale + 16 bytes of
// nibbles (element j in the low nibble of byte j, element j+16 in the high nibble), plus F16/BF16.

/// Quantizers and dequantizers for the GGUF tensor types Quill can encode and decode.
///
/// ```swift
/// let blocks = try GGUFQuantization.quantizeQ8_0(weights)          // weights.count % 32 == 0
/// let approx = try GGUFQuantization.dequantizeQ8_0(blocks, count: weights.count)
/// ```
public enum GGUFQuantization {
    /// Elements per Q8_0 / Q4_0 block.
    public static let blockSize = 32

    /// Encodes floats as `type` (F32, F16, BF16, Q8_0 or Q4_0).
    public static func quantize(_ values: [Float], to type: GGMLType) throws(GGUFError) -> [UInt8] {
        switch type {
        case .f32: return FloatCodec.encode(values, as: .f32)
        case .f16: return FloatCodec.encode(values, as: .f16)
        case .bf16: return FloatCodec.encode(values, as: .bf16)
        case .q8_0: return try quantizeQ8_0(values)
        case .q4_0: return try quantizeQ4_0(values)
        default: throw GGUFError(file: "quantize", "cannot encode \(type.name) (supported: F32, F16, BF16, Q8_0, Q4_0)")
        }
    }

    /// Decodes `count` elements of `type` from `bytes` (which must hold at least that many).
    public static func dequantize(_ bytes: UnsafeRawBufferPointer, type: GGMLType, count: Int) throws(GGUFError) -> [Float] {
        guard count >= 0, count % type.blockSize == 0 else {
            throw GGUFError(file: "dequantize", "\(count) elements is not a whole number of \(type.name) blocks")
        }
        let needed = count / type.blockSize * type.typeSize
        guard bytes.count >= needed else {
            throw GGUFError(file: "dequantize", "\(count) \(type.name) elements need \(needed) bytes, got \(bytes.count)")
        }
        switch type {
        case .f32: return FloatCodec.decode(bytes, as: .f32, count: count)
        case .f16: return FloatCodec.decode(bytes, as: .f16, count: count)
        case .bf16: return FloatCodec.decode(bytes, as: .bf16, count: count)
        case .f64: return FloatCodec.decode(bytes, as: .f64, count: count)
        case .i8: return FloatCodec.decode(bytes, as: .i8, count: count)
        case .i16: return FloatCodec.decode(bytes, as: .i16, count: count)
        case .i32: return FloatCodec.decode(bytes, as: .i32, count: count)
        case .i64: return FloatCodec.decode(bytes, as: .i64, count: count)
        case .q8_0: return dequantizeQ8_0Blocks(bytes, count: count)
        case .q4_0: return dequantizeQ4_0Blocks(bytes, count: count)
        default:
            throw GGUFError(file: "dequantize",
                            "\(type.name) cannot be decoded yet (supported: F32, F16, BF16, F64, I8–I64, Q8_0, Q4_0)")
        }
    }

    /// Q8_0: per block d = max|x| / 127, q = round-half-away(x · (1/d)), stored as fp16 d + 32 int8.
    public static func quantizeQ8_0(_ values: [Float]) throws(GGUFError) -> [UInt8] {
        try checkBlocks(values.count, "Q8_0")
        var out = [UInt8](repeating: 0, count: values.count / blockSize * GGMLType.q8_0.typeSize)
        out.withUnsafeMutableBytes { raw in
            for b in 0..<(values.count / blockSize) {
                let block = b * blockSize
                var amax: Float = 0
                for j in 0..<blockSize { amax = max(amax, abs(values[block + j])) }
                let d = amax / 127
                let id: Float = d != 0 ? 1 / d : 0
                let base = b * GGMLType.q8_0.typeSize
                raw.storeBytes(of: Float16(d).bitPattern.littleEndian, toByteOffset: base, as: UInt16.self)
                for j in 0..<blockSize {
                    let q = (values[block + j] * id).rounded(.toNearestOrAwayFromZero)
                    raw[base + 2 + j] = UInt8(bitPattern: q.isNaN ? 0 : Int8(max(-128, min(127, q))))
                }
            }
        }
        return out
    }

    /// Q4_0: per block d = (the element of largest magnitude) / -8, q = min(15, trunc(x · (1/d) + 8.5)),
    /// stored as fp16 d + 16 bytes; byte j holds element j (low nibble) and element j + 16 (high nibble).
    public static func quantizeQ4_0(_ values: [Float]) throws(GGUFError) -> [UInt8] {
        try checkBlocks(values.count, "Q4_0")
        var out = [UInt8](repeating: 0, count: values.count / blockSize * GGMLType.q4_0.typeSize)
        out.withUnsafeMutableBytes { raw in
            for b in 0..<(values.count / blockSize) {
                let block = b * blockSize
                var amax: Float = 0
                var extreme: Float = 0
                for j in 0..<blockSize where amax < abs(values[block + j]) {
                    amax = abs(values[block + j])
                    extreme = values[block + j]
                }
                let d = extreme / -8
                let id: Float = d != 0 ? 1 / d : 0
                let base = b * GGMLType.q4_0.typeSize
                raw.storeBytes(of: Float16(d).bitPattern.littleEndian, toByteOffset: base, as: UInt16.self)
                func nibble(_ x: Float) -> UInt8 {
                    let t = (x * id + 8.5).rounded(.towardZero)
                    return t.isNaN ? 0 : UInt8(max(0, min(15, t)))
                }
                for j in 0..<(blockSize / 2) {
                    raw[base + 2 + j] = nibble(values[block + j]) | nibble(values[block + j + blockSize / 2]) << 4
                }
            }
        }
        return out
    }

    /// Decodes `count` Q8_0 elements: x = d · q.
    public static func dequantizeQ8_0(_ bytes: [UInt8], count: Int) throws(GGUFError) -> [Float] {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(GGUFError) in try dequantize(raw, type: .q8_0, count: count) }
        }.get()
    }

    /// Decodes `count` Q4_0 elements: x = d · (q − 8).
    public static func dequantizeQ4_0(_ bytes: [UInt8], count: Int) throws(GGUFError) -> [Float] {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(GGUFError) in try dequantize(raw, type: .q4_0, count: count) }
        }.get()
    }

    private static func checkBlocks(_ count: Int, _ name: String) throws(GGUFError) {
        guard count % blockSize == 0 else {
            throw GGUFError(file: "quantize", "\(name) needs a multiple of \(blockSize) elements, got \(count)")
        }
    }

    private static func scale(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }

    private static func dequantizeQ8_0Blocks(_ raw: UnsafeRawBufferPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for b in 0..<(count / blockSize) {
                let base = b * GGMLType.q8_0.typeSize
                let d = scale(raw, base)
                for j in 0..<blockSize { out[b * blockSize + j] = Float(Int8(bitPattern: raw[base + 2 + j])) * d }
            }
            initialized = count
        }
    }

    private static func dequantizeQ4_0Blocks(_ raw: UnsafeRawBufferPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for b in 0..<(count / blockSize) {
                let base = b * GGMLType.q4_0.typeSize
                let d = scale(raw, base)
                for j in 0..<(blockSize / 2) {
                    let byte = raw[base + 2 + j]
                    out[b * blockSize + j] = Float(Int(byte & 0x0F) - 8) * d
                    out[b * blockSize + j + blockSize / 2] = Float(Int(byte >> 4) - 8) * d
                }
            }
            initialized = count
        }
    }
}
