// What generation reports as it goes (the mlx-swift-lm pattern: a stream of events ending with
// timing info) and the collected result of a whole run.

/// One step of a streamed generation.
public enum GenerationEvent: Sendable, Equatable {
    /// Newly completed text (complete UTF-8, never part of a stop string).
    case text(String)
    /// A generated token, with its log-probabilities when the request asked for them.
    case token(id: Int, logprob: TokenLogprob?)
    /// The last event of a sequence.
    case finished(FinishReason, GenerationStats)
}

/// Token counts and timing for one sequence.
public struct GenerationStats: Sendable, Equatable {
    public var promptTokens: Int
    public var generatedTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    /// Prompt tokens whose keys and values came from a cached earlier sequence instead of being
    /// recomputed (OpenAI `usage.prompt_tokens_details.cached_tokens`).
    public var cachedPromptTokens: Int

    public init(promptTokens: Int, generatedTokens: Int, prefillSeconds: Double, decodeSeconds: Double,
                cachedPromptTokens: Int = 0) {
        self.promptTokens = promptTokens; self.generatedTokens = generatedTokens
        self.prefillSeconds = prefillSeconds; self.decodeSeconds = decodeSeconds
        self.cachedPromptTokens = cachedPromptTokens
    }

    /// Generated tokens per second over the decode phase (the first token comes from the prefill).
    public var tokensPerSecond: Double { decodeSeconds > 0 ? Double(max(0, generatedTokens - 1)) / decodeSeconds : 0 }
    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
}

/// Everything one generation produced.
public struct GenerationResult: Sendable {
    public var text: String
    public var tokens: [Int]
    public var finishReason: FinishReason
    public var promptTokens: Int
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    /// One entry per token when the request asked for `logprobs`.
    public var logprobs: [TokenLogprob]?

    public var stats: GenerationStats {
        GenerationStats(promptTokens: promptTokens, generatedTokens: tokens.count,
                        prefillSeconds: prefillSeconds, decodeSeconds: decodeSeconds)
    }
    public var tokensPerSecond: Double { stats.tokensPerSecond }
    public var prefillTokensPerSecond: Double { stats.prefillTokensPerSecond }

    /// Collects a finished sequence's events.
    init(events: [GenerationEvent]) {
        var text = "", tokens: [Int] = [], logprobs: [TokenLogprob] = [], wantsLogprobs = false
        var reason = FinishReason.length, stats = GenerationStats(promptTokens: 0, generatedTokens: 0, prefillSeconds: 0, decodeSeconds: 0)
        for event in events {
            switch event {
            case .text(let piece): text += piece
            case .token(let id, let logprob):
                tokens.append(id)
                if let logprob { logprobs.append(logprob); wantsLogprobs = true }
            case .finished(let r, let s): reason = r; stats = s
            }
        }
        self.text = text; self.tokens = tokens; finishReason = reason; promptTokens = stats.promptTokens
        prefillSeconds = stats.prefillSeconds; decodeSeconds = stats.decodeSeconds
        self.logprobs = wantsLogprobs ? logprobs : nil
    }
}
