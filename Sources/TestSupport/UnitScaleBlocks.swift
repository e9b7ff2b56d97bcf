// Weight rows in any GGUF block format whose fp16 scales (d, and m / dmin) are all 1.0 while every
// other byte is random: each element then dequantizes to an integer, so a kernel's dot product with
// an integer activation can be checked exactly. Field offsets follow ggml-common.h.
import QuillTensor

public enum UnitScaleBlocks {
    /// Byte offsets of the fp16 fields in one block of `type`.
    public static func halfOffsets(_ type: WeightType) -> [Int] {
        switch type {
        case .q4_0, .q5_0, .q8_0, .iq4_NL: [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
        case .q2_K: [80, 82]
        case .q3_K: [108]
        case .q6_K: [208]
        case .f32, .f16: []
        }
    }

    /// N rows of K elements of `type` (K a multiple of the block size) with unit fp16 scales.
    public static func make(_ type: WeightType, rows N: Int, inputs K: Int, rng: inout RandomGenerator) -> [UInt8] {
        let rb = type.rowBytes(K), blocks = K / type.blockSize, bb = rb / blocks
        var bytes = (0..<(N * rb)).map { _ in UInt8(truncatingIfNeeded: rng.nextInt(below: 256)) }
        for b in 0..<(N * blocks) {
            for o in halfOffsets(type) { bytes[b * bb + o] = 0x00; bytes[b * bb + o + 1] = 0x3C }   // fp16 1.0
        }
        return bytes
    }

    /// K integer activation values in −range…range with one ±127 in every `blockSize` elements, so both
    /// activation quantizers (per 32-block, Q8_K) give |scale| = 1 and reproduce them exactly.
    public static func activation(_ K: Int, blockSize: Int, range: Int, rng: inout RandomGenerator) -> [Float] {
        var x = (0..<K).map { _ in Float(rng.nextInt(below: 2 * range + 1) - range) }
        for b in 0..<(K / blockSize) { x[b * blockSize + rng.nextInt(below: blockSize)] = rng.nextInt(below: 2) == 0 ? 127 : -127 }
        return x
    }
}
