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
          quill generate --model tiny.gguf --prompt-ids 1,5,9 --temperature 0 --print-ids
        """)

    @Option(help: "Model directory (gpt2/llama/mistral/qwen2) or .gguf file. Default: the bundled Models/shakespeare-gpt.")
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
    @Option(help: "Random seed; the same seed gives the same text.") var seed: UInt64 = 0
    @Option(help: "Stop before this string (repeatable).") var stop: [String] = []
    @Flag(name: .customLong("ignore-eos"), help: "Keep going past the end-of-text token.") var ignoreEOS = false
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func run() throws {
        try runReportingErrors {
            if let threads { Parallel.configure(threads: threads) }
            let loaded = try ModelRegistry.loadForGeneration(path: try ModelLocator.resolve(model))
            let generator = Generator(model: loaded.model, tokenizer: loaded.tokenizer)
            let parameters = GenerationParameters(
                maxTokens: maxTokens, sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed),
                stop: stop, stopAtEndOfText: !ignoreEOS)
            let ids = try promptIDs.map(Self.parseIDs) ?? loaded.tokenizer.encode(prompt)
            if !printIDs { print(promptIDs == nil ? prompt : loaded.tokenizer.decode(ids), terminator: "") }
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
