// Prefill for the block formats without dequantizing: the M activation rows are quantized once (per
// 32-block, or to Q8_K for the k-quants, as decode does for one row) and every worker multiplies its
// range of output rows with the int8 GEMM kernels (qk_gemm_q8_rows / qk_gemm_k_rows), exact int32
// block sums scaled in float.
import CQuillKernels
import Foundation

/// M activation rows of K features quantized for the int8 GEMMs: per 32-block (q, d, corr; see
/// qk_quantize_activation_rows), or for the k-quants as M rows of Q8_K blocks at `q` (d, corr unused).
public final class QuantizedActivationRows {
    public let rows: Int, count: Int
    public let q: UnsafeMutablePointer<Int8>
    public let d: UnsafeMutablePointer<Float>
    public let corr: UnsafeMutablePointer<Int32>

    /// x: (M, K) row-major floats, quantized per 32-block; rows are quantized in parallel.
    public convenience init(_ x: UnsafePointer<Float>, rows M: Int, count K: Int) { self.init(x, rows: M, count: K, for: .q8_0) }

    /// x: (M, K) row-major floats, quantized as `type`'s GEMM reads them; rows in parallel.
    public init(_ x: UnsafePointer<Float>, rows M: Int, count K: Int, for type: WeightType) {
        rows = M
        count = K
        if type.isKQuant {
            let rowBytes = qk_activation_q8k_bytes(K)
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(64, M * rowBytes), alignment: 64)
            q = raw.bindMemory(to: Int8.self, capacity: M * rowBytes)
            d = .allocate(capacity: 1)
            corr = .allocate(capacity: 1)
            Parallel.forEachChunk(M, minimumChunk: 16) { r in
                qk_quantize_activation_q8k(raw + r.lowerBound * rowBytes, x + r.lowerBound * K, r.count, K, KernelISA.best.rawValue)
            }
            return
        }
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
    /// Whether block-format prefill takes the int8 GEMM: on by default on every kernel path, because it
    /// quantizes activations exactly as decode (and llama.cpp) do, so prefill and cached decode agree
    /// to float summation order on AVX-512, AVX2 and scalar alike; dequantize + sgemm (off with
    /// QUILL_INT8_GEMM=0) skips that rounding and lands ~0.1 logits away on the Llama fixture.
    public static let int8GemmEnabled: Bool = ProcessInfo.processInfo.environment["QUILL_INT8_GEMM"] != "0"

    /// y (M, outputs) = x (M, inputs) · Wᵀ through the int8 GEMM (block formats only), overwriting y;
    /// outputs in stored row order (`gemm` applies `outputOrder`).
    public func int8Gemm(_ x: UnsafePointer<Float>, rows M: Int, into y: UnsafeMutablePointer<Float>,
                         isa: KernelISA = .best) {
        precondition(type.isQuantized, "WeightMatrix.int8Gemm: \(type) has no int8 blocks")
        let N = outputs, K = inputs, t = Int32(type.rawValue)
        let a = QuantizedActivationRows(x, rows: M, count: K, for: type)
        let scratchBytes = type.isKQuant ? 0 : qk_gemm_q8_scratch_bytes(K)
        // Whole 32-row strips per worker, so only the last strip of the matrix is partial.
        let strips = (N + 31) / 32
        Parallel.forEachChunk(strips, minimumChunk: 2) { chunk in
            let lo = chunk.lowerBound * 32, hi = min(N, chunk.upperBound * 32)
            if type.isKQuant {
                qk_gemm_k_rows(y + lo, N, base + lo * rowBytes, t, hi - lo, K, a.q, M, isa.rawValue)
                return
            }
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64)
            defer { scratch.deallocate() }
            qk_gemm_q8_rows(y + lo, N, base + lo * rowBytes, t, hi - lo, K, a.q, a.d, a.corr, M, scratch, isa.rawValue)
        }
        withExtendedLifetime(a) {}
    }
}
