// `quill tokenize --benchmark`: load time, then best-of-N (and median) single-thread and parallel encode throughput
// on the given text, with the parallel ids checked against the serial ones. Used by Scripts/bench/tokenizer.sh.
// Single-thread rates use this thread's CPU time as well as wall time, since the build machine is shared.

import Foundation
import QuillTokenizer

enum TokenizerBenchmark {
    struct Timing {
        var wall = Double.infinity
        var cpu = Double.infinity
        /// CPU time of every thread of the process (what parallel work costs in total).
        var process = Double.infinity
        /// Medians over the runs: on a shared machine the best run flatters both sides alike, the median shows
        /// what a typical run gets.
        var medianWall = 0.0
        var medianCPU = 0.0
    }

    static func threadCPUSeconds(_ clock: clockid_t = CLOCK_THREAD_CPUTIME_ID) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Best wall, thread-CPU and process-CPU time of `repeats` runs of `body`.
    static func measure<T>(_ repeats: Int, _ body: () -> T) -> (Timing, T) {
        var timing = Timing()
        var walls: [Double] = [], cpus: [Double] = []
        var result = body()
        for _ in 0..<repeats {
            let wall = DispatchTime.now()
            let cpu = threadCPUSeconds()
            let process = threadCPUSeconds(CLOCK_PROCESS_CPUTIME_ID)
            result = body()
            walls.append(TokenizeCommand.seconds(since: wall))
            cpus.append(threadCPUSeconds() - cpu)
            timing.cpu = min(timing.cpu, cpus.last!)
            timing.process = min(timing.process, threadCPUSeconds(CLOCK_PROCESS_CPUTIME_ID) - process)
            timing.wall = min(timing.wall, walls.last!)
        }
        timing.medianWall = walls.sorted()[walls.count / 2]
        timing.medianCPU = cpus.sorted()[cpus.count / 2]
        return (timing, result)
    }

    static func run(_ tokenizer: any Tokenizer, text: String, loadSeconds: Double, repeats: Int = 7) throws {
        let megabytes = Double(text.utf8.count) / 1e6
        print(String(format: "load: %.2f ms", loadSeconds * 1000))
        let (serial, ids) = measure(2 * repeats + 1) { tokenizer.encode(text) }
        print(String(format: "serial: %d tokens, %.2f MB: wall %.1f ms = %.1f MB/s; thread CPU %.1f ms = %.1f MB/s",
                     ids.count, megabytes, serial.wall * 1000, megabytes / serial.wall, serial.cpu * 1000,
                     megabytes / serial.cpu))
        print(String(format: "serial median of %d: wall %.1f ms = %.1f MB/s; thread CPU %.1f ms = %.1f MB/s", 2 * repeats + 1,
                     serial.medianWall * 1000, megabytes / serial.medianWall, serial.medianCPU * 1000,
                     megabytes / serial.medianCPU))
        guard let bpe = tokenizer as? BPETokenizer else { return }
        let (pieces, pieceCount) = measure(repeats) { bpe.pieceCount(text) }
        print(String(format: "pre-tokenizer alone: %d pieces, thread CPU %.1f ms = %.1f MB/s", pieceCount,
                     pieces.cpu * 1000, megabytes / pieces.cpu))
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let (parallel, parallelIDs) = measure(repeats) { bpe.encodeParallel(text) }
        print(String(format: "parallel (%d cores): wall %.1f ms = %.1f MB/s, process CPU %.1f ms, ids identical to serial: %@",
                     cores, parallel.wall * 1000, megabytes / parallel.wall, parallel.process * 1000,
                     parallelIDs == ids ? "yes" : "NO"))
        // Scaling: the same work on 1 worker and on every core (wall and CPU of the whole process).
        let paragraphs = text.split(separator: "\n\n", omittingEmptySubsequences: false).map(String.init)
        for workers in Set([1, cores]).sorted() {
            let (split, _) = measure(repeats) { bpe.encodeParallel(text, chunkCount: workers) }
            let (batch, _) = measure(repeats) { bpe.encodeBatch(paragraphs, workers: workers) }
            print(String(format: "scaling, %d worker(s): encodeParallel wall %.1f ms (process CPU %.1f ms); "
                         + "encodeBatch of %d paragraphs wall %.1f ms (process CPU %.1f ms)", workers, split.wall * 1000,
                         split.process * 1000, paragraphs.count, batch.wall * 1000, batch.process * 1000))
        }
        if parallelIDs != ids { throw TokenizerError.invalidTrainingOptions("parallel encode differs from serial") }
    }
}
