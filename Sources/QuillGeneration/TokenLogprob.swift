// Log-probabilities in the shape of OpenAI's `logprobs.content[i]`: the chosen token's log-probability
// and the n most likely alternatives, from one log-sum-exp pass and a size-n heap over the row.
import Foundation

/// One position's log-probabilities. They are taken from the logits after penalties and `logit_bias`
/// (the distribution the request shaped) and before temperature and truncation (which only change
/// how that distribution is drawn from), as HF's processed `scores` are.
public struct TokenLogprob: Sendable, Equatable, Codable {
    public struct Alternative: Sendable, Equatable, Codable {
        public var id: Int
        public var logprob: Float
    }

    public var id: Int
    public var logprob: Float
    /// The most likely tokens at this position, most likely first (OpenAI `top_logprobs`).
    public var top: [Alternative]

    /// log softmax(logits)[chosen] and the `top` best alternatives.
    public init(logits: [Float], chosen: Int, top n: Int) {
        var maxLogit = -Float.infinity
        for z in logits where z > maxLogit { maxLogit = z }
        var sum: Double = 0
        for z in logits { sum += Double(expf(z - maxLogit)) }
        let logZ = maxLogit + Float(log(sum))
        id = chosen
        logprob = logits[chosen] - logZ
        // Tokens a grammar masked (-infinity) are no alternatives (and JSON has no -infinity).
        top = n == 0 ? [] : Sampler.topKIndices(logits, k: min(n, logits.count)).filter { logits[$0] > -.infinity }
            .sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            .map { Alternative(id: $0, logprob: logits[$0] - logZ) }
    }
}
