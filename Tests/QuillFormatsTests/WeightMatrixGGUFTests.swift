// WeightMatrix's in-memory blocks are GGUF's: the C quantizers are byte-identical to
// GGUFQuantization (ggml's reference), and they decode to the same floats.
import Testing
import QuillFormats
import QuillTensor

@Suite("WeightMatrix ↔ GGUF blocks")
struct WeightMatrixGGUFTests {
    @Test(arguments: [(WeightType.q8_0, GGMLType.q8_0), (.q4_0, .q4_0), (.f16, .f16), (.f32, .f32)])
    func sameBytesAndValuesAsGGUFQuantization(type: WeightType, gguf: GGMLType) throws {
        let N = 48, K = 160
        var rng = RandomGenerator(seed: 7)
        let t = Tensor(zeros: [N, K])
        t.fillNormal(std: 0.5, rng: &rng)
        t.data[3] = 0; for k in 32..<64 { t.data[k] = 0 }                      // an all-zero block
        let w = try WeightMatrix(tensor: t, layout: .outputByInput, type: type)
        let reference = try GGUFQuantization.quantize(t.scalars, to: gguf)
        let mine = Array(UnsafeRawBufferPointer(start: w.base, count: w.byteCount))
        #expect(mine == reference)
        let decoded = try reference.withUnsafeBytes { try GGUFQuantization.dequantize($0, type: gguf, count: N * K) }
        #expect(w.dequantized().scalars == decoded)
    }
}
