// A chat's history as `quill chat` and the library keep it: an optional system prompt and the turns
// after it, and the window of it that fits a token budget — the oldest turns dropped first, the system
// prompt and the newest question always kept (what llama.cpp's and ollama's chat loops do).

/// Why a conversation cannot be sent.
public enum ConversationError: Error, CustomStringConvertible, Equatable {
    /// Even the system prompt with the newest turn alone is over the budget.
    case doesNotFit(tokens: Int, budget: Int)
    /// There is no user message to answer.
    case nothingToAnswer

    public var description: String {
        switch self {
        case .doesNotFit(let tokens, let budget):
            return "the system prompt and the last message take \(tokens) tokens but only \(budget) fit the context "
                + "(beside room for the answer); shorten them, lower --max-tokens or raise --ctx-size"
        case .nothingToAnswer: return "the conversation has no user message to answer"
        }
    }
}

/// A system prompt and the messages after it, oldest first.
///
/// ```swift
/// var chat = Conversation(system: "Be brief.")
/// chat.append(.user("Hi"))
/// let window = try chat.window(budget: 2000) { try format.encode($0).tokens.count }
/// ```
public struct Conversation: Sendable, Equatable {
    /// Sent first in every prompt and never trimmed; nil for none.
    public var system: String?
    /// Every non-system message, oldest first (trimming never removes them from here).
    public private(set) var turns: [ChatMessage]

    public init(system: String? = nil, turns: [ChatMessage] = []) {
        self.system = system
        self.turns = turns.filter { $0.role != "system" }
    }

    /// The whole conversation as messages: the system prompt, then every turn.
    public var messages: [ChatMessage] { systemMessages + turns }

    private var systemMessages: [ChatMessage] { system.map { [.system($0)] } ?? [] }

    public mutating func append(_ message: ChatMessage) {
        if message.role == "system" { system = message.content } else { turns.append(message) }
    }

    /// Forgets every turn; the system prompt stays.
    public mutating func reset() { turns.removeAll() }

    /// Where each turn starts: at every user message (messages before the first one are a turn of
    /// their own), so a question and its answers are dropped together.
    var turnStarts: [Int] {
        var starts = turns.indices.filter { turns[$0].role == "user" }
        if starts.first != 0 && !turns.isEmpty { starts.insert(0, at: 0) }
        return starts
    }

    /// The messages to send so that `count` of them is at most `budget`: the system prompt and the
    /// newest turns, with as few of the oldest turns dropped as needed. `dropped` says how many turns
    /// were left out. Throws ``ConversationError/doesNotFit(tokens:budget:)`` when the system prompt
    /// and the newest turn alone are over the budget.
    public func window(budget: Int, count: ([ChatMessage]) throws -> Int) throws -> (messages: [ChatMessage], dropped: Int) {
        guard turns.contains(where: { $0.role == "user" }) else { throw ConversationError.nothingToAnswer }
        let starts = turnStarts
        func keeping(from turn: Int) -> [ChatMessage] { systemMessages + turns[starts[turn]...] }
        // Fewer tokens the more turns are dropped, so the fewest to drop is found by bisection.
        let newest = starts.count - 1
        let alone = try count(keeping(from: newest))
        guard alone <= budget else { throw ConversationError.doesNotFit(tokens: alone, budget: budget) }
        var low = 0, high = newest                 // keeping(from: high) fits; is there a smaller one?
        while low < high {
            let mid = (low + high) / 2
            if try count(keeping(from: mid)) <= budget { high = mid } else { low = mid + 1 }
        }
        return (keeping(from: low), low)
    }
}
