// `quill bench perplexity`: held-out perplexity of a model with its inference matmuls in F32, F16,
// Q8_0 or Q4_0, token by token through the decode path (so the int8 activation rounding counts),
// over non-overlapping windows of a token shard. Ratios against F32 are printed in the same run.
import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillTraining

struct PerplexityBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Held-out perplexity per weight format, against F32 in the same run.",
        discussion: """
        Example:
          quill bench perplexity --model Models/shakespeare-gpt --tokens data/shakespeare/val.bin --max-tokens 8192
        """)

    @Option(help: ArgumentHelp(stringLiteral: ModelLocator.help)) var model: String
    @Option(help: "Token shard (from `quill data prepare`), e.g. data/shakespeare/val.bin.") var tokens: String
    @Option(help: "Formats to compare (comma-separated).") var types = "f32,f16,q8_0,q4_0"
    @Option(name: .customLong("max-tokens"), help: "Tokens to score.") var maxTokens = 8192
    @Option(help: "Window length (default: the model's context).") var window: Int?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        try runReportingErrors {
            Parallel.configure(threads: threads ?? Parallel.threadCount)
            guard let lm = try ModelRegistry.loadLanguageModel(directory: try ModelLocator.resolve(model)) as? any QuantizableLanguageModel else {
                throw CommandError("\(model): no quantizable inference path for this model type")
            }
            let shard = try TokenShard(url: URL(fileURLWithPath: tokens))
            let ids = (0..<min(maxTokens, shard.count)).map { Int(shard[$0]) }
            let T = min(window ?? lm.contextLength, lm.contextLength)
            guard ids.count > 1, T > 1 else { throw CommandError("need at least 2 tokens and a window > 1") }
            var baseline: Double?
            for name in types.split(separator: ",") {
                guard let type = WeightType(name: String(name)) else { throw CommandError("unknown type \(name)") }
                try lm.quantize(to: type)
                let start = Date()
                let ppl = try perplexity(lm, ids, window: T)
                if baseline == nil { baseline = ppl }
                print(String(format: "%@: perplexity %.4f (%+.2f%% vs %@), %d tokens, %.1f s", "\(type)", ppl,
                             (ppl / baseline! - 1) * 100, types.split(separator: ",")[0].uppercased(), ids.count - 1,
                             Date().timeIntervalSince(start)))
            }
        }
    }

    /// exp(mean NLL) of ids[i+1] given ids[..i] within each window, one token per forward step.
    func perplexity(_ lm: any LanguageModel, _ ids: [Int], window T: Int) throws -> Double {
        var nll = 0.0, count = 0
        var start = 0
        while start + 1 < ids.count {
            let end = min(ids.count, start + T)
            let cache = lm.makeCache()
            for i in start..<(end - 1) {
                let logits = try lm.forward([ids[i]], cache: cache).scalars
                let m = logits.max()!
                let logSum = log(logits.reduce(0.0) { $0 + exp(Double($1 - m)) }) + Double(m)
                nll += logSum - Double(logits[ids[i + 1]])
                count += 1
            }
            start = end - 1
        }
        return exp(nll / Double(count))
    }
}
