// Logits processors: in-place edits of one row of logits that look only at the tokens seen so far,
// so each costs O(distinct tokens seen), never O(V log V). Composed in order by `Sampler`:
// repetition penalty, then presence/frequency penalties, then `logit_bias` (the caller's last word).

/// The tokens a sequence has seen: the prompt and what was generated, with generated counts.
public struct TokenHistory: Sendable {
    /// Every distinct id in the prompt or the output (what the repetition penalty looks at).
    public private(set) var seen: Set<Int>
    /// How often each id was generated (what presence and frequency penalties look at, as OpenAI's do).
    public private(set) var generatedCounts: [Int: Int] = [:]

    public init(prompt: [Int] = []) { seen = Set(prompt) }

    public mutating func append(_ id: Int) {
        seen.insert(id)
        generatedCounts[id, default: 0] += 1
    }
}

/// An edit of one row of logits (V floats) given the history of the sequence.
public protocol LogitsProcessor: Sendable {
    func process(_ logits: inout [Float], history: TokenHistory)
}

/// HF / llama.cpp repetition penalty: a seen token's logit is divided by `penalty` when positive and
/// multiplied by it when negative, so a penalty above 1 always makes it less likely.
public struct RepetitionPenalty: LogitsProcessor {
    public let penalty: Float
    public init(_ penalty: Float) { self.penalty = penalty }

    public func process(_ logits: inout [Float], history: TokenHistory) {
        for id in history.seen where id < logits.count {
            logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty
        }
    }
}

/// OpenAI presence and frequency penalties: logit −= count·frequency + (count > 0 ? presence : 0),
/// over generated tokens only.
public struct OccurrencePenalty: LogitsProcessor {
    public let presence: Float, frequency: Float
    public init(presence: Float, frequency: Float) { self.presence = presence; self.frequency = frequency }

    public func process(_ logits: inout [Float], history: TokenHistory) {
        for (id, count) in history.generatedCounts where id < logits.count {
            logits[id] -= Float(count) * frequency + presence
        }
    }
}

/// OpenAI `logit_bias`: a fixed value added to chosen tokens' logits (ids validated beforehand).
public struct LogitBias: LogitsProcessor {
    public let bias: [Int: Float]
    public init(_ bias: [Int: Float]) { self.bias = bias }

    public func process(_ logits: inout [Float], history: TokenHistory) {
        for (id, b) in bias where id < logits.count { logits[id] += b }
    }
}

extension SamplingParameters {
    /// The processors these parameters ask for, in the order they apply (none when all are off).
    public var logitsProcessors: [any LogitsProcessor] {
        var list: [any LogitsProcessor] = []
        if repetitionPenalty != 1 { list.append(RepetitionPenalty(repetitionPenalty)) }
        if presencePenalty != 0 || frequencyPenalty != 0 {
            list.append(OccurrencePenalty(presence: presencePenalty, frequency: frequencyPenalty))
        }
        if !logitBias.isEmpty { list.append(LogitBias(logitBias)) }
        return list
    }
}
