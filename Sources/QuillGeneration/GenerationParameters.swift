// A generation request's settings (token limit, sampling, stop conditions) and why a sequence ended,
// following the OpenAI completions API's names: `max_tokens`, `stop`, `finish_reason`.

import QuillTokenizer

/// Settings for generating one sequence.
public struct GenerationParameters: Sendable {
    public var maxTokens: Int = 256
    public var sampling = SamplingParameters()
    /// Stop strings: output ends just before the first one (it is not emitted).
    public var stop: [String] = []
    /// Stop when the model emits an end-of-generation token — any of the tokenizer's
    /// `endOfGenerationIDs` or of `stopTokenIDs` (the token itself is not output).
    public var stopAtEndOfText = true
    /// More ids that end generation, beside those the tokenizer declares: the model's `config.json` /
    /// `generation_config.json` `eos_token_id` (`GenerationModel.stopTokenIDs`) or a request's own.
    public var stopTokenIDs: Set<Int> = []
    /// What happens when the sequence fills the context: stop (finish reason `length`, the default),
    /// throw, or llama.cpp's context shift (see ``ContextOverflow``).
    public var contextOverflow: ContextOverflow = .stop
    /// Restricts the tokens sampled (a grammar or JSON schema, see QuillAssistant's `GrammarConstraint`).
    public var constraint: (any TokenConstraint)?

    public init(maxTokens: Int = 256, sampling: SamplingParameters = .init(), stop: [String] = [],
                stopAtEndOfText: Bool = true, stopTokenIDs: Set<Int> = [], contextOverflow: ContextOverflow = .stop) {
        self.maxTokens = maxTokens; self.sampling = sampling; self.stop = stop; self.stopAtEndOfText = stopAtEndOfText
        self.stopTokenIDs = stopTokenIDs
        self.contextOverflow = contextOverflow
    }

    /// The ids that end a sequence decoded with `tokenizer` (empty when `stopAtEndOfText` is off).
    public func endOfGenerationIDs(_ tokenizer: any Tokenizer) -> Set<Int> {
        guard stopAtEndOfText else { return [] }
        var ids = tokenizer.endOfGenerationIDs.union(stopTokenIDs)
        if let endOfText = tokenizer.endOfTextID { ids.insert(endOfText) }
        return ids
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
    case contentFilter = "content_filter"   // a content policy stopped the answer (QuillAssistant's ContentPolicy)
}
