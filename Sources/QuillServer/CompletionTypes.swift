// Request and response bodies of the legacy POST /v1/completions (and /v1/engines/{engine}/completions,
// the path openai==0.28 posts to): `prompt` as a string, a list of strings, token ids or lists of
// token ids; `echo`; `logprobs` as the number of alternatives; the `text_completion` object.
import QuillGeneration

/// The prompts of a legacy completion request, each as text or as token ids.
enum PromptInput: Decodable, Sendable {
    case text(String)
    case tokens([Int])

    static func list(from decoder: any Decoder) throws -> [PromptInput] {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) { return [.text(one)] }
        if let ids = try? c.decode([Int].self) { return [.tokens(ids)] }
        if let many = try? c.decode([String].self) { return many.map(PromptInput.text) }
        if let lists = try? c.decode([[Int]].self) { return lists.map(PromptInput.tokens) }
        throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath,
            debugDescription: "prompt must be a string, a list of strings, a list of token ids or a list of such lists"))
    }

    init(from decoder: any Decoder) throws { self = try Self.list(from: decoder)[0] }
}

struct CompletionRequest: Decodable, Sendable {
    var model: String?
    var prompts: [PromptInput]
    var maxTokens: Int?
    /// Alternatives per position (0…5); nil = no logprobs.
    var logprobs: Int?
    var echo: Bool?
    var sampling: SamplingFields

    enum CodingKeys: String, CodingKey { case model, prompt, logprobs, echo, maxTokens = "max_tokens" }

    struct Prompt: Decodable { let list: [PromptInput]; init(from d: any Decoder) throws { list = try PromptInput.list(from: d) } }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        // OpenAI requires prompt; absent means the empty prompt (start of text), as its docs once said.
        prompts = try c.decodeIfPresent(Prompt.self, forKey: .prompt)?.list ?? [.text("")]
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo)
        sampling = try SamplingFields(from: decoder)
    }
}

/// `logprobs` of a legacy choice: parallel lists over its tokens (echoed prompt tokens first).
struct CompletionLogprobs: Encodable, Sendable {
    var tokens: [String] = []
    /// Null for the first prompt token (nothing predicts it).
    var tokenLogprobs: [Float?] = []
    var topLogprobs: [[String: Float]?] = []
    /// Character offset of each token in the choice's text.
    var textOffset: [Int] = []

    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tokens, forKey: .tokens)
        var lp = c.nestedUnkeyedContainer(forKey: .tokenLogprobs)
        for v in tokenLogprobs { if let v { try lp.encode(v) } else { try lp.encodeNil() } }
        var top = c.nestedUnkeyedContainer(forKey: .topLogprobs)
        for v in topLogprobs { if let v { try top.encode(v) } else { try top.encodeNil() } }
        try c.encode(textOffset, forKey: .textOffset)
    }

    /// Appends one token; `offset` is where its text starts in the choice's text.
    mutating func append(token: String, logprob: Float?, top: [String: Float]?, offset: Int) {
        tokens.append(token); tokenLogprobs.append(logprob); topLogprobs.append(top); textOffset.append(offset)
    }
}

struct Completion: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        var text: String
        var index: Int
        var logprobs: CompletionLogprobs?
        var finishReason: String?
        enum CodingKeys: String, CodingKey { case text, index, logprobs, finishReason = "finish_reason" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text); try c.encode(index, forKey: .index)
            try c.encode(logprobs, forKey: .logprobs); try c.encode(finishReason, forKey: .finishReason)
        }
    }
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var systemFingerprint: String
    var choices: [Choice]
    var usage: Usage?
    /// Streams write `usage` (null until the last chunk) only under `include_usage`; full responses always.
    var writesUsage = true

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, systemFingerprint = "system_fingerprint" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(object, forKey: .object); try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model); try c.encode(systemFingerprint, forKey: .systemFingerprint)
        try c.encode(choices, forKey: .choices)
        if writesUsage { try c.encode(usage, forKey: .usage) }
    }
}
