// A streamed chat completion as OpenAI sends it, event by event: per choice a first chunk whose
// delta is `{"role": "assistant", "content": ""}`, then content deltas (with their tokens' logprobs
// when asked), then an empty delta carrying `finish_reason`; every chunk with the same id; when
// `stream_options.include_usage` is set, `"usage": null` on each chunk and a last chunk with
// `choices: []` and the usage. The caller writes `data: [DONE]` after it.
import NIOCore
import QuillGeneration

struct ChatChunkEncoder: ChunkEncoder {
    let id: String
    let created: Int
    let model: String
    let fingerprint: String
    let includeUsage: Bool
    let promptTokens: Int
    let wantsLogprobs: Bool
    let piece: @Sendable (Int) -> (text: String, bytes: [UInt8])
    private var pendingLogprobs: [[TokenLogprob]]
    private var stats: [GenerationStats?]
    private let metrics: ServerMetrics?
    private var sawToken: [Bool]
    private let requestStart: ContinuousClock.Instant

    init(id: String, created: Int, model: String, fingerprint: String, choices: Int, includeUsage: Bool, promptTokens: Int,
         wantsLogprobs: Bool, metrics: ServerMetrics?, start: ContinuousClock.Instant, piece: @escaping @Sendable (Int) -> (text: String, bytes: [UInt8])) {
        self.id = id; self.created = created; self.model = model; self.fingerprint = fingerprint
        self.includeUsage = includeUsage; self.promptTokens = promptTokens; self.wantsLogprobs = wantsLogprobs
        self.piece = piece; self.metrics = metrics
        pendingLogprobs = Array(repeating: [], count: choices)
        stats = Array(repeating: nil, count: choices)
        sawToken = Array(repeating: false, count: choices)
        self.requestStart = start
    }

    func chunk(_ choices: [ChatCompletionChunk.Choice], usage: Usage? = nil) throws -> ByteBuffer {
        try JSONBody.event(ChatCompletionChunk(id: id, created: created, model: model, systemFingerprint: fingerprint,
                                               choices: choices, usage: usage, writesUsage: includeUsage))
    }

    /// The role chunk of every choice.
    func start() throws -> [ByteBuffer] {
        try stats.indices.map { try chunk([.init(index: $0, delta: .init(role: "assistant", content: ""))]) }
    }

    /// The chunks one generation event produces (none for a token whose text is still held back).
    mutating func encode(_ e: ChoiceEvent) throws -> [ByteBuffer] {
        let i = e.index
        switch e.event {
        case .token(_, let logprob):
            if !sawToken[i] { sawToken[i] = true; metrics?.observeFirstToken(after: seconds(since: requestStart)) }
            if let logprob, wantsLogprobs { pendingLogprobs[i].append(logprob) }
            return []
        case .text(let text):
            return [try chunk([.init(index: i, delta: .init(content: text), logprobs: takeLogprobs(i))])]
        case .finished(let reason, let s):
            return try finish(i, reason: reason.apiName, stats: s)
        }
    }

    /// The chunks that end choice `i` with the finish reason `reason` (an API name: stop, tool_calls…).
    mutating func finish(_ i: Int, reason: String, stats s: GenerationStats) throws -> [ByteBuffer] {
        stats[i] = s
        metrics?.recordGeneration(s)
        var out: [ByteBuffer] = []
        if !pendingLogprobs[i].isEmpty {                          // tokens whose text was cut by a stop string
            out.append(try chunk([.init(index: i, delta: .init(content: ""), logprobs: takeLogprobs(i))]))
        }
        out.append(try chunk([.init(index: i, delta: .init(), finishReason: reason)]))
        return out
    }

    /// The usage chunk, when asked for.
    func end() throws -> [ByteBuffer] {
        guard includeUsage else { return [] }
        return [try chunk([], usage: ChoiceStreams.usage(promptTokens: promptTokens, stats.compactMap { $0 }))]
    }

    private mutating func takeLogprobs(_ i: Int) -> ChatLogprobs? {
        guard wantsLogprobs else { return nil }
        defer { pendingLogprobs[i] = [] }
        return ChatLogprobs(content: pendingLogprobs[i].map { chatLogprob($0, piece: piece) })
    }
}

/// One token's logprob entry in the chat shape.
func chatLogprob(_ l: TokenLogprob, piece: (Int) -> (text: String, bytes: [UInt8])) -> ChatLogprobs.Entry {
    let p = piece(l.id)
    return ChatLogprobs.Entry(token: p.text, logprob: l.logprob, bytes: p.bytes, topLogprobs: l.top.map {
        let alt = piece($0.id)
        return ChatLogprobs.Alternative(token: alt.text, logprob: $0.logprob, bytes: alt.bytes)
    })
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
