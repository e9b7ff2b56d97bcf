// Splits independent work (rows, (batch, head) pairs) across cores with concurrentPerform.
// BLAS runs single-threaded inside these workers (see BLAS.swift), so one pool owns the cores.
import Dispatch
import Foundation

public enum Parallel {
    /// Worker count for Quill's own kernels; defaults to the active core count.
    public static var threadCount: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Sets the worker count for Quill's kernels and its split matrix products.
    public static func configure(threads: Int) {
        threadCount = max(1, threads)
    }

    /// Calls `body(range)` over contiguous chunks of 0..<count, in parallel when the work is
    /// big enough (`count / minimumChunk` chunks at most).
    public static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = min(threadCount, max(1, count / max(1, minimumChunk)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let per = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * per, hi = min(count, lo + per)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Calls `body(i)` for every i in 0..<count, spread over the worker threads.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        forEachChunk(count) { range in for i in range { body(i) } }
    }
}
