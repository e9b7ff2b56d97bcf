// What a streamed chat answer reports (the mlx-swift-lm pattern: text chunks, then one summary with
// token counts and speed), and the per-turn usage line `quill chat` prints, with the cost of a turn
// at a price per million tokens as OpenAI bills it (prompt and completion tokens alike).
import Foundation
import QuillGeneration

/// One step of a streamed chat answer.
public enum ChatEvent: Sendable, Equatable {
    /// Newly completed answer text.
    case text(String)
    /// A generated token id (one per token, before the text it completes).
    case token(Int)
    /// The last event: why the answer ended, its token counts and speed.
    case finished(ChatUsage)
}

/// Token counts and timing of one answer.
public struct ChatUsage: Sendable, Equatable {
    public var finishReason: FinishReason
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens reused from the cache of an earlier turn instead of being recomputed.
    public var cachedPromptTokens: Int
    /// Seconds from submitting the prompt to the first token (queueing and prefill).
    public var timeToFirstToken: Double
    /// Decode speed: completion tokens after the first, per second.
    public var tokensPerSecond: Double

    public init(finishReason: FinishReason, promptTokens: Int, completionTokens: Int, cachedPromptTokens: Int = 0,
                timeToFirstToken: Double = 0, tokensPerSecond: Double = 0) {
        self.finishReason = finishReason; self.promptTokens = promptTokens; self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens; self.timeToFirstToken = timeToFirstToken
        self.tokensPerSecond = tokensPerSecond
    }

    public var totalTokens: Int { promptTokens + completionTokens }

    /// What the turn costs at `pricePerMillion` per million tokens.
    public func cost(pricePerMillion: Double) -> Double { Double(totalTokens) * pricePerMillion / 1_000_000 }

    /// The content policy refused the question itself: nothing was encoded or generated.
    public var inputRefused: Bool { finishReason == .contentFilter && promptTokens == 0 && completionTokens == 0 }

    /// `[12 prompt tokens, 30 completion tokens, 41.2 tok/s, $0.000168]`, the cost only with a price.
    public func summary(pricePerMillion: Double? = nil) -> String {
        var parts = ["\(promptTokens) prompt tokens" + (cachedPromptTokens > 0 ? " (\(cachedPromptTokens) cached)" : ""),
                     "\(completionTokens) completion tokens", String(format: "%.1f tok/s", tokensPerSecond)]
        if let pricePerMillion { parts.append(String(format: "$%.6f", cost(pricePerMillion: pricePerMillion))) }
        if finishReason != .stop { parts.append(finishReason == .length ? "stopped at the token limit"
                                                           : finishReason == .contentFilter ? "stopped by the content filter" : "stopped") }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}

/// Follows an answer's events to give its usage even when it was cut off before `.finished`.
public struct ChatUsageMeter: Sendable {
    public let promptTokens: Int
    private let start: ContinuousClock.Instant
    private var firstToken: ContinuousClock.Instant?
    private var lastToken: ContinuousClock.Instant?
    public private(set) var completionTokens = 0
    public private(set) var finished: ChatUsage?

    public init(promptTokens: Int, start: ContinuousClock.Instant = .now) {
        self.promptTokens = promptTokens; self.start = start
    }

    public mutating func record(_ event: ChatEvent, at now: ContinuousClock.Instant = .now) {
        switch event {
        case .token:
            completionTokens += 1
            if firstToken == nil { firstToken = now }
            lastToken = now
        case .finished(let usage): finished = usage
        case .text: break
        }
    }

    /// The answer's usage: as reported by `.finished`, else measured here with `reason`.
    public func usage(ifUnfinished reason: FinishReason = .cancelled) -> ChatUsage {
        if let finished { return finished }
        let ttft = firstToken.map { Self.seconds(start, $0) } ?? 0
        var decode = 0.0
        if let first = firstToken, let last = lastToken { decode = Self.seconds(first, last) }
        let rate = decode > 0 ? Double(completionTokens - 1) / decode : 0
        return ChatUsage(finishReason: reason, promptTokens: promptTokens, completionTokens: completionTokens,
                         timeToFirstToken: ttft, tokensPerSecond: rate)
    }

    static func seconds(_ a: ContinuousClock.Instant, _ b: ContinuousClock.Instant) -> Double {
        let d = b - a
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
