// What a request samples with: temperature and truncation (top-k, top-p, min-p), penalties for tokens
// already seen (HF/llama.cpp repetition penalty, OpenAI presence/frequency penalties), OpenAI's
// `logit_bias`, a seed, and whether to report log-probabilities (OpenAI `logprobs` / `top_logprobs`).

/// Sampling settings for one sequence. Every field is checked by ``validate(vocabularySize:)``.
///
/// ```swift
/// var p = SamplingParameters(temperature: 0.8, topP: 0.95, seed: 42)
/// p.repetitionPenalty = 1.1
/// p.logitBias = [50256: -100]          // never end early
/// try p.validate(vocabularySize: 50257)
/// ```
public struct SamplingParameters: Codable, Equatable, Sendable {
    /// 0 means greedy (argmax); higher flattens the distribution.
    public var temperature: Float = 1
    /// Keep only the k most likely tokens (0 = no limit).
    public var topK: Int = 0
    /// Keep the smallest set of most likely tokens whose probability reaches p (1 = no limit).
    public var topP: Float = 1
    /// Keep tokens whose probability is at least `minP` times the most likely one's (0 = off).
    public var minP: Float = 0
    /// > 1 discourages tokens already in the prompt or output: positive logits are divided by it,
    /// negative ones multiplied (Keskar et al. 2019, as HF and llama.cpp apply it). 1 = off.
    public var repetitionPenalty: Float = 1
    /// Subtracted once from the logit of every token already generated (OpenAI, −2…2).
    public var presencePenalty: Float = 0
    /// Subtracted from a generated token's logit once per time it was generated (OpenAI, −2…2).
    public var frequencyPenalty: Float = 0
    /// Token id → value added to its logit (OpenAI `logit_bias`, −100…100; −100 bans, 100 forces).
    public var logitBias: [Int: Float] = [:]
    /// Seed for the sampling RNG.
    public var seed: UInt64 = 0
    /// Report the chosen token's log-probability.
    public var logprobs = false
    /// Also report this many most likely alternatives at each position (0…20, needs `logprobs`).
    public var topLogprobs = 0

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
                logitBias: [Int: Float] = [:], seed: UInt64 = 0, logprobs: Bool = false, topLogprobs: Int = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.minP = minP
        self.repetitionPenalty = repetitionPenalty; self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty; self.logitBias = logitBias; self.seed = seed
        self.logprobs = logprobs; self.topLogprobs = topLogprobs
    }

    /// Throws `GenerationError.invalidParameter` naming the first bad field. With `vocabularySize`,
    /// `logit_bias` ids are also checked against the model's vocabulary.
    public func validate(vocabularySize: Int? = nil) throws {
        func bad(_ message: String) -> GenerationError { .invalidParameter(message) }
        guard temperature >= 0, temperature.isFinite else { throw bad("temperature must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw bad("top_k must be ≥ 0, got \(topK)") }
        guard topP > 0 && topP <= 1 else { throw bad("top_p must be in (0, 1], got \(topP)") }
        guard minP >= 0 && minP <= 1 else { throw bad("min_p must be in [0, 1], got \(minP)") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else {
            throw bad("repetition_penalty must be > 0 (1 = off), got \(repetitionPenalty)")
        }
        guard presencePenalty >= -2 && presencePenalty <= 2 else { throw bad("presence_penalty must be in [-2, 2], got \(presencePenalty)") }
        guard frequencyPenalty >= -2 && frequencyPenalty <= 2 else { throw bad("frequency_penalty must be in [-2, 2], got \(frequencyPenalty)") }
        for (id, bias) in logitBias.sorted(by: { $0.key < $1.key }) {
            guard bias >= -100 && bias <= 100 else { throw bad("logit_bias for token \(id) must be in [-100, 100], got \(bias)") }
            guard id >= 0 && id < (vocabularySize ?? Int.max) else {
                throw bad("logit_bias names token \(id), outside the vocabulary of \(vocabularySize ?? 0) tokens")
            }
        }
        guard topLogprobs >= 0 && topLogprobs <= 20 else { throw bad("top_logprobs must be in [0, 20], got \(topLogprobs)") }
        guard topLogprobs == 0 || logprobs else { throw bad("top_logprobs needs logprobs = true") }
    }
}
