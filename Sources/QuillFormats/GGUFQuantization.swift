// Block quantization for GGUF tensors. One implementation: the C kernels' qk_quantize_rows /
// qk_dequantize_rows (CQuillKernels), which follow ggml's reference quantizers bit for bit and decode
// with gguf-py's float operations; this file only checks sizes and adds F16 / BF16 / F64 / integers.

import CQuillKernels
import QuillTensor

/// Quantizers and dequantizers for the GGUF tensor types Quill can encode and decode.
///
/// ```swift
/// let blocks = try GGUFQuantization.quantize(weights, to: .q4_K)          // weights.count % 256 == 0
/// let approx = try GGUFQuantization.dequantize(blocks, type: .q4_K, count: weights.count)
/// ```
public enum GGUFQuantization {
    /// Elements per Q8_0 / Q4_0 block.
    public static let blockSize = 32

    /// The block formats both directions run through the C kernels.
    static let blockTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .iq4_NL, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Encodes floats as `type` (F32, F16, BF16, or a block format ``GGMLType/isEncodable`` lists).
    public static func quantize(_ values: [Float], to type: GGMLType) throws(GGUFError) -> [UInt8] {
        switch type {
        case .f32: return FloatCodec.encode(values, as: .f32)
        case .f16: return FloatCodec.encode(values, as: .f16)
        case .bf16: return FloatCodec.encode(values, as: .bf16)
        default:
            guard blockTypes.contains(type) else {
                throw GGUFError(file: "quantize", "cannot encode \(type.name) (supported: F32, F16, BF16, "
                    + blockTypes.map(\.name).joined(separator: ", ") + ")")
            }
            guard values.count % type.blockSize == 0 else {
                throw GGUFError(file: "quantize", "\(type.name) needs a multiple of \(type.blockSize) elements, got \(values.count)")
            }
            // Blocks are independent: chunks of whole blocks in parallel.
            let blocks = values.count / type.blockSize, bs = type.blockSize, ts = type.typeSize
            var out = [UInt8](repeating: 0, count: blocks * ts)
            out.withUnsafeMutableBytes { raw in
                values.withUnsafeBufferPointer { x in
                    let (dst, src) = (raw.baseAddress!, x.baseAddress!)
                    Parallel.forEachChunk(blocks, minimumChunk: 256) { r in
                        qk_quantize_rows(dst + r.lowerBound * ts, src + r.lowerBound * bs, Int32(type.rawValue), 1, r.count * bs)
                    }
                }
            }
            return out
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
        default:
            guard blockTypes.contains(type) else {
                throw GGUFError(file: "dequantize", "\(type.name) cannot be decoded yet (supported: F32, F16, BF16, F64, I8–I64, "
                    + blockTypes.map(\.name).joined(separator: ", ") + ")")
            }
            if count == 0 { return [] }
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                qk_dequantize_rows(out.baseAddress!, bytes.baseAddress!, Int32(type.rawValue), 1, count)
                initialized = count
            }
        }
    }

    /// Q8_0: per block d = max|x| / 127, q = round-half-away(x · (1/d)), stored as fp16 d + 32 int8.
    public static func quantizeQ8_0(_ values: [Float]) throws(GGUFError) -> [UInt8] { try quantize(values, to: .q8_0) }

    /// Q4_0: per block d = (the element of largest magnitude) / -8, q = min(15, trunc(x · (1/d) + 8.5)),
    /// stored as fp16 d + 16 bytes; byte j holds element j (low nibble) and element j + 16 (high nibble).
    public static func quantizeQ4_0(_ values: [Float]) throws(GGUFError) -> [UInt8] { try quantize(values, to: .q4_0) }

    /// Decodes `count` Q8_0 elements: x = d · q.
    public static func dequantizeQ8_0(_ bytes: [UInt8], count: Int) throws(GGUFError) -> [Float] {
        try dequantize(bytes, type: .q8_0, count: count)
    }

    /// Decodes `count` Q4_0 elements: x = d · (q − 8).
    public static func dequantizeQ4_0(_ bytes: [UInt8], count: Int) throws(GGUFError) -> [Float] {
        try dequantize(bytes, type: .q4_0, count: count)
    }

    /// Decodes `count` elements of `type` from an array of bytes.
    public static func dequantize(_ bytes: [UInt8], type: GGMLType, count: Int) throws(GGUFError) -> [Float] {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(GGUFError) in try dequantize(raw, type: type, count: count) }
        }.get()
    }
}
