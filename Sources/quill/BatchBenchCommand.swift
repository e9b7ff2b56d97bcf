// `quill bench batch`: total decode tokens/s of N sequences advanced together by the continuous-
// batching engine against single-sequence decode (`Generator`), on a GPT-2-124M-shaped random model,
// both measured in the same run.
import ArgumentParser
import Foundation
import QuillGeneration
import QuillModels
import QuillTensor
import QuillTokenizer

struct BatchBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Batched decode (N sequences, one forward per step) vs single-sequence decode.",
        discussion: """
        Greedy decoding of random prompts on a random GPT-2 124M through the same engine (one sequence,
        then N); decode tokens/s excludes the prefill step. Also reported per CPU-second of this process,
        which stays meaningful when other work shares the cores.
        Example:
          quill bench batch --sequences 8 --gen-tokens 64 --json
        """)

    @Option(help: "Sequences decoded together.") var sequences: Int = 8
    @Option(name: .customLong("prompt-tokens"), help: "Prompt length of each sequence.") var promptTokens: Int = 32
    @Option(name: .customLong("gen-tokens"), help: "Tokens generated per sequence.") var genTokens: Int = 64
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option(help: "Weight format for the matmuls: f32, f16, q8_0, q4_0.") var type: String = "f32"
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try runReportingErrors {
            guard sequences >= 1, promptTokens >= 1, genTokens >= 2, promptTokens + genTokens < 1024 else {
                throw CommandError("need sequences ≥ 1, prompt-tokens ≥ 1, gen-tokens ≥ 2, prompt + gen < 1024")
            }
            Parallel.configure(threads: threads ?? Parallel.threadCount)
            guard let weightType = WeightType(name: type) else { throw CommandError("--type must be f32, f16, q8_0 or q4_0, got '\(type)'") }
            let model = try GPT(config: .gpt2Small, seed: 1)
            if weightType != .f32 { try model.quantize(to: weightType) }
            let tokenizer = IDTokenizer(vocabularySize: model.vocabularySize)
            var rng = RandomGenerator(seed: 3)
            let prompts = (0..<sequences).map { _ in (0..<promptTokens).map { _ in rng.nextInt(below: model.vocabularySize) } }
            let parameters = GenerationParameters(maxTokens: genTokens, sampling: .init(temperature: 0), stopAtEndOfText: false)

            let single = try Self.decode(model, tokenizer, prompts: [prompts[0]], parameters)
            let batched = try Self.decode(model, tokenizer, prompts: prompts, parameters)
            let ratio = batched.wall / single.wall, cpuRatio = batched.cpu / single.cpu
            if json {
                print(String(format: "{\"sequences\": %d, \"threads\": %d, \"type\": \"\(weightType)\", \"single_decode_tokens_per_second\": %.1f, "
                             + "\"batched_decode_tokens_per_second\": %.1f, \"ratio\": %.2f, "
                             + "\"single_tokens_per_cpu_second\": %.1f, \"batched_tokens_per_cpu_second\": %.1f, \"cpu_ratio\": %.2f}",
                             sequences, Parallel.threadCount, single.wall, batched.wall, ratio, single.cpu, batched.cpu, cpuRatio))
            } else {
                print("GPT-2 124M (random weights, \(weightType)), \(Parallel.threadCount) threads, prompt \(promptTokens), \(genTokens) tokens each")
                print(String(format: "single sequence: %.1f tokens/s (%.1f per CPU-second)", single.wall, single.cpu))
                print(String(format: "%d sequences batched: %.1f tokens/s in total (%.1f per CPU-second)", sequences, batched.wall, batched.cpu))
                print(String(format: "ratio: %.2f× wall-clock, %.2f× per CPU-second", ratio, cpuRatio))
            }
        }
    }

    /// Decode throughput of `prompts` run together by the engine, after the prefill step: tokens per
    /// wall-clock second and per CPU-second of this process (steadier on a shared machine).
    static func decode(_ model: GPT, _ tokenizer: any Tokenizer, prompts: [[Int]],
                       _ parameters: GenerationParameters) throws -> (wall: Double, cpu: Double) {
        let engine = BatchGenerator(model: model, tokenizer: tokenizer, maxBatchSize: prompts.count)
        for p in prompts { _ = try engine.add(promptTokens: p, parameters: parameters) }
        _ = try engine.step()                                               // prefill of all + first tokens
        let t = Date(), c = cpuSeconds()
        var decoded = 0
        while !engine.isEmpty {
            decoded += try engine.step().filter { if case .token = $0.event { true } else { false } }.count
        }
        return (Double(decoded) / Date().timeIntervalSince(t), Double(decoded) / (cpuSeconds() - c))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        let u = usage.ru_utime, s = usage.ru_stime
        return Double(u.tv_sec + s.tv_sec) + Double(u.tv_usec + s.tv_usec) / 1e6
    }
}

/// Ids only: the benchmark never looks at text, so every id decodes to nothing.
private struct IDTokenizer: Tokenizer {
    let vocabularySize: Int
    var endOfTextID: Int? { nil }
    func encode(_ text: String) -> [Int] { [] }
    func decodeBytes(_ ids: [Int]) -> [UInt8] { [] }
}
