// Parallel.forEachChunk on the persistent worker pool: every index visited exactly once, across many
// back-to-back jobs (the claim word reused by each generation), nested calls (pool busy → fallback)
// and concurrent callers from several tasks.
import Testing
import Foundation
@testable import QuillTensor

@Suite("Parallel worker pool")
struct ParallelTests {
    /// Counts visits per index; each index must be visited exactly once per job.
    final class VisitCounter: @unchecked Sendable {
        let counts: UnsafeMutablePointer<Int>
        let count: Int
        init(_ count: Int) {
            self.count = count
            counts = .allocate(capacity: count)
            counts.initialize(repeating: 0, count: count)
        }
        deinit { counts.deallocate() }
        func visit(_ range: Range<Int>) { for i in range { counts[i] += 1 } }   // ranges are disjoint
        var all: [Int] { Array(UnsafeBufferPointer(start: counts, count: count)) }
    }

    @Test func thousandsOfBackToBackJobsVisitEveryIndexOnce() {
        Parallel.withThreadCount(4) {
            for job in 0..<3000 {
                let n = 1 + job % 37
                let counter = VisitCounter(n)
                Parallel.forEachChunk(n) { counter.visit($0) }
                #expect(counter.all == [Int](repeating: 1, count: n), "job \(job), \(n) items")
            }
        }
    }

    @Test func nestedCallsFallBackAndStillCoverEverything() {
        Parallel.withThreadCount(3) {
            let outer = 6, inner = 50
            let counter = VisitCounter(outer * inner)
            Parallel.forEachChunk(outer) { rows in
                for r in rows {
                    // Runs while the pool is busy with the outer job (or on a worker with the
                    // process-wide count): must fall back, not deadlock.
                    Parallel.forEachChunk(inner) { cols in counter.visit((r * inner + cols.lowerBound)..<(r * inner + cols.upperBound)) }
                }
            }
            #expect(counter.all == [Int](repeating: 1, count: outer * inner))
        }
    }

    @Test func concurrentCallersEachGetTheirOwnResult() async {
        await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<6 {
                group.addTask {
                    Parallel.withThreadCount(2 + caller % 3) {
                        var ok = true
                        for job in 0..<300 {
                            let n = 2 + (job + caller) % 19
                            let counter = VisitCounter(n)
                            Parallel.forEachChunk(n) { counter.visit($0) }
                            ok = ok && counter.all == [Int](repeating: 1, count: n)
                        }
                        return ok
                    }
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    @Test func resultsMatchSerialSumsWhenWorkersSleepBetweenJobs() {
        // Spin 0: workers sleep after every job, exercising the wake-up path.
        Parallel.setSpin(microseconds: 0)
        defer { Parallel.setSpin(microseconds: 1000) }
        Parallel.withThreadCount(2) {
            let values = (0..<10_000).map { Double($0 % 97) }
            for _ in 0..<200 {
                let partial = UnsafeMutablePointer<Double>.allocate(capacity: 2)
                partial.initialize(repeating: 0, count: 2)
                Parallel.forEachChunk(2) { chunk in
                    for c in chunk {
                        let lo = c * 5000
                        partial[c] = values[lo..<lo + 5000].reduce(0, +)
                    }
                }
                #expect(partial[0] + partial[1] == values.reduce(0, +))
                partial.deallocate()
            }
        }
    }
}
