// Autoregressive generation (llama2.c's generate loop, with a KV cache): prefill the prompt in one
// batched forward pass, then one token at a time; sample, stream complete text as it comes, and
// stop on end-of-text, a stop string or the token limit. Reports prefill and decode speed.
import Foundation
import QuillModels
import QuillTensor
import QuillTokenizer

/// Generates one sequence at a time with a reused KV cache.
///
/// ```swift
/// let generator = Generator(model: gpt, tokenizer: gpt2Tokenizer)
/// let result = try generator.generate(prompt: "Once upon a time", parameters: .init(maxTokens: 50)) { print($0, terminator: "") }
/// ```
/// For a stream of ``GenerationEvent``s use ``events(promptTokens:parameters:)``; for many sequences at
/// once, ``BatchGenerator``.
public final class Generator {
    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    private var cache: KVCache

    /// `cacheType` is the KV cache's storage (F16 halves its memory); the cache is allocated once for
    /// `contextSize` positions (default: the model's `defaultCacheCapacity`, at most 4096; never more
    /// than the model's context) and reused by every request.
    public init(model: any LanguageModel, tokenizer: any Tokenizer, cacheType: KVCacheType = .f32, contextSize: Int? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        cache = model.makeCache(capacity: contextSize ?? model.defaultCacheCapacity, type: cacheType)
    }

    public var cacheType: KVCacheType { cache.type }
    /// Positions the reused cache holds (the context this generator runs with).
    public var cacheCapacity: Int { cache.capacity }

    /// Encodes `prompt` and generates; `onText` receives each newly completed piece of text.
    public func generate(prompt: String, parameters: GenerationParameters,
                         onText: (String) -> Void = { _ in }) throws -> GenerationResult {
        try generate(promptTokens: tokenizer.encode(prompt, addSpecialTokens: true, parseSpecial: false), parameters: parameters, onText: onText)
    }

    public func generate(promptTokens: [Int], parameters: GenerationParameters,
                         onText: (String) -> Void = { _ in }) throws -> GenerationResult {
        var events: [GenerationEvent] = []
        try run(promptTokens: promptTokens, parameters: parameters, isCancelled: { false }) { event in
            if case .text(let piece) = event { onText(piece) }
            events.append(event)
        }
        return GenerationResult(events: events)
    }

    /// Checks a request without running it (what ``events(promptTokens:parameters:)`` does up front).
    public func validate(promptTokens: [Int], parameters: GenerationParameters) throws -> [Int] {
        try parameters.validate(vocabularySize: model.vocabularySize)
        try parameters.contextOverflow.validate(contextLength: cache.capacity)
        return try GenerationParameters.preparedPrompt(promptTokens, endOfText: tokenizer.endOfTextID,
                                                       vocabularySize: model.vocabularySize,
                                                       contextLength: cache.capacity)
    }

    /// The generation loop: every event goes to `emit`, ending with `.finished`. `isCancelled` is
    /// polled between tokens.
    func run(promptTokens: [Int], parameters: GenerationParameters, isCancelled: () -> Bool,
             emit: (GenerationEvent) -> Void) throws {
        let prompt = try validate(promptTokens: promptTokens, parameters: parameters)
        cache.reset()
        var decoder = SequenceDecoder(prompt: prompt, parameters: parameters, tokenizer: tokenizer,
                                      contextLength: cache.capacity)
        var prefillSeconds = 0.0
        let t0 = Date()
        var input = prompt
        var t1 = t0, prefilled = false
        while decoder.finishReason == nil {
            if isCancelled() { decoder.finish(.cancelled).forEach(emit); break }
            let logits = try model.forward(input, cache: cache)                  // (1, V)
            if !prefilled {
                prefilled = true
                t1 = Date()
                prefillSeconds = t1.timeIntervalSince(t0)
            }
            decoder.accept(logits.scalars, cacheLength: cache.length).forEach(emit)
            if decoder.contextExceeded { throw GenerationError.contextFull(contextLength: cache.capacity) }
            if let feed = decoder.nextFeed(cacheLength: cache.length) {
                if feed.resetCache { cache.reset() }                              // context shift: re-encode
                input = feed.tokens
            }
        }
        let stats = GenerationStats(promptTokens: prompt.count, generatedTokens: decoder.tokens.count,
                                    prefillSeconds: prefillSeconds,
                                    decodeSeconds: decoder.tokens.isEmpty ? 0 : Date().timeIntervalSince(t1))
        emit(.finished(decoder.finishReason ?? .length, stats))
    }
}
