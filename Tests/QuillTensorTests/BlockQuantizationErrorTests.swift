// Quantization error per block format, measured as llama.cpp's tests/test-quantize-fns.cpp does and
// held to its limits: on x[i] = 0.1 + 2 cos(i) (4096 values), quantize → dequantize gives
// sqrt(Σ (x − x̂)²) / n below 0.002 (Q3_K 0.004, Q2_K 0.0075), and the quantized dot product with
// y[i] = 0.1 + 2 cos(i + 1) is within 0.02 · n (Q2_K 0.04 · n) of the float one, on every ISA.
import Foundation
import Testing
import QuillTensor

@Suite("Block quantization error")
struct BlockQuantizationErrorTests {
    static let paths = KernelISA.allCases.filter { $0 != .best && $0.rawValue <= KernelISA.available.rawValue }
    static let n = 32 * 128

    static func data(offset: Float) -> Tensor {
        Tensor(shape: [1, n], scalars: (0..<n).map { 0.1 + 2 * cosf(Float($0) + offset) })
    }

    static func quantizationLimit(_ type: WeightType) -> Float {
        switch type { case .q2_K: 0.0075; case .q3_K: 0.0040; default: 0.002 }
    }

    @Test(arguments: WeightType.allCases.filter(\.isQuantized))
    func errorsWithinLlamaCppLimits(type: WeightType) throws {
        let x = Self.data(offset: 0), y = Self.data(offset: 1)
        let w = try WeightMatrix(tensor: x, layout: .outputByInput, type: type)
        let back = w.dequantized()
        let squared = (0..<Self.n).reduce(0.0) { $0 + pow(Double(x.data[$1] - back.data[$1]), 2) }
        let rmse = Float(squared.squareRoot()) / Float(Self.n)
        #expect(rmse < Self.quantizationLimit(type), "\(type): \(rmse)")

        let reference = (0..<Self.n).reduce(0.0) { $0 + Double(x.data[$1] * y.data[$1]) }
        let dotLimit: Float = type == .q2_K ? 0.04 : 0.02
        for isa in Self.paths {
            var result: Float = 0
            w.matvec(y.data, into: &result, isa: isa)
            let error = abs(result - Float(reference)) / Float(Self.n)
            #expect(error < dotLimit, "\(type) \(isa): \(error)")
        }
    }
}
