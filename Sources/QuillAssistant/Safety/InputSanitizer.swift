// Bounds and cleans a conversation before it reaches the chat template: how many messages, how many
// characters per message and in all (checked before anything else is done with the text), and hidden
// or bidirectional control characters (InvisibleCharacters) stripped or refused. Errors name the
// request field, as OpenAI's 400s do (`messages[2].content`).

/// What to do with hidden characters in message text.
public enum InvisibleCharacterPolicy: String, Sendable, Equatable, CaseIterable {
    /// Remove them and go on.
    case strip
    /// Refuse the request, naming the field and the character.
    case reject
}

/// Size bounds on a conversation and the hidden-character policy.
public struct InputLimits: Sendable, Equatable {
    /// Most messages in one request.
    public var maxMessages: Int
    /// Most characters (extended grapheme clusters, as Swift counts them) in one message's text.
    public var maxMessageCharacters: Int
    /// Most characters across every message's text.
    public var maxTotalCharacters: Int
    public var invisibleCharacters: InvisibleCharacterPolicy

    public init(maxMessages: Int = 2048, maxMessageCharacters: Int = 1 << 20, maxTotalCharacters: Int = 4 << 20,
                invisibleCharacters: InvisibleCharacterPolicy = .strip) {
        self.maxMessages = maxMessages; self.maxMessageCharacters = maxMessageCharacters
        self.maxTotalCharacters = maxTotalCharacters; self.invisibleCharacters = invisibleCharacters
    }
}

/// Why a conversation was refused before it was rendered; `field` is the request path at fault.
public enum InputError: Error, CustomStringConvertible, Equatable {
    case tooManyMessages(count: Int, limit: Int)
    case textTooLong(field: String, characters: Int, limit: Int)
    case conversationTooLong(characters: Int, limit: Int)
    case hiddenCharacter(field: String, offset: Int, character: String)

    public var field: String {
        switch self {
        case .tooManyMessages, .conversationTooLong: return "messages"
        case .textTooLong(let field, _, _), .hiddenCharacter(let field, _, _): return field
        }
    }

    public var description: String {
        switch self {
        case .tooManyMessages(let count, let limit):
            return "messages holds \(count) messages; this server accepts at most \(limit)"
        case .textTooLong(let field, let characters, let limit):
            return "\(field) is \(characters) characters long; this server accepts at most \(limit) per message"
        case .conversationTooLong(let characters, let limit):
            return "messages hold \(characters) characters in all; this server accepts at most \(limit)"
        case .hiddenCharacter(let field, let offset, let character):
            return "\(field) contains the invisible or bidirectional control character \(character) at scalar offset \(offset); "
                + "remove it (this server rejects hidden characters rather than stripping them)"
        }
    }
}

/// Applies ``InputLimits`` to conversations.
///
/// ```swift
/// let clean = try InputSanitizer(limits: .init(maxMessages: 64)).sanitize([.user("a\u{202E}b")])   // [.user("ab")]
/// ```
public struct InputSanitizer: Sendable {
    public var limits: InputLimits

    public init(limits: InputLimits = InputLimits()) { self.limits = limits }

    /// The messages with hidden characters removed from every text a template renders (content, the
    /// author name, tool-call names and arguments), or the first bound they break.
    public func sanitize(_ messages: [ChatMessage]) throws(InputError) -> [ChatMessage] {
        guard messages.count <= limits.maxMessages else { throw .tooManyMessages(count: messages.count, limit: limits.maxMessages) }
        var total = 0
        for (i, m) in messages.enumerated() {
            for (field, text) in Self.texts(of: m, at: i) {
                let n = text.count
                guard n <= limits.maxMessageCharacters else { throw .textTooLong(field: field, characters: n, limit: limits.maxMessageCharacters) }
                total += n
            }
        }
        guard total <= limits.maxTotalCharacters else { throw .conversationTooLong(characters: total, limit: limits.maxTotalCharacters) }
        var out = messages
        for i in out.indices {
            out[i].content = try clean(out[i].content, field: "messages[\(i)].content")
            out[i].name = try clean(out[i].name, field: "messages[\(i)].name")
            for k in out[i].toolCalls.indices {
                let path = "messages[\(i)].tool_calls[\(k)].function"
                out[i].toolCalls[k].name = try clean(out[i].toolCalls[k].name, field: path + ".name") ?? ""
                out[i].toolCalls[k].arguments = try clean(out[i].toolCalls[k].arguments, field: path + ".arguments") ?? ""
            }
        }
        return out
    }

    /// One text under the policy: stripped, or refused at its first hidden character.
    public func clean(_ text: String?, field: String) throws(InputError) -> String? {
        guard let text else { return nil }
        switch limits.invisibleCharacters {
        case .strip: return InvisibleCharacters.strip(text, keepCarriageReturn: true)
        case .reject:
            if let hit = InvisibleCharacters.first(in: text, keepCarriageReturn: true) {
                throw .hiddenCharacter(field: field, offset: hit.offset, character: InvisibleCharacters.name(hit.scalar))
            }
            return text
        }
    }

    private static func texts(of m: ChatMessage, at i: Int) -> [(String, String)] {
        var out: [(String, String)] = []
        if let c = m.content { out.append(("messages[\(i)].content", c)) }
        for (k, call) in m.toolCalls.enumerated() { out.append(("messages[\(i)].tool_calls[\(k)].function.arguments", call.arguments)) }
        return out
    }
}
