// A generation request's settings (token limit, sampling, stop conditions) and why a sequence ended,
// following the OpenAI completions API's names: `max_tokens`, `stop`, `finish_reason`.

/// Settings for generating one sequence.
public struct GenerationParameters: Sendable {
    public var maxTokens: Int = 256
    public var sampling = SamplingParameters()
    /// Stop strings: output ends just before the first one (it is not emitted).
    public var stop: [String] = []
    /// Stop when the model emits its end-of-text token (the token itself is not output).
    public var stopAtEndOfText = true
    /// What happens when the sequence fills the context: stop (finish reason `length`, the default),
    /// throw, or llama.cpp's context shift (see ``ContextOverflow``).
    public var contextOverflow: ContextOverflow = .stop

    public init(maxTokens: Int = 256, sampling: SamplingParameters = .init(), stop: [String] = [],
                stopAtEndOfText: Bool = true, contextOverflow: ContextOverflow = .stop) {
        self.maxTokens = maxTokens; self.sampling = sampling; self.stop = stop; self.stopAtEndOfText = stopAtEndOfText
        self.contextOverflow = contextOverflow
    }

    /// Throws `GenerationError.invalidParameter` for the first bad field.
    public func validate(vocabularySize: Int) throws {
        guard maxTokens >= 0 else { throw GenerationError.invalidParameter("max_tokens must be ≥ 0, got \(maxTokens)") }
        try sampling.validate(vocabularySize: vocabularySize)
    }

    /// The prompt to prefill: checked against the vocabulary and context, or the end-of-text token
    /// alone when empty (how GPT-2 starts unconditional text).
    static func preparedPrompt(_ tokens: [Int], endOfText: Int?, vocabularySize: Int, contextLength: Int) throws -> [Int] {
        var prompt = tokens
        if prompt.isEmpty {
            guard let endOfText else { throw GenerationError.emptyPrompt }
            prompt = [endOfText]
        }
        for id in prompt where id < 0 || id >= vocabularySize {
            throw GenerationError.invalidParameter("prompt token \(id) is outside the vocabulary of \(vocabularySize) tokens")
        }
        guard prompt.count < contextLength else {
            throw GenerationError.promptTooLong(tokens: prompt.count, contextLength: contextLength)
        }
        return prompt
    }
}

/// Why a sequence ended (OpenAI `finish_reason`).
public enum FinishReason: String, Sendable, Codable {
    case length      // max tokens or the context window reached
    case stop        // stop string or end-of-text (OpenAI's "stop")
    case cancelled   // the consumer stopped listening or cancelled the request
}
