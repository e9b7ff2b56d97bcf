// What generation does when a sequence fills the context window: stop (OpenAI's finish_reason
// "length"), fail with an error, or keep going with llama.cpp's context shift — keep the first
// `keep` tokens, drop the oldest half of the rest, and re-encode the kept window from an empty cache.
// Re-encoding (not shifting cached keys) is exact for learned absolute positions (GPT-2) and RoPE alike.

/// The policy for a sequence that has filled the model's context (the KV cache capacity).
public enum ContextOverflow: Equatable, Sendable {
    /// End with finish reason `length` (the OpenAI API's behaviour; the default).
    case stop
    /// Throw ``GenerationError/contextFull(contextLength:)`` when another token would need a position
    /// past the context (a sequence that reaches `maxTokens` exactly at the end is not an error).
    case error
    /// llama.cpp's context shift (`--keep N`): when the cache is full, the history (prompt + generated
    /// tokens) becomes its first `keep` tokens followed by the newest tokens, dropping half of the
    /// positions after `keep`; that window is re-encoded from an empty cache (positions restart at 0)
    /// and generation continues. The logits after a shift are exactly those of a fresh run on the window.
    case shift(keep: Int)

    /// Parses the CLI / API names: "stop", "error", "shift" (also "slide", "context-shift").
    public init?(name: String, keep: Int = 0) {
        switch name.lowercased() {
        case "stop": self = .stop
        case "error": self = .error
        case "shift", "slide", "context-shift": self = .shift(keep: keep)
        default: return nil
        }
    }

    /// Throws `GenerationError.invalidParameter` when `keep` leaves no room to drop positions.
    public func validate(contextLength: Int) throws {
        guard case .shift(let keep) = self else { return }
        guard keep >= 0 && keep <= contextLength - 2 else {
            throw GenerationError.invalidParameter("context shift keep must be in 0...\(max(0, contextLength - 2)) for a context of \(contextLength), got \(keep)")
        }
    }

    /// The window to re-encode when `history` (every token so far, the last one not yet in the cache)
    /// no longer fits a full cache of `capacity` positions. The full cache holds the first `keep`
    /// tokens and the `capacity − keep` tokens before the last (after earlier shifts too); the oldest
    /// half of those is dropped (llama.cpp's n_discard = n_left / 2, at least 1). At most `capacity` long.
    public static func shiftedWindow(_ history: [Int], keep: Int, capacity: Int) -> [Int] {
        precondition(history.count > capacity, "ContextOverflow: history of \(history.count) fits \(capacity)")
        let keep = min(keep, max(0, capacity - 2))
        let left = capacity - keep, discard = max(1, left / 2)
        let tailStart = history.count - 1 - left                          // first cached token after `keep`
        let window = Array(history[..<keep]) + Array(history[(tailStart + discard)...])
        precondition(window.count <= capacity, "ContextOverflow: window of \(window.count) exceeds \(capacity)")
        return window
    }
}
