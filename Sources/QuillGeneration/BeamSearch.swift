// Beam search (as Hugging Face's BeamSearchScorer does it): keep the `width` best partial sequences by
// summed log-probability, finish a hypothesis when a top-`width` candidate is end-of-text, and rank
// finished ones by GNMT's length-normalised score logp / length^α. All beams advance in one batched
// forward pass per step, each with its own KV cache (forked by copying when a beam has two children).
import Foundation
import QuillModels
import QuillTensor

/// Settings for ``BeamSearch``.
public struct BeamSearchParameters: Sendable, Equatable {
    /// Number of beams kept at each step (1 = greedy).
    public var width: Int = 4
    public var maxTokens: Int = 64
    /// α in score = sum of log-probabilities / length^α (Wu et al. 2016, HF `length_penalty`);
    /// > 0 favours longer sequences, 0 ranks by raw log-probability.
    public var lengthPenalty: Float = 1
    /// Stop as soon as `width` hypotheses have finished (HF `early_stopping=True`); otherwise stop
    /// when no live beam can still beat the worst of them (HF's default heuristic).
    public var earlyStopping = false
    /// How many hypotheses to return, best first (≤ width).
    public var nBest: Int = 1
    /// End-of-text ends a hypothesis (the token is not included in its tokens).
    public var stopAtEndOfText = true

    public init(width: Int = 4, maxTokens: Int = 64, lengthPenalty: Float = 1, earlyStopping: Bool = false,
                nBest: Int = 1, stopAtEndOfText: Bool = true) {
        self.width = width; self.maxTokens = maxTokens; self.lengthPenalty = lengthPenalty
        self.earlyStopping = earlyStopping; self.nBest = nBest; self.stopAtEndOfText = stopAtEndOfText
    }

    /// Throws `GenerationError.invalidParameter` naming the first bad field.
    public func validate() throws {
        func bad(_ m: String) -> GenerationError { .invalidParameter(m) }
        guard width >= 1 && width <= 64 else { throw bad("beam width must be in 1...64, got \(width)") }
        guard maxTokens >= 1 else { throw bad("max_tokens must be ≥ 1 for beam search, got \(maxTokens)") }
        guard lengthPenalty.isFinite else { throw bad("length_penalty must be finite, got \(lengthPenalty)") }
        guard nBest >= 1 && nBest <= width else { throw bad("n_best must be in 1...\(width) (the beam width), got \(nBest)") }
    }
}

/// One finished beam.
public struct BeamHypothesis: Sendable, Equatable {
    /// Generated tokens (without the end-of-text token).
    public var tokens: [Int]
    /// Sum of the log-probabilities of every generated token, end-of-text included.
    public var logprob: Float
    /// logprob / length^α, length counting end-of-text when it ended the hypothesis.
    public var score: Float
    /// `.stop` when it ended with end-of-text, `.length` when the limit or the context cut it.
    public var finishReason: FinishReason
}

/// Beam search over any ``LanguageModel``.
///
/// ```swift
/// let best = try BeamSearch(model: gpt, endOfTextID: 50256)
///     .run(promptTokens: ids, parameters: .init(width: 4, maxTokens: 40, nBest: 2))
/// print(best[0].tokens, best[0].score)
/// ```
public final class BeamSearch {
    public let model: any LanguageModel
    public let endOfTextID: Int?
    /// Every id that finishes a hypothesis (`endOfTextID` and the model's other end-of-generation ids).
    public let endOfGenerationIDs: Set<Int>

    public init(model: any LanguageModel, endOfTextID: Int?, endOfGenerationIDs: Set<Int> = []) {
        self.model = model
        self.endOfTextID = endOfTextID
        self.endOfGenerationIDs = endOfGenerationIDs.union(endOfTextID.map { [$0] } ?? [])
    }

    struct Beam { var tokens: [Int]; var logprob: Float; var cache: KVCache }
    struct Candidate { var beam: Int; var token: Int; var logprob: Float }

