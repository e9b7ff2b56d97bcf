// Splits independent work (rows, (batch, head) pairs) across cores on Quill's persistent worker pool
// (CQuillKernels/thread_pool.c: workers spin briefly between jobs, so the ~50 short products of a
// decode step start on every core at once). BLAS runs single-threaded inside these workers (see
// BLAS.swift), so one pool owns the cores. A nested or concurrent call, which finds the pool busy,
// falls back to Dispatch's concurrentPerform.
import CQuillKernels
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
        withoutActuallyEscaping(body) { body in
            var task: (Int) -> Void = { c in
                let lo = c * per, hi = min(count, lo + per)
                if lo < hi { body(lo..<hi) }
            }
            let ran = withUnsafeMutablePointer(to: &task) { context in
                qk_pool_run(Int32(chunks), Int32(chunks), runPoolTask, context)
            }
            if ran == 0 { DispatchQueue.concurrentPerform(iterations: chunks, execute: task) }
        }
    }

    /// How long idle pool workers spin before sleeping (default 1 ms; 0 sleeps at once, for hosts
    /// where a spinning thread would take a core from other work).
    public static func setSpin(microseconds: Int) {
        qk_pool_set_spin_us(Int32(clamping: microseconds))
    }

    /// Calls `body(i)` for every i in 0..<count, spread over the worker threads.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        forEachChunk(count) { range in for i in range { body(i) } }
    }
}

/// The C pool's entry: `context` points at the job's `(Int) -> Void`.
private let runPoolTask: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Void = { context, index in
    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(index))
}
