// A streamed legacy completion as OpenAI sends it: `text_completion` chunks whose choices carry a
// `text` piece (the echoed prompt first, when asked), then one with `finish_reason`; with
// `include_usage`, a last chunk with `choices: []` and the usage.
import NIOCore
import QuillGeneration

struct CompletionChunkEncoder: ChunkEncoder {
    let id: String
    let created: Int
    let model: String
    let fingerprint: String
    /// Per choice, the prompt to echo first (nil: no echo).
    let echoed: [CompletionsRoute.PreparedPrompt]?
    let wantsLogprobs: Bool
    let includeUsage: Bool
    let promptTokens: Int
    let metrics: ServerMetrics?
    let requestStart: ContinuousClock.Instant
    let piece: @Sendable (Int) -> (text: String, bytes: [UInt8])
    private var pending: [[TokenLogprob]]
    private var offsets: [Int]
    private var stats: [GenerationStats?]
    private var sawToken: [Bool]

    init(id: String, created: Int, model: String, fingerprint: String, echoed: [CompletionsRoute.PreparedPrompt]?, choices: Int,
         wantsLogprobs: Bool, includeUsage: Bool, promptTokens: Int, metrics: ServerMetrics?, start: ContinuousClock.Instant,
         piece: @escaping @Sendable (Int) -> (text: String, bytes: [UInt8])) {
        self.id = id; self.created = created; self.model = model; self.fingerprint = fingerprint; self.echoed = echoed
        self.wantsLogprobs = wantsLogprobs; self.includeUsage = includeUsage; self.promptTokens = promptTokens
        self.metrics = metrics; self.requestStart = start; self.piece = piece
        pending = Array(repeating: [], count: choices)
        offsets = (0..<choices).map { echoed?[$0].text.count ?? 0 }
        stats = Array(repeating: nil, count: choices)
        sawToken = Array(repeating: false, count: choices)
    }

    private func chunk(_ choices: [Completion.Choice], usage: Usage? = nil) throws -> ByteBuffer {
        try JSONBody.event(Completion(id: id, created: created, model: model, systemFingerprint: fingerprint, choices: choices,
                                      usage: usage, writesUsage: includeUsage))
    }

    func start() throws -> [ByteBuffer] {
        guard let echoed else { return [] }
        return try echoed.enumerated().map { i, p in
            try chunk([.init(text: p.text, index: i, logprobs: wantsLogprobs ? p.logprobs ?? CompletionLogprobs() : nil)])
        }
    }

    mutating func encode(_ e: ChoiceEvent) throws -> [ByteBuffer] {
        let i = e.index
        switch e.event {
        case .token(_, let logprob):
            if !sawToken[i] { sawToken[i] = true; metrics?.observeFirstToken(after: seconds(since: requestStart)) }
            if let logprob, wantsLogprobs { pending[i].append(logprob) }
            return []
        case .text(let text):
            return [try chunk([.init(text: text, index: i, logprobs: takeLogprobs(i))])]
        case .finished(let reason, let s):
            stats[i] = s
            metrics?.recordGeneration(s)
            return [try chunk([.init(text: "", index: i, logprobs: takeLogprobs(i), finishReason: reason.apiName)])]
        }
    }

    func end() throws -> [ByteBuffer] {
        guard includeUsage else { return [] }
        return [try chunk([], usage: ChoiceStreams.usage(promptTokens: promptTokens, stats.compactMap { $0 }))]
    }

    private mutating func takeLogprobs(_ i: Int) -> CompletionLogprobs? {
        guard wantsLogprobs else { return nil }
        var out = CompletionLogprobs()
        for l in pending[i] {
            let text = piece(l.id).text
            let top = Dictionary(l.top.map { (piece($0.id).text, $0.logprob) }, uniquingKeysWith: { first, _ in first })
            out.append(token: text, logprob: l.logprob, top: top, offset: offsets[i])
            offsets[i] += text.count
        }
        pending[i] = []
        return out
    }
}
