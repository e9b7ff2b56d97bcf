// `quill bench train`: times GPT-2 124M training steps with random weights and tokens, and
// reports ms/step, tokens/s and MFU against the sgemm throughput measured in the same run.
import ArgumentParser
import Foundation
import QuillModels
import QuillNN
import QuillTensor

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks.",
        subcommands: [TrainBench.self, GenerateBench.self, BatchBench.self, PerplexityBench.self,
                      LoadBench.self, EmbedBench.self, OpsBench.self, GrammarBench.self])
}

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time GPT-2 124M training steps (B=4, T=64 by default) and report MFU.",
        discussion: """
        MFU = 6 · parameters · tokens / (seconds · sgemm FLOP/s), with sgemm measured in the same run.
        Example:
          quill bench train --steps 5 --json
        """)

    @Option(help: "Batch size.") var batch: Int = 4
    @Option(help: "Sequence length.") var time: Int = 64
    @Option(help: "Timed steps (after one warm-up step).") var steps: Int = 5
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(name: .customLong("skip-large"), help: "Skip the extra B=8, T=256 measurement.") var skipLarge = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try runReportingErrors {
            guard batch > 0, time > 0, time <= 1024, steps > 0 else { throw CommandError("need batch > 0, 0 < time ≤ 1024, steps > 0") }
            if let threads { Parallel.configure(threads: threads) } else { Parallel.configure(threads: Parallel.threadCount) }
            let peak = Self.sgemmFLOPS()
            let model = try GPT(config: .gpt2Small, seed: 1)
            let n = model.parameterCount
            let ms = try Self.timeSteps(model, batch: batch, time: time, steps: steps)
            let tokens = Double(batch * time)
            let tokensPerSecond = tokens / (ms / 1000)
            let mfu = 6 * Double(n) * tokens / (ms / 1000) / peak
            var large: Double?
            if !skipLarge { large = try Self.timeSteps(model, batch: 8, time: 256, steps: 2) }
            if json {
                var fields = [String(format: "\"ms_per_step\": %.1f", ms), String(format: "\"tokens_per_second\": %.1f", tokensPerSecond),
                              String(format: "\"mfu\": %.4f", mfu), String(format: "\"sgemm_gflops\": %.1f", peak / 1e9),
                              "\"parameters\": \(n)", "\"batch\": \(batch)", "\"time\": \(time)", "\"threads\": \(Parallel.threadCount)"]
                if let large { fields.append(String(format: "\"ms_per_step_b8_t256\": %.1f", large)) }
                print("{" + fields.joined(separator: ", ") + "}")
            } else {
                print("GPT-2 124M (\(n) parameters), B=\(batch) T=\(time), \(Parallel.threadCount) threads")
                print(String(format: "sgemm peak (2048³, same run): %.1f GFLOP/s", peak / 1e9))
                print(String(format: "%.1f ms/step, %.0f tokens/s, MFU %.1f%%", ms, tokensPerSecond, mfu * 100))
                if let large { print(String(format: "B=8 T=256: %.1f ms/step", large)) }
            }
        }
    }

    /// Best of three 2048×2048×2048 sgemm calls, in FLOP/s.
    static func sgemmFLOPS() -> Double {
        let n = 2048
        let a = Tensor(zeros: [n, n]), b = Tensor(zeros: [n, n]), c = Tensor(zeros: [n, n])
        var rng = RandomGenerator(seed: 0)
        a.fillNormal(std: 1, rng: &rng); b.fillNormal(std: 1, rng: &rng)
        var best = Double.infinity
        for _ in 0..<4 {
            let t = Date()
            BLAS.sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n, beta: 0, c: c.data, ldc: n)
            best = min(best, Date().timeIntervalSince(t))
        }
        return 2 * Double(n * n * n) / best
    }

    /// Mean milliseconds per full training step (forward, backward, clip, AdamW) after one warm-up.
    static func timeSteps(_ model: GPT, batch: Int, time: Int, steps: Int) throws -> Double {
        var rng = RandomGenerator(seed: 2)
        let V = model.vocabularySize
        let optimizer = AdamW(parameters: model.namedParameters)
        let params = model.namedParameters.map(\.tensor)
        var total = 0.0
        for s in 0...steps {
            let ids = (0..<batch * time).map { _ in Int32(rng.nextInt(below: V)) }
            let targets = (0..<batch * time).map { _ in Int32(rng.nextInt(below: V)) }
            let t = Date()
            model.zeroGradients()
            let tape = GradientTape()
            let loss = tape.record { model.loss(ids, targets: targets, batch: batch, time: time, training: true, rng: &rng) }
            tape.backward(from: loss)
            let norm = GradientClipping.globalNorm(params)
            optimizer.update(learningRate: 1e-4, gradientScale: GradientClipping.scale(forNorm: norm, maxNorm: 1))
            if s > 0 { total += Date().timeIntervalSince(t) }
        }
        return total / Double(steps) * 1000
    }
}
