// Prefill for Q8_0 / Q4_0 weights without dequantizing: the M activation rows are quantized per
// 32-block once (as decode does for one row) and every worker multiplies its range of output rows
// with the int8 GEMM kernels (qk_gemm_q8_rows), exact int32 block sums scaled in float.
import CQuillKernels
import Foundation

/// M activation rows of K features quantized per 32-block for the int8 GEMM (qk_quantize_activation_rows).
public final class QuantizedActivationRows {
    public let rows: Int, count: Int
    public let q: UnsafeMutablePointer<Int8>
    public let d: UnsafeMutablePointer<Float>
    public let corr: UnsafeMutablePointer<Int32>

    /// x: (M, K) row-major floats; rows are quantized in parallel.
    public init(_ x: UnsafePointer<Float>, rows M: Int, count K: Int) {
        rows = M
        count = K
        let nb = K / 32
        q = .allocate(capacity: max(1, M * K))
        d = .allocate(capacity: max(1, M * nb))
        corr = .allocate(capacity: max(1, M * nb))
        let (q, d, corr) = (q, d, corr)
        Parallel.forEachChunk(M, minimumChunk: 16) { r in
            let i = r.lowerBound
            qk_quantize_activation_rows(q + i * K, d + i * nb, corr + i * nb, x + i * K, r.count, K)
        }
    }

    deinit {
        q.deallocate(); d.deallocate(); corr.deallocate()
    }
}

extension WeightMatrix {
    /// Whether Q8_0 / Q4_0 prefill takes the int8 GEMM: on by default where AVX-512 VNNI is available
    /// (measured faster than dequantize + sgemm there; see BENCHMARKS.md), off with QUILL_INT8_GEMM=0
    /// or forced on with QUILL_INT8_GEMM=1.
    public static let int8GemmEnabled: Bool = {
        switch ProcessInfo.processInfo.environment["QUILL_INT8_GEMM"] {
        case "0": return false
        case "1": return true
        default: return KernelISA.available == .avx512
        }
    }()

    /// y (M, outputs) = x (M, inputs) · Wᵀ through the int8 GEMM (Q8_0 / Q4_0 only), overwriting y.
    public func int8Gemm(_ x: UnsafePointer<Float>, rows M: Int, into y: UnsafeMutablePointer<Float>,
                         isa: KernelISA = .best) {
        precondition(type == .q8_0 || type == .q4_0, "WeightMatrix.int8Gemm: \(type) has no int8 blocks")
        let N = outputs, K = inputs
        let a = QuantizedActivationRows(x, rows: M, count: K)
        let scratchBytes = qk_gemm_q8_scratch_bytes(K)
        // Whole 32-row strips per worker, so only the last strip of the matrix is partial.
        let strips = (N + 31) / 32
        Parallel.forEachChunk(strips, minimumChunk: 2) { chunk in
            let lo = chunk.lowerBound * 32, hi = min(N, chunk.upperBound * 32)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
            defer { scratch.deallocate() }
            qk_gemm_q8_rows(y + lo, N, base + lo * rowBytes, Int32(type.rawValue), hi - lo, K,
                            a.q, a.d, a.corr, M, scratch, isa.rawValue)
        }
        withExtendedLifetime(a) {}
    }
}
