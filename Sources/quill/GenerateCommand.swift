// `quill generate`: load a model directory or GGUF file (the bundled Shakespeare model by default)
// through the model registry and stream a continuation of the prompt to stdout; flags are named as
// the OpenAI and llama.cpp APIs name them.
import ArgumentParser
import Foundation
import QuillGeneration
import QuillModels
import QuillTensor

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt, streaming tokens as they come.",
        discussion: """
        Example:
          quill generate --prompt "ROMEO:" --max-tokens 200 --temperature 0.8 --top-k 40 --seed 7
          quill generate --model smollm2 --prompt "The capital of France is" --temperature 0 --max-tokens 20
          quill generate --model tiny.gguf --prompt-ids 1,5,9 --temperature 0 --print-ids
          quill generate --prompt "JULIET:" --min-p 0.05 --repetition-penalty 1.1 --logit-bias 10:-100
          quill generate --prompt "ROMEO:" --beam-width 4 --n-best 2 --max-tokens 40
          quill generate --prompt "ROMEO:" --max-tokens 2000 --kv-type f16 --context-overflow shift --keep 4
        """)

    @Option(help: ArgumentHelp(stringLiteral: ModelLocator.help + " Default: shakespeare."))
    var model: String?
    @Option(help: "Text to continue.") var prompt: String = ""
    @Option(name: .customLong("prompt-ids"), help: "Token ids to continue, comma-separated (instead of --prompt).")
    var promptIDs: String?
    @Flag(name: .customLong("print-ids"), help: "Print the generated token ids as one JSON array instead of text.")
    var printIDs = false
    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.") var maxTokens: Int = 256
    @Option(help: "Sampling temperature; 0 means greedy.") var temperature: Float = 0.8
    @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens (0 = all).") var topK: Int = 0
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold in (0, 1].") var topP: Float = 1
    @Option(name: .customLong("min-p"), help: "Drop tokens less likely than min-p × the most likely one.") var minP: Float = 0
    @Option(name: .customLong("repetition-penalty"), help: "Penalty (> 1) for tokens already in the prompt or output.")
    var repetitionPenalty: Float = 1
    @Option(name: .customLong("presence-penalty"), help: "Subtracted from a token's logit once it has appeared (OpenAI).")
    var presencePenalty: Float = 0
    @Option(name: .customLong("frequency-penalty"), help: "Subtracted per earlier occurrence of a token (OpenAI).")
    var frequencyPenalty: Float = 0
    @Option(name: .customLong("logit-bias"), help: "ID:BIAS added to a token's logit (repeatable), e.g. 256:-100.")
    var logitBias: [String] = []
    @Option(name: .customLong("beam-width"), help: "Beam search with this many beams instead of sampling.")
    var beamWidth: Int?
    @Option(name: .customLong("length-penalty"), help: "Beam search: score = log p / length^α.") var lengthPenalty: Float = 1
    @Option(name: .customLong("n-best"), help: "Beam search: how many hypotheses to print, best first.") var nBest: Int = 1
    @Option(help: "Random seed; the same seed gives the same text.") var seed: UInt64 = 0
    @Option(help: "Stop before this string (repeatable).") var stop: [String] = []
    @Flag(name: .customLong("ignore-eos"), help: "Keep going past the end-of-text token.") var ignoreEOS = false
    @Option(name: .customLong("kv-type"), help: "KV cache storage: f32 or f16 (half the memory).") var kvType = "f32"
    @Option(name: .customLong("ctx-size"), help: "Context (KV cache positions) to run with; default: the model's context, at most 4096.")
    var contextSize: Int?
    @Option(name: .customLong("context-overflow"), help: "When the context fills: stop (finish reason length), error (exit non-zero), or shift (llama.cpp's context shift: keep the --keep first tokens, drop the oldest half of the rest, re-encode, go on).")
    var contextOverflow = "stop"
    @Option(help: "Context shift: tokens at the start that are always kept (llama.cpp's --keep).") var keep = 0
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            let loaded = try ModelRegistry.loadForGeneration(path: try ModelLocator.resolve(model))
            guard let cacheType = KVCacheType(rawValue: kvType) else { throw CommandError("--kv-type: '\(kvType)' is not f32 or f16") }
            guard let overflow = ContextOverflow(name: contextOverflow, keep: keep) else {
                throw CommandError("--context-overflow: '\(contextOverflow)' is not stop, error or shift")
            }
            if let contextSize, contextSize < 2 || contextSize > loaded.model.contextLength {
                throw CommandError("--ctx-size: \(contextSize) is not in 2...\(loaded.model.contextLength) (the model's context)")
            }
            let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer, cacheType: cacheType, contextSize: contextSize)
            let sampling = SamplingParameters(
                temperature: temperature, topK: topK, topP: topP, minP: minP, repetitionPenalty: repetitionPenalty,
                presencePenalty: presencePenalty, frequencyPenalty: frequencyPenalty,
                logitBias: try Self.parseBias(logitBias), seed: seed)
            let parameters = GenerationParameters(maxTokens: maxTokens, sampling: sampling, stop: stop, stopAtEndOfText: !ignoreEOS,
                                                  stopTokenIDs: loaded.stopTokenIDs, contextOverflow: overflow)
            let ids = try promptIDs.map(Self.parseIDs) ?? loaded.promptTokens(prompt)
            if let beamWidth {
                let beams = BeamSearch(model: loaded.model, endOfTextID: ignoreEOS ? nil : loaded.tokenizer.endOfTextID,
                                       endOfGenerationIDs: ignoreEOS ? [] : loaded.stopTokenIDs)
                let hypotheses = try beams.run(promptTokens: ids, parameters: BeamSearchParameters(
                    width: beamWidth, maxTokens: maxTokens, lengthPenalty: lengthPenalty, nBest: nBest,
                    stopAtEndOfText: !ignoreEOS))
                for (rank, h) in hypotheses.enumerated() {
                    let body = printIDs ? "[\(h.tokens.map(String.init).joined(separator: ","))]" : prompt + loaded.tokenizer.decode(h.tokens)
                    print(String(format: "#%d score %.4f logprob %.4f (%@)\n", rank + 1, h.score, h.logprob, h.finishReason.rawValue) + body)
                }
                return
            }
            if !printIDs { print(promptIDs == nil ? prompt : loaded.tokenizer.decode(ids), terminator: "") }  // the prompt as typed, without BOS
            let result = try generator.generate(promptTokens: ids, parameters: parameters) { piece in
                guard !printIDs else { return }
                print(piece, terminator: "")
                fflush(stdout)
            }
            print(printIDs ? "[\(result.tokens.map(String.init).joined(separator: ","))]" : "")
            let stats = String(format: "[%d prompt tokens, %.1f tok/s prefill; %d generated, %.1f tok/s; finish: %@]\n",
                               result.promptTokens, result.prefillTokensPerSecond, result.tokens.count,
                               result.tokensPerSecond, result.finishReason.rawValue)
            FileHandle.standardError.write(Data(stats.utf8))
        }
    }

    /// ["10:-100", "256:2.5"] → [10: -100, 256: 2.5]; ids are checked against the vocabulary later.
    static func parseBias(_ items: [String]) throws -> [Int: Float] {
        var bias: [Int: Float] = [:]
        for item in items {
            let parts = item.split(separator: ":")
            guard parts.count == 2, let id = Int(parts[0]), let value = Float(parts[1]) else {
                throw CommandError("--logit-bias: '\(item)' is not ID:BIAS (e.g. 256:-100)")
            }
            bias[id] = value
        }
        return bias
    }

    /// "1, 5,9" → [1, 5, 9]; anything else is a one-line error.
    static func parseIDs(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw CommandError("--prompt-ids: '\(part)' is not an integer token id")
            }
            return id
        }
    }
}
