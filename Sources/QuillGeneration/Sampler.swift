// Picks the next token from one row of logits: logits processors (penalties, logit_bias), then greedy
// at temperature 0, or truncation (top-k by a size-k heap, min-p by a logit threshold, top-p by popping
// a heap only until the mass is reached — never a full sort of V) and a draw from Quill's seeded RNG,
// so a fixed seed reproduces the same tokens. Optionally reports log-probabilities.
import Foundation
import QuillTensor

/// A chosen token with its log-probability when the request asked for one.
public struct SampledToken: Sendable, Equatable {
    public var id: Int
    public var logprob: TokenLogprob?
}

/// Turns logits into tokens for one sequence, remembering what it has seen for the penalties.
///
/// ```swift
/// var sampler = Sampler(SamplingParameters(temperature: 0.7, topP: 0.9, seed: 1), prompt: promptIDs)
/// let next = sampler.next(logitsRow)      // .id, .logprob
/// ```
public struct Sampler {
    public let parameters: SamplingParameters
    public private(set) var rng: RandomGenerator
    public private(set) var history: TokenHistory
    private let processors: [any LogitsProcessor]

    /// `prompt` seeds the history the repetition penalty looks at.
    public init(_ parameters: SamplingParameters, prompt: [Int] = []) {
        self.parameters = parameters
        rng = RandomGenerator(seed: parameters.seed)
        history = TokenHistory(prompt: prompt)
        processors = parameters.logitsProcessors
    }

    /// Chooses the next token for one row of logits and records it in the history.
    public mutating func next(_ logits: [Float]) -> SampledToken {
        precondition(!logits.isEmpty, "Sampler: empty logits")
        var z = logits
        for p in processors { p.process(&z, history: history) }
        let id: Int
        if parameters.temperature == 0 {
            id = Self.argmax(z)
        } else {
            let candidates = Self.allowedTokens(z, topK: parameters.topK, topP: parameters.topP,
                                                minP: parameters.minP, temperature: parameters.temperature)
            id = draw(from: candidates)
        }
        history.append(id)
        let logprob = parameters.logprobs ? TokenLogprob(logits: z, chosen: id, top: parameters.topLogprobs) : nil
        return SampledToken(id: id, logprob: logprob)
    }

    /// The chosen token id for one row of logits.
    public mutating func sample(_ logits: [Float]) -> Int { next(logits).id }

    private mutating func draw(from candidates: (tokens: [(id: Int, p: Float)], total: Float)) -> Int {
        var u = Float(rng.nextDouble()) * candidates.total
        for (id, p) in candidates.tokens {
            u -= p
            if u < 0 { return id }
        }
        return candidates.tokens.last!.id
    }

    /// Index of the largest logit (the first one on ties).
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }
}
