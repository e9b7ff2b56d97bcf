// Wire pieces shared by the OpenAI endpoints: fields that may be a string or a list, token usage,
// stream options, and the sampling fields every generation request carries, with OpenAI's
// snake_case names. Unknown fields are ignored by Codable, as OpenAI ignores them.
import QuillGeneration

/// A string or a list of strings (`stop`, embeddings `input`); null or absent is empty.
struct StringList: Decodable, Sendable {
    var values: [String]

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { values = [] } else if let one = try? c.decode(String.self) { values = [one] } else {
            values = try c.decode([String].self)
        }
    }
}

/// Token counts of one response (OpenAI `usage`).
struct Usage: Codable, Sendable, Equatable {
    struct PromptDetails: Codable, Sendable, Equatable {
        var cachedTokens: Int
        enum CodingKeys: String, CodingKey { case cachedTokens = "cached_tokens" }
    }

    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int
    var promptTokensDetails: PromptDetails?

    init(prompt: Int, completion: Int, cached: Int? = nil) {
        promptTokens = prompt; completionTokens = completion; totalTokens = prompt + completion
        promptTokensDetails = cached.map { PromptDetails(cachedTokens: $0) }
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
    }
}

struct StreamOptions: Decodable, Sendable {
    var includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// Sampling and stopping fields common to chat and legacy completions.
struct SamplingFields: Decodable, Sendable {
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var minP: Float?
    var presencePenalty: Float?
    var frequencyPenalty: Float?
    /// Not OpenAI's; llama-server and vLLM accept it.
    var repetitionPenalty: Float?
    /// Not OpenAI's (llama-server's and vLLM's): keep going past end-of-generation tokens and the chat
    /// template's end-of-turn strings, to `max_tokens` (benchmarks, checks that need a long answer).
    var ignoreEOS: Bool?
    var logitBias: [String: Float]?
    var seed: Int64?
    var n: Int?
    var stop: StringList?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var user: String?

    enum CodingKeys: String, CodingKey {
        case temperature, n, stop, seed, stream, user
        case topP = "top_p", topK = "top_k", minP = "min_p", presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty", repetitionPenalty = "repetition_penalty", logitBias = "logit_bias"
        case ignoreEOS = "ignore_eos", streamOptions = "stream_options"
    }

    var choiceCount: Int { n ?? 1 }
    var includeUsage: Bool { streamOptions?.includeUsage ?? false }

    /// One request's parameters per choice: choice i samples with seed + i, so choices differ while
    /// the same seed gives the same answers. Without a seed, one is drawn. `extraStops` (the template's
    /// end-of-turn strings) are dropped under `ignore_eos`; the request's own `stop` never is.
    func parameters(maxTokens: Int, extraStops: [String], logprobs: Bool, topLogprobs: Int,
                    vocabularySize: Int) throws -> [GenerationParameters] {
        guard (1...16).contains(choiceCount) else {
            throw OpenAIError.invalidRequest("n must be between 1 and 16, got \(choiceCount).", param: "n")
        }
        let stops = stop?.values ?? []
        guard stops.count <= 16 else { throw OpenAIError.invalidRequest("stop takes at most 16 sequences.", param: "stop") }
        var bias: [Int: Float] = [:]
        for (key, value) in logitBias ?? [:] {
            guard let id = Int(key) else {
                throw OpenAIError.invalidRequest("logit_bias keys must be token ids, got '\(key)'.", param: "logit_bias")
            }
            bias[id] = value
        }
        let base = seed.map { UInt64(bitPattern: $0) } ?? UInt64.random(in: 0...UInt64.max)
        var sampling = SamplingParameters(
            temperature: temperature ?? 1, topK: topK ?? 0, topP: topP ?? 1, minP: minP ?? 0,
            repetitionPenalty: repetitionPenalty ?? 1, presencePenalty: presencePenalty ?? 0,
            frequencyPenalty: frequencyPenalty ?? 0, logitBias: bias, seed: base, logprobs: logprobs, topLogprobs: topLogprobs)
        do { try sampling.validate(vocabularySize: vocabularySize) } catch { throw OpenAIError.from(error) }
        let keepGoing = ignoreEOS ?? false
        return (0..<choiceCount).map { i in
            sampling.seed = base &+ UInt64(i)
            return GenerationParameters(maxTokens: maxTokens, sampling: sampling, stop: stops + (keepGoing ? [] : extraStops),
                                        stopAtEndOfText: !keepGoing)
        }
    }
}

extension FinishReason {
    /// OpenAI's `finish_reason` ("cancelled" never reaches a client that is still listening).
    var apiName: String { self == .length ? "length" : self == .contentFilter ? "content_filter" : "stop" }
}