    /// The `nBest` best hypotheses, best first.
    public func run(promptTokens: [Int], parameters p: BeamSearchParameters) throws -> [BeamHypothesis] {
        try p.validate()
        let prompt = try GenerationParameters.preparedPrompt(promptTokens, endOfText: endOfTextID,
            vocabularySize: model.vocabularySize, contextLength: model.contextLength)
        let root = model.makeCache()
        var logits = try model.forward(prompt, cache: root)                                // (1, V)
        var beams = [Beam(tokens: [], logprob: 0, cache: root)]
        var finished: [BeamHypothesis] = []
        var spare: [KVCache] = []
        for step in 0..<p.maxTokens {
            var live: [Candidate] = []
            for (rank, c) in candidates(logits, beams: beams, count: 2 * p.width).enumerated() {
                if p.stopAtEndOfText && endOfGenerationIDs.contains(c.token) {
                    // Only an end-of-text among the top `width` finishes a hypothesis (HF's rule).
                    if rank < p.width {
                        finished.append(hypothesis(beams[c.beam].tokens, c.logprob, ended: true, p))
                    }
                    continue
                }
                live.append(c)
                if live.count == p.width { break }
            }
            if live.isEmpty || isDone(finished, best: live[0], length: step + 1, p) { break }
            let full = beams[0].cache.length >= model.contextLength || step + 1 == p.maxTokens
            if full {
                finished += live.map { hypothesis(beams[$0.beam].tokens + [$0.token], $0.logprob, ended: false, p) }
                break
            }
            beams = fork(beams, into: live, spare: &spare)
            logits = try model.forwardBatch(beams.map { [$0.tokens.last!] }, caches: beams.map(\.cache))
        }
        // Best score first; equal scores keep the order they finished in.
        let order = finished.indices.sorted { (finished[$0].score, -$0) > (finished[$1].score, -$1) }
        return order.prefix(p.nBest).map { finished[$0] }
    }

    /// The best `count` continuations over all beams by summed log-probability (ties: earlier beam,
    /// then lower token id), from each beam's own best `count` tokens.
    func candidates(_ logits: Tensor, beams: [Beam], count: Int) -> [Candidate] {
        let V = model.vocabularySize
        var all: [Candidate] = []
        for (b, beam) in beams.enumerated() {
            let row = Array(UnsafeBufferPointer(start: logits.data + b * V, count: V))
            var maxLogit = -Float.infinity
            for z in row where z > maxLogit { maxLogit = z }
            var sum: Double = 0
            for z in row { sum += Double(expf(z - maxLogit)) }
            let logZ = maxLogit + Float(log(sum))
            for t in Sampler.topKIndices(row, k: min(count, V)) {
                all.append(Candidate(beam: b, token: t, logprob: beam.logprob + row[t] - logZ))
            }
        }
        all.sort { ($0.logprob, -$0.beam, -$0.token) > ($1.logprob, -$1.beam, -$1.token) }
        return Array(all.prefix(count))
    }

    func hypothesis(_ tokens: [Int], _ logprob: Float, ended: Bool, _ p: BeamSearchParameters) -> BeamHypothesis {
        let length = Float(max(1, tokens.count + (ended ? 1 : 0)))
        return BeamHypothesis(tokens: tokens, logprob: logprob, score: logprob / powf(length, p.lengthPenalty),
                              finishReason: ended ? .stop : .length)
    }

    /// Whether the search can stop: `width` hypotheses finished and (unless early stopping) the best
    /// live beam, scored at its current length, cannot beat the worst of the `width` best.
    func isDone(_ finished: [BeamHypothesis], best: Candidate, length: Int, _ p: BeamSearchParameters) -> Bool {
        guard finished.count >= p.width else { return false }
        if p.earlyStopping { return true }
        let worstKept = finished.map(\.score).sorted(by: >)[p.width - 1]
        return worstKept >= best.logprob / powf(Float(length), p.lengthPenalty)
    }

    /// The next beams: each takes its parent's cache when it is the parent's first child, otherwise a
    /// copy of it (into a cache no child needs). Copies happen before any cache advances.
    func fork(_ parents: [Beam], into live: [Candidate], spare: inout [KVCache]) -> [Beam] {
        let used = Set(live.map(\.beam))
        spare += parents.indices.filter { !used.contains($0) }.map { parents[$0].cache }
        var claimed = Set<Int>()
        return live.map { c in
            let parent = parents[c.beam]
            let cache: KVCache
            if claimed.insert(c.beam).inserted {
                cache = parent.cache
            } else {
                cache = spare.popLast() ?? model.makeCache()
                cache.copy(from: parent.cache)
            }
            return Beam(tokens: parent.tokens + [c.token], logprob: c.logprob, cache: cache)
        }
    }
}
