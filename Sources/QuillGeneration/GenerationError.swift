// Typed errors for generation requests.

public enum GenerationError: Error, CustomStringConvertible, Equatable {
    case invalidParameter(String)
    case emptyPrompt
    case promptTooLong(tokens: Int, contextLength: Int)
    /// Generation filled the context and the request's ``ContextOverflow`` is `.error`.
    case contextFull(contextLength: Int)

    public var description: String {
        switch self {
        case .invalidParameter(let m): return "invalid generation parameter: \(m)"
        case .emptyPrompt: return "the prompt is empty and the model has no end-of-text token to start from"
        case .promptTooLong(let n, let c):
            return "the prompt has \(n) tokens but the model's context holds \(c); shorten it"
        case .contextFull(let c):
            return "generation filled the model's context of \(c) tokens; ask for fewer tokens or allow a context shift (--context-overflow shift)"
        }
    }
}
