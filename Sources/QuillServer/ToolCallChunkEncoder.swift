// Streaming with tools: the chat chunk encoder behind a ToolCallStreamFilter per choice, so text that
// may be a tool call is held back from `delta.content`; when the choice ends, its calls go out as
// `delta.tool_calls` fragments (index on each, id / type / name in the first, arguments in pieces) and
// the last chunk says `finish_reason: tool_calls`. With tools off it passes every event through.
import NIOCore
import QuillAssistant
import QuillGeneration

struct ToolCallChunkEncoder: ChunkEncoder {
    private var inner: ChatChunkEncoder
    private let use: ToolUse
    private var filters: [ToolCallStreamFilter?]

    init(_ inner: ChatChunkEncoder, tools: ToolUse, choices: Int) {
        self.inner = inner; use = tools
        filters = Array(repeating: tools.streamFilter(), count: choices)
    }

    func start() throws -> [ByteBuffer] { try inner.start() }

    func end() throws -> [ByteBuffer] { try inner.end() }

    mutating func encode(_ e: ChoiceEvent) throws -> [ByteBuffer] {
        let i = e.index
        guard filters.indices.contains(i), filters[i] != nil else { return try inner.encode(e) }
        switch e.event {
        case .token:
            return try inner.encode(e)
        case .text(let piece):
            let safe = filters[i]!.feed(piece)
            return safe.isEmpty ? [] : try inner.encode(ChoiceEvent(index: i, event: .text(safe)))
        case .finished(let reason, let stats):
            if reason == .contentFilter { return try inner.finish(i, reason: reason.apiName, stats: stats) }   // held text dropped
            let parsed = use.limited(filters[i]!.finish())
            var out: [ByteBuffer] = []
            if let content = parsed.content, !content.isEmpty {
                out += try inner.encode(ChoiceEvent(index: i, event: .text(content)))
            }
            guard !parsed.calls.isEmpty else { return out + (try inner.finish(i, reason: reason.apiName, stats: stats)) }
            for (k, call) in parsed.calls.enumerated() {
                for delta in ToolCallDelta.fragments(of: call, index: k) {
                    out.append(try inner.chunk([.init(index: i, delta: .init(toolCalls: [delta]))]))
                }
            }
            return out + (try inner.finish(i, reason: "tool_calls", stats: stats))
        }
    }
}
