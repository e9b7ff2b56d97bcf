// `quill bench ops`: times one forward + backward of the recurrent and convolution ops on fixed shapes
// (the same shapes Scripts/bench/ops_bench.py gives PyTorch, which prints the ratios of one run).
import ArgumentParser
import Foundation
import QuillTensor

struct OpsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Time forward + backward of lstm / gru / rnn / conv2d on fixed shapes.",
        discussion: """
        Prints one JSON object per op: the median milliseconds of `repeats` forward + backward passes.
        Example:
          quill bench ops --op lstm --batch 32 --time 128 --input 256 --hidden 512 --threads 2
        """)

    @Option(help: "lstm, gru, rnn or conv2d.") var op: String = "lstm"
    @Option(help: "Batch size (B, or N images).") var batch: Int = 32
    @Option(help: "Sequence length T (recurrent ops).") var time: Int = 128
    @Option(help: "Input features I (recurrent) or input channels (conv2d).") var input: Int = 256
    @Option(help: "Hidden units H (recurrent) or output channels (conv2d).") var hidden: Int = 512
    @Option(help: "Image side (conv2d, square images).") var size: Int = 28
    @Option(help: "Kernel side (conv2d).") var kernel: Int = 3
    @Option(help: "Timed repeats after one warm-up.") var repeats: Int = 5
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(name: .customLong("forward-only"), help: "Time the forward pass alone (no tape).") var forwardOnly = false

    func run() throws {
        try runReportingErrors {
            guard batch > 0, time > 0, input > 0, hidden > 0, size > 0, kernel > 0, repeats > 0 else {
                throw CommandError("every size and --repeats must be positive")
            }
            if let threads { Parallel.configure(threads: threads) }
            let pass = try makePass()
            pass()
            var times: [Double] = []
            for _ in 0..<repeats {
                let t = Date()
                pass()
                times.append(Date().timeIntervalSince(t) * 1000)
            }
            let median = times.sorted()[times.count / 2]
            print(String(format: "{\"op\": \"%@\", \"ms\": %.2f, \"threads\": %d}", op, median, Parallel.threadCount))
        }
    }

    /// One forward + backward of the chosen op on random inputs, all gradients requested.
    func makePass() throws -> () -> Void {
        func random(_ shape: [Int], _ seed: UInt64, std: Float = 0.1) -> Tensor {
            var rng = RandomGenerator(seed: seed)
            let t = Tensor(zeros: shape, requiresGrad: true)
            t.fillNormal(std: std, rng: &rng)
            return t
        }
        let (B, T, I, H) = (batch, time, input, hidden)
        let forward: () -> Tensor
        switch op {
        case "lstm", "gru", "rnn":
            let G = op == "lstm" ? 4 : op == "gru" ? 3 : 1
            let x = random([B, T, I], 1, std: 1), wih = random([G * H, I], 2), whh = random([G * H, H], 3)
            let bih = random([G * H], 4), bhh = random([G * H], 5)
            forward = {
                switch op {
                case "lstm": return lstmSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, batch: B, time: T).output
                case "gru": return gruSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, batch: B, time: T).output
                default: return rnnSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, batch: B, time: T).output
                }
            }
        case "conv2d":
            // x (B, I, size, size) → (B, H, size, size) with a kernel×kernel window, "same" padding.
            let x = random([B, I, size, size], 1, std: 1), w = random([H, I, kernel, kernel], 2), b = random([H], 3)
            forward = { conv2d(x, weight: w, bias: b, padding: Size2D(kernel / 2, kernel / 2)) }
        default:
            throw CommandError("--op must be lstm, gru, rnn or conv2d, got '\(op)'")
        }
        if forwardOnly { return { _ = forward() } }
        return {
            let tape = GradientTape()
            let y = tape.record(forward)
            let seed = Tensor(zeros: y.shape)
            seed.fill(1e-3)
            tape.backward(from: y, gradient: seed)
        }
    }
}
