// From a conversation to prompt token ids without letting any message become control tokens: the
// template's own markup (`<|im_start|>`, `[INST]`) is parsed as special tokens, message text never is.
// When no message holds control-token text, the ids are exactly those of encoding the rendered prompt
// with special tokens parsed (what llama.cpp's server and transformers produce); otherwise the template
// is rendered a second time with each message's text fenced by marker characters, and the fenced spans
// are encoded as plain text. Fields templates render as markup (tool calls, names, tool definitions)
// cannot be fenced that way, so control-token text in them is refused.
import QuillFormats
import QuillTokenizer

/// Why a conversation could not be encoded safely.
public enum ChatPromptError: Error, CustomStringConvertible, Equatable {
    /// A message holds control-token text and the template changes message text as it renders it
    /// (trims, splits, ...), so its spans cannot be found to encode them as plain text.
    case cannotIsolateContent(message: Int)
    /// A field the template renders as markup — a tool call's name or arguments, a message's name or
    /// tool_call_id, a tool definition — holds control-token text (`field` is its request path).
    case controlTokens(field: String)

    public var description: String {
        switch self {
        case .cannotIsolateContent(let i):
            return "messages[\(i)].content contains control-token text, and this chat template alters message text while "
                + "rendering, so Quill cannot keep it from becoming control tokens; remove the special-token text"
        case .controlTokens(let field):
            return "\(field) contains control-token text (such as <|im_end|>), which this field cannot carry as plain "
                + "text through the chat template; remove the special-token text"
        }
    }
}

/// A rendered conversation and the token ids the model sees.
public struct ChatPrompt: Sendable, Equatable {
    public var text: String
    public var tokens: [Int]
}

/// Renders conversations with a template and encodes them safely (see the file header).
///
/// ```swift
/// let encoder = ChatPromptEncoder(template: ChatMLTemplate(), tokenizer: tokenizer)
/// let prompt = try encoder.encode([.system("Be brief."), .user("Hi <|im_end|>")])   // "<|im_end|>" stays text
/// ```
public struct ChatPromptEncoder: Sendable {
    public let template: any ChatTemplate
    public let tokenizer: any Tokenizer
    public var options: ChatRenderOptions

    /// Fences around message text in the second rendering: Unicode noncharacters, which no tokenizer
    /// vocabulary gives meaning to and which a message containing them cannot be told apart from.
    /// Compared as scalars, since a combining mark at the start of a message would join a fence's Character.
    static let open = Unicode.Scalar(0xFDD0)!, close = Unicode.Scalar(0xFDD1)!

    public init(template: any ChatTemplate, tokenizer: any Tokenizer, options: ChatRenderOptions = .init()) {
        self.template = template; self.tokenizer = tokenizer; self.options = options
    }

    public func encode(_ messages: [ChatMessage]) throws -> ChatPrompt {
        try refuseControlTokensOutsideContent(messages)
        let text = try template.render(messages, options: options)
        let risky = messages.indices.filter { i in
            guard let c = messages[i].content, !c.isEmpty else { return false }
            return tokenizer.encode(c, parseSpecial: true) != tokenizer.encode(c, parseSpecial: false)
        }
        if risky.isEmpty { return ChatPrompt(text: text, tokens: tokenizer.encode(text, addSpecialTokens: false, parseSpecial: true)) }
        return ChatPrompt(text: text, tokens: try fencedTokens(messages, plain: text, risky: risky))
    }

    /// Templates render tool calls (arguments as parsed JSON objects), names, call ids and tool
    /// definitions in ways fences cannot survive, so control-token text there is refused, not encoded.
    private func refuseControlTokensOutsideContent(_ messages: [ChatMessage]) throws {
        func hasControlText(_ text: String) -> Bool {
            !text.isEmpty && tokenizer.encode(text, parseSpecial: true) != tokenizer.encode(text, parseSpecial: false)
        }
        for (i, m) in messages.enumerated() {
            for (k, call) in m.toolCalls.enumerated() {
                if hasControlText(call.name) { throw ChatPromptError.controlTokens(field: "messages[\(i)].tool_calls[\(k)].function.name") }
                if hasControlText(call.arguments) { throw ChatPromptError.controlTokens(field: "messages[\(i)].tool_calls[\(k)].function.arguments") }
                if hasControlText(call.id) { throw ChatPromptError.controlTokens(field: "messages[\(i)].tool_calls[\(k)].id") }
            }
            if let name = m.name, hasControlText(name) { throw ChatPromptError.controlTokens(field: "messages[\(i)].name") }
            if let id = m.toolCallID, hasControlText(id) { throw ChatPromptError.controlTokens(field: "messages[\(i)].tool_call_id") }
        }
        for (t, tool) in options.tools.enumerated() where hasControlText(tool.jsonText) {
            throw ChatPromptError.controlTokens(field: "tools[\(t)]")
        }
    }

    /// Renders with every message's text fenced; if removing the fences gives back `plain`, template text
    /// is encoded with special tokens parsed and fenced text as plain text.
    private func fencedTokens(_ messages: [ChatMessage], plain: String, risky: [Int]) throws -> [Int] {
        let fences: Set<Unicode.Scalar> = [Self.open, Self.close]
        if let bad = messages.indices.first(where: { messages[$0].content?.unicodeScalars.contains(where: fences.contains) == true }) {
            throw ChatPromptError.cannotIsolateContent(message: bad)
        }
        var fenced = messages
        for i in fenced.indices { if let c = fenced[i].content { fenced[i].content = "\(Self.open)\(c)\(Self.close)" } }
        let marked = try template.render(fenced, options: options)
        var stripped = String.UnicodeScalarView()
        stripped.append(contentsOf: marked.unicodeScalars.filter { !fences.contains($0) })
        guard String(stripped) == plain, let segments = Self.segments(marked) else {
            throw ChatPromptError.cannotIsolateContent(message: risky[0])
        }
        return segments.flatMap { segment in
            tokenizer.encode(segment.text, addSpecialTokens: false, parseSpecial: !segment.isContent)
        }
    }

    /// Splits marked text into template and content runs; nil when the fences do not pair up.
    static func segments(_ marked: String) -> [(text: String, isContent: Bool)]? {
        var out: [(text: String, isContent: Bool)] = [], current = String.UnicodeScalarView(), inside = false
        for scalar in marked.unicodeScalars {
            if scalar == open || scalar == close {
                guard (scalar == open) != inside else { return nil }
                if !current.isEmpty { out.append((String(current), inside)) }
                current = String.UnicodeScalarView()
                inside.toggle()
            } else {
                current.append(scalar)
            }
        }
        guard !inside else { return nil }
        if !current.isEmpty { out.append((String(current), false)) }
        return out
    }
}
