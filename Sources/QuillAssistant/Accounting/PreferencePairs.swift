// Feedback turned into preference pairs for reward models and DPO, written as JSONL in TRL's standard
// preference format: one `{"prompt", "chosen", "rejected"}` object per line. For one prompt, a corrected
// answer or a +1 response is chosen over a −1 response; a −1 response with a correction is paired
// with its own correction.
import Foundation

public struct PreferencePair: Sendable, Equatable, Codable, Hashable {
    public var prompt: String
    public var chosen: String
    public var rejected: String
    public init(prompt: String, chosen: String, rejected: String) { self.prompt = prompt; self.chosen = chosen; self.rejected = rejected }
}

public struct PreferencePairs: Sendable {
    public let pairs: [PreferencePair]

    /// Pairs from `entries`, grouped by exact prompt text, in the order of the −1 entries; duplicates
    /// and pairs whose two sides are equal are left out.
    public init(_ entries: [FeedbackEntry]) {
        var order: [String] = []
        var byPrompt: [String: [FeedbackEntry]] = [:]
        for e in entries {
            if byPrompt[e.prompt] == nil { order.append(e.prompt) }
            byPrompt[e.prompt, default: []].append(e)
        }
        var seen = Set<PreferencePair>(), out: [PreferencePair] = []
        func add(_ pair: PreferencePair) {
            guard pair.chosen != pair.rejected, !pair.chosen.isEmpty, seen.insert(pair).inserted else { return }
            out.append(pair)
        }
        for prompt in order {
            let group = byPrompt[prompt] ?? []
            // What the users preferred for this prompt: corrections first, then answers rated +1.
            let preferred = group.compactMap { $0.correction }.filter { !$0.isEmpty } + group.filter { $0.rating == 1 }.map(\.response)
            for bad in group where bad.rating == -1 {
                if let own = bad.correction, !own.isEmpty { add(PreferencePair(prompt: prompt, chosen: own, rejected: bad.response)) }
                for good in preferred { add(PreferencePair(prompt: prompt, chosen: good, rejected: bad.response)) }
            }
        }
        pairs = out
    }

    /// One JSON object per line, keys sorted (chosen, prompt, rejected) so the output is stable.
    public func jsonl() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for pair in pairs {
            data.append(try encoder.encode(pair))
            data.append(0x0A)
        }
        return data
    }
}
