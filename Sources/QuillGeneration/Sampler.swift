// Picks the next token from logits: greedy at temperature 0; otherwise temperature scaling, top-k
// by partial selection (a size-k heap, no full sort), nucleus (top-p) over the survivors, and a draw
// from Quill's seeded RNG — so a fixed seed reproduces the same tokens.
import QuillTensor

public struct SamplingParameters: Codable, Equatable, Sendable {
    /// 0 means greedy (argmax); higher flattens the distribution.
    public var temperature: Float = 1
    /// Keep only the k most likely tokens (0 = no limit).
    public var topK: Int = 0
    /// Keep the smallest set of tokens whose probability reaches p (1 = no limit).
    public var topP: Float = 1
    /// Seed for the sampling RNG.
    public var seed: UInt64 = 0

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.seed = seed
    }

    /// Throws `GenerationError.invalidParameter` naming the first bad field.
    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw GenerationError.invalidParameter("temperature must be ≥ 0, got \(temperature)") }
        guard topK >= 0 else { throw GenerationError.invalidParameter("top_k must be ≥ 0, got \(topK)") }
        guard topP > 0 && topP <= 1 else { throw GenerationError.invalidParameter("top_p must be in (0, 1], got \(topP)") }
    }
}

public struct Sampler {
    public let parameters: SamplingParameters
    public private(set) var rng: RandomGenerator

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        rng = RandomGenerator(seed: parameters.seed)
    }

    /// The chosen token id for one row of logits.
    public mutating func sample(_ logits: [Float]) -> Int {
        precondition(!logits.isEmpty, "Sampler: empty logits")
        if parameters.temperature == 0 { return Self.argmax(logits) }
        let candidates = Self.allowedTokens(logits, topK: parameters.topK, topP: parameters.topP,
                                            temperature: parameters.temperature)
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

    /// The tokens sampling may pick, most likely first, with unnormalised probabilities (and their sum).
    public static func allowedTokens(_ logits: [Float], topK: Int, topP: Float, temperature: Float)
        -> (tokens: [(id: Int, p: Float)], total: Float) {
        let ids = topK > 0 && topK < logits.count ? topKIndices(logits, k: topK) : Array(logits.indices)
        let maxLogit = ids.map { logits[$0] }.max()!
        var tokens = ids.map { (id: $0, p: expf((logits[$0] - maxLogit) / temperature)) }
        tokens.sort { $0.p > $1.p || ($0.p == $1.p && $0.id < $1.id) }
        var total = tokens.reduce(0) { $0 + $1.p }
        if topP < 1 {
            var cumulative: Float = 0
            var keep = 0
            for t in tokens {
                cumulative += t.p
                keep += 1
                if cumulative >= topP * total { break }
            }
            tokens.removeSubrange(keep...)
            total = cumulative
        }
        return (tokens, total)
    }

    /// The k largest logits' indices by a bounded min-heap: O(V log k), no full sort.
    static func topKIndices(_ logits: [Float], k: Int) -> [Int] {
        var heap: [Int] = []   // min-heap on logits
        heap.reserveCapacity(k)
        func less(_ a: Int, _ b: Int) -> Bool { logits[a] < logits[b] || (logits[a] == logits[b] && a > b) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && less(heap[l], heap[m]) { m = l }
                if r < heap.count && less(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m); i = m
            }
        }
        for i in logits.indices {
            if heap.count < k {
                heap.append(i)
                var c = heap.count - 1
                while c > 0 && less(heap[c], heap[(c - 1) / 2]) { heap.swapAt(c, (c - 1) / 2); c = (c - 1) / 2 }
            } else if less(heap[0], i) {
                heap[0] = i
                siftDown(0)
            }
        }
        return heap
    }
}

import Foundation
