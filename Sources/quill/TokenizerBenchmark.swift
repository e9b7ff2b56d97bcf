// `quill tokenize --benchmark`: load time, then best-of-N single-thread and parallel encode throughput
// on the given text, with the parallel ids checked against the serial ones. Used by Scripts/bench_tokenizer.sh.
// Single-thread rates use this thread's CPU time as well as wall time, since the build machine is shared.

import Foundation
import QuillTokenizer

enum TokenizerBenchmark {
    struct Timing {
        var wall = Double.infinity
        var cpu = Double.infinity
    }

    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Best wall and best thread-CPU time of `repeats` runs of `body`.
    static func measure<T>(_ repeats: Int, _ body: () -> T) -> (Timing, T) {
        var timing = Timing()
        var result = body()
        for _ in 0..<repeats {
            let wall = DispatchTime.now()
            let cpu = threadCPUSeconds()
            result = body()
            timing.cpu = min(timing.cpu, threadCPUSeconds() - cpu)
            timing.wall = min(timing.wall, TokenizeCommand.seconds(since: wall))
        }
        return (timing, result)
    }

    static func run(_ tokenizer: any Tokenizer, text: String, loadSeconds: Double, repeats: Int = 7) throws {
        let megabytes = Double(text.utf8.count) / 1e6
        print(String(format: "load: %.2f ms", loadSeconds * 1000))
        let (serial, ids) = measure(repeats) { tokenizer.encode(text) }
        print(String(format: "serial: %d tokens, %.2f MB: wall %.1f ms = %.1f MB/s; thread CPU %.1f ms = %.1f MB/s",
                     ids.count, megabytes, serial.wall * 1000, megabytes / serial.wall, serial.cpu * 1000,
                     megabytes / serial.cpu))
        guard let bpe = tokenizer as? BPETokenizer else { return }
        let (pieces, pieceCount) = measure(repeats) { bpe.pieceCount(text) }
        print(String(format: "pre-tokenizer alone: %d pieces, thread CPU %.1f ms = %.1f MB/s", pieceCount,
                     pieces.cpu * 1000, megabytes / pieces.cpu))
        let (parallel, parallelIDs) = measure(repeats) { bpe.encodeParallel(text) }
        print(String(format: "parallel (%d cores): wall %.1f ms = %.1f MB/s, ids identical to serial: %@",
                     ProcessInfo.processInfo.activeProcessorCount, parallel.wall * 1000, megabytes / parallel.wall,
                     parallelIDs == ids ? "yes" : "NO"))
        if parallelIDs != ids { throw TokenizerError.invalidTrainingOptions("parallel encode differs from serial") }
    }
}
