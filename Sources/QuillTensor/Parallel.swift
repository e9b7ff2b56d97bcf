// Splits independent work (rows, (batch, head) pairs) across cores with concurrentPerform.
// BLAS runs single-threaded inside these workers (see BLAS.swift), so one pool owns the cores.
import Dispatch
import Foundation

public enum Parallel {
    /// The process-wide worker count (`configure`); defaults to the active core count.
    private static var configuredThreadCount: Int = ProcessInfo.processInfo.activeProcessorCount
    /// A task-local override (`withThreadCount`), so a caller can pin the count for its own work
    /// without changing it under concurrent callers (tests run in parallel).
    @TaskLocal private static var threadCountOverride: Int?

    /// Worker count for Quill's own kernels and its split matrix products.
    public static var threadCount: Int { threadCountOverride ?? configuredThreadCount }

    /// Sets the process-wide worker count (the CLI's `--threads`).
    public static func configure(threads: Int) {
        configuredThreadCount = max(1, threads)
    }

    /// Runs `body` with `threads` workers for the calling task only.
    public static func withThreadCount<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        try $threadCountOverride.withValue(max(1, threads), operation: body)
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
