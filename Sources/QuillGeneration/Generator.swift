// Autoregressive generation (llama2.c's generate loop, with a KV cache): prefill the prompt in one
// batched forward pass, then one token at a time; sample, stream complete text as it comes, and
// stop on end-of-text, a stop string or the token limit. Reports prefill and decode speed.
import Foundation
import QuillModels
import QuillTensor
import QuillTokenizer

public struct GenerationParameters: Sendable {
    public var maxTokens: Int = 256
    public var sampling = SamplingParameters()
    public var stop: [String] = []
    /// Stop when the model emits its end-of-text token (the token itself is not output).
    public var stopAtEndOfText = true

    public init(maxTokens: Int = 256, sampling: SamplingParameters = .init(), stop: [String] = [],
                stopAtEndOfText: Bool = true) {
        self.maxTokens = maxTokens; self.sampling = sampling; self.stop = stop; self.stopAtEndOfText = stopAtEndOfText
    }
}

public enum FinishReason: String, Sendable, Codable {
    case length      // max tokens or the context window reached
    case stop        // stop string or end-of-text (OpenAI's "stop")
}

public struct GenerationResult: Sendable {
    public var text: String
    public var tokens: [Int]
    public var finishReason: FinishReason
    public var promptTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    /// Generated tokens per second over the decode phase.
    public var tokensPerSecond: Double { decodeSeconds > 0 ? Double(max(0, tokens.count - 1)) / decodeSeconds : 0 }
    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
}

public final class Generator {
    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    private var cache: KVCache

    public init(model: any LanguageModel, tokenizer: any Tokenizer) {
        self.model = model
        self.tokenizer = tokenizer
        cache = model.makeCache()
    }

    /// Encodes `prompt` and generates; `onText` receives each newly completed piece of text.
    public func generate(prompt: String, parameters: GenerationParameters,
                         onText: (String) -> Void = { _ in }) throws -> GenerationResult {
        try generate(promptTokens: tokenizer.encode(prompt), parameters: parameters, onText: onText)
    }

    public func generate(promptTokens: [Int], parameters: GenerationParameters,
                         onText: (String) -> Void = { _ in }) throws -> GenerationResult {
        try parameters.sampling.validate()
        guard parameters.maxTokens >= 0 else { throw GenerationError.invalidParameter("max_tokens must be ≥ 0") }
        var prompt = promptTokens
        if prompt.isEmpty {
            guard let eos = tokenizer.endOfTextID else { throw GenerationError.emptyPrompt }
            prompt = [eos]
        }
        guard prompt.count < model.contextLength else {
            throw GenerationError.promptTooLong(tokens: prompt.count, contextLength: model.contextLength)
        }
        cache.reset()
        var sampler = Sampler(parameters.sampling)
        var completer = UTF8Completer()
        var stops = StopStringFilter(parameters.stop)
        var output: [UInt8] = []
        var tokens: [Int] = []
        var finish = FinishReason.length
        var hitStopString = false

        let t0 = Date()
        var logits = try model.forward(prompt, cache: cache)               // prefill: (1, V)
        let prefillSeconds = Date().timeIntervalSince(t0)
        let t1 = Date()
        while tokens.count < parameters.maxTokens {
            let next = sampler.sample(logits.scalars)
            if parameters.stopAtEndOfText && next == tokenizer.endOfTextID { finish = .stop; break }
            tokens.append(next)
            let (release, stopped) = stops.append(completer.append(tokenizer.decodeBytes([next])))
            if !release.isEmpty { output += release; onText(String(decoding: release, as: UTF8.self)) }
            if stopped { finish = .stop; hitStopString = true; break }
            if cache.length >= model.contextLength { break }               // context full: "length"
            if tokens.count < parameters.maxTokens { logits = try model.forward([next], cache: cache) }
        }
        if !hitStopString {
            // Release what was held back: an unfinished UTF-8 tail, a possible stop-string prefix.
            let (release, stopped) = stops.append(completer.flush())
            let tail = stopped ? release : release + stops.flush()
            if stopped { finish = .stop }
            if !tail.isEmpty { output += tail; onText(String(decoding: tail, as: UTF8.self)) }
        }
        return GenerationResult(text: String(decoding: output, as: UTF8.self), tokens: tokens, finishReason: finish,
                                promptTokens: prompt.count, prefillSeconds: prefillSeconds,
                                decodeSeconds: Date().timeIntervalSince(t1))
    }
}
