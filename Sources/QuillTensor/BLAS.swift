// The one bridge to BLAS: OpenBLAS's CBLAS on Linux, Accelerate on macOS. Row-major sgemm/sgemv
// for every matrix product in Quill. BLAS itself runs single-threaded and Quill splits large
// products across its own workers (Parallel), so BLAS's spinning thread pool never competes with
// Quill's kernels for the same cores ("never both at once"), and products can run inside
// parallel regions (attention per (batch, head)) safely.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

public enum BLAS {
    /// Products with fewer multiply-adds than this run on the calling thread only.
    public static let parallelThreshold = 1 << 21

    private static let singleThreaded: Void = {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
    }()

    /// C = alpha · op(A) · op(B) + beta · C, all row-major. op(A) is (m, k), op(B) is (k, n).
    /// Large products are split along the longer output dimension across `Parallel` workers.
    public static func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = singleThreaded
        if m == 0 || n == 0 { return }
        let workers = Parallel.threadCount
        if workers <= 1 || m * n * k < parallelThreshold {
            sgemmKernel(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        if m >= n {
            // Rows of C (and of op(A)) per worker.
            Parallel.forEachChunk(m, minimumChunk: 16) { r in
                let aOffset = transposeA ? r.lowerBound : r.lowerBound * lda
                sgemmKernel(transposeA, transposeB, r.count, n, k, alpha, a + aOffset, lda, b, ldb, beta,
                            c + r.lowerBound * ldc, ldc)
            }
        } else {
            // Columns of C (and of op(B)) per worker.
            Parallel.forEachChunk(n, minimumChunk: 64) { r in
                let bOffset = transposeB ? r.lowerBound * ldb : r.lowerBound
                sgemmKernel(transposeA, transposeB, m, r.count, k, alpha, a, lda, b + bOffset, ldb, beta,
                            c + r.lowerBound, ldc)
            }
        }
    }

    /// sgemm on the calling thread only: for products inside an already-parallel region.
    @inline(__always)
    public static func sgemmSerial(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                   alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                   b: UnsafePointer<Float>, ldb: Int,
                                   beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = singleThreaded
        if m == 0 || n == 0 { return }
        sgemmKernel(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    @inline(__always)
    private static func sgemmKernel(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                                    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                                    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y with A row-major (rows, cols); split over outputs when large.
    public static func sgemv(transpose: Bool, rows: Int, cols: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                             beta: Float, y: UnsafeMutablePointer<Float>) {
        _ = singleThreaded
        let outputs = transpose ? cols : rows
        if Parallel.threadCount <= 1 || rows * cols < parallelThreshold / 4 {
            cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, Int32(rows), Int32(cols),
                        alpha, a, Int32(lda), x, 1, beta, y, 1)
            return
        }
        Parallel.forEachChunk(outputs, minimumChunk: 64) { r in
            if transpose {   // y[j] for columns j in r: A[:, r]ᵀ · x
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(r.count), alpha, a + r.lowerBound,
                            Int32(lda), x, 1, beta, y + r.lowerBound, 1)
            } else {         // y[i] for rows i in r
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(r.count), Int32(cols), alpha,
                            a + r.lowerBound * lda, Int32(lda), x, 1, beta, y + r.lowerBound, 1)
            }
        }
    }
}
