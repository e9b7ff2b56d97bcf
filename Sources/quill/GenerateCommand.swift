// `quill generate`: load a model directory (the bundled Shakespeare model by default) and stream
// a continuation of the prompt to stdout; flags are named as the OpenAI and llama.cpp APIs name them.
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
        """)

    @Option(help: "Model directory (config.json + model.safetensors). Default: the bundled Models/shakespeare-gpt.")
    var model: String?
    @Option(help: "Text to continue.") var prompt: String = ""
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
            let dir = try ModelLocator.resolve(model)
            let gpt = try GPT.load(directory: dir)
            let tokenizer = try ModelLocator.tokenizer(for: dir, vocabularySize: gpt.vocabularySize)
            let generator = Generator(model: gpt, tokenizer: tokenizer)
            let parameters = GenerationParameters(
                maxTokens: maxTokens, sampling: SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed),
                stop: stop, stopAtEndOfText: !ignoreEOS)
            print(prompt, terminator: "")
            let result = try generator.generate(prompt: prompt, parameters: parameters) { piece in
                print(piece, terminator: "")
                fflush(stdout)
            }
            print("")
            let stats = String(format: "[%d prompt tokens, %.1f tok/s prefill; %d generated, %.1f tok/s; finish: %@]\n",
                               result.promptTokens, result.prefillTokensPerSecond, result.tokens.count,
                               result.tokensPerSecond, result.finishReason.rawValue)
            FileHandle.standardError.write(Data(stats.utf8))
        }
    }
}
