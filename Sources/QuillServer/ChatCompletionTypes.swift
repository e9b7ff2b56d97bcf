// Request and response bodies of POST /v1/chat/completions, field for field as OpenAI's API
// reference has them: the request, the `chat.completion` object, the `chat.completion.chunk` of a
// stream, and per-token `logprobs.content`.
import QuillAssistant

struct ChatCompletionRequest: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String
        var content: String?
        var name: String?
        var toolCallID: String?
        var toolCalls: [ToolCallWire]?

        enum CodingKeys: String, CodingKey { case role, content, name, toolCallID = "tool_call_id", toolCalls = "tool_calls" }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            role = try c.decode(String.self, forKey: .role)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            toolCallID = try c.decodeIfPresent(String.self, forKey: .toolCallID)
            toolCalls = try c.decodeIfPresent([ToolCallWire].self, forKey: .toolCalls)
            // A string, null or absent (an assistant turn that only calls tools), or a list of parts of
            // which the text ones are joined.
            if try !c.contains(.content) || c.decodeNil(forKey: .content) { content = nil } else if
                let text = try? c.decode(String.self, forKey: .content) { content = text } else {
                let parts = try c.decode([Part].self, forKey: .content)
                content = parts.compactMap(\.text).joined()
            }
        }
    }

    struct Part: Decodable, Sendable {
        var type: String
        var text: String?
    }

    var model: String?
    var messages: [Message]
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var logprobs: Bool?
    var topLogprobs: Int?
    var sampling: SamplingFields
    /// Quill's extension when the server has a RAG index: `false` turns retrieval off for this request.
    var rag: RetrievalRequest?

    enum CodingKeys: String, CodingKey {
        case model, messages, logprobs, rag
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", topLogprobs = "top_logprobs"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        messages = try c.decode([Message].self, forKey: .messages)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxCompletionTokens = try c.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
        topLogprobs = try c.decodeIfPresent(Int.self, forKey: .topLogprobs)
        rag = try c.decodeIfPresent(RetrievalRequest.self, forKey: .rag)
        sampling = try SamplingFields(from: decoder)
    }

    var chatMessages: [ChatMessage] {
        messages.map { ChatMessage(role: $0.role, content: $0.content, toolCalls: ($0.toolCalls ?? []).map(\.call),
                                   toolCallID: $0.toolCallID, name: $0.name) }
    }
}

/// `logprobs` of a chat choice: one entry per generated token.
struct ChatLogprobs: Encodable, Sendable {
    struct Entry: Encodable, Sendable {
        var token: String
        var logprob: Float
        var bytes: [UInt8]
        var topLogprobs: [Alternative]
        enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
    }
    struct Alternative: Encodable, Sendable {
        var token: String
        var logprob: Float
        var bytes: [UInt8]
    }
    var content: [Entry]
}

struct ChatCompletion: Encodable, Sendable {
    struct Message: Encodable, Sendable {
        var role = "assistant"
        /// Null when the answer is only tool calls.
        var content: String?
        var toolCalls: [ToolCallWire]?
        enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(role, forKey: .role); try c.encode(content, forKey: .content)
            try c.encodeIfPresent(toolCalls, forKey: .toolCalls)
        }
    }
    struct Choice: Encodable, Sendable {
        var index: Int
        var message: Message
        var logprobs: ChatLogprobs?
        var finishReason: String
        enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index); try c.encode(message, forKey: .message)
            try c.encode(logprobs, forKey: .logprobs); try c.encode(finishReason, forKey: .finishReason)
        }
    }
    var id: String
    var object = "chat.completion"
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage
    var systemFingerprint: String
    /// Quill's extension with a RAG index: the retrieved chunks that citation [n] refers to (omitted otherwise).
    var sources: [RetrievalSource]?
    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, sources, systemFingerprint = "system_fingerprint" }
}

/// One event of a streamed chat completion.
struct ChatCompletionChunk: Encodable, Sendable {
    struct Delta: Encodable, Sendable {
        var role: String?
        var content: String?
        var toolCalls: [ToolCallDelta]?
        enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
    }
    struct Choice: Encodable, Sendable {
        var index: Int
        var delta: Delta
        var logprobs: ChatLogprobs?
        var finishReason: String?
        enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }
        func encode(to encoder: any Encoder) throws {         // nulls written, as OpenAI streams them
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index); try c.encode(delta, forKey: .delta)
            try c.encode(logprobs, forKey: .logprobs); try c.encode(finishReason, forKey: .finishReason)
        }
    }
    var id: String
    var object = "chat.completion.chunk"
    var created: Int
    var model: String
    var systemFingerprint: String
    var choices: [Choice]
    /// Written (as null until the last chunk) only when the request set `stream_options.include_usage`.
    var usage: Usage?
    var writesUsage: Bool

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, systemFingerprint = "system_fingerprint" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(object, forKey: .object); try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model); try c.encode(systemFingerprint, forKey: .systemFingerprint)
        try c.encode(choices, forKey: .choices)
        if writesUsage { try c.encode(usage, forKey: .usage) }
    }
}
