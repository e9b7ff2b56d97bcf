// The one bridge to BLAS: OpenBLAS's CBLAS on Linux, Accelerate on macOS. Row-major sgemm/sgemv
// for every matrix product in Quill; thread count set once for the process.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

public enum BLAS {
    /// C = alpha · op(A) · op(B) + beta · C, all row-major. op(A) is (m, k), op(B) is (k, n).
    @inline(__always)
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y with A row-major (rows, cols).
    @inline(__always)
    public static func sgemv(transpose: Bool, rows: Int, cols: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                             beta: Float, y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols),
                    alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// Sets the BLAS library's worker-thread count (no-op with Accelerate).
    public static func setThreadCount(_ n: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(max(1, n)))
        #endif
    }
}
