// Reads tool calls out of a model's answer in its ToolCallFormat, any number of calls per answer (llama.cpp
// once kept only the first, llama.cpp#14101), with the generic JSON form as a fallback for every format.
// Anything malformed — an unclosed object, a call without a name — leaves the whole answer as plain text.
import Foundation
import QuillFormats

/// An answer split into its text and its tool calls.
public struct ParsedToolOutput: Sendable, Equatable {
    /// The text outside the calls; nil when there is none (OpenAI sends `content: null` then).
    public var content: String?
    public var calls: [ChatToolCall]

    public init(content: String?, calls: [ChatToolCall]) { self.content = content; self.calls = calls }
}

/// Parses tool calls written in one format.
///
/// ```swift
/// let parsed = ToolCallParser(format: .hermes).parse(#"<tool_call>{"name": "now", "arguments": {}}</tool_call>"#)
/// // parsed.calls[0].name == "now", parsed.calls[0].arguments == "{}", parsed.content == nil
/// ```
public struct ToolCallParser: Sendable {
    public var format: ToolCallFormat
    /// Makes the `id` of each call (random `call_…` by default; fixed in tests).
    public var makeID: @Sendable () -> String

    /// When set, an answer that is bare JSON counts as calls only if every name is one of these (so a
    /// JSON answer such as `{"name": "Ada", "arguments": …}` to a question is not taken for a call).
    public var knownNames: Set<String>?

    public init(format: ToolCallFormat, knownNames: Set<String>? = nil, makeID: @escaping @Sendable () -> String = makeToolCallID) {
        self.format = format; self.knownNames = knownNames; self.makeID = makeID
    }

    /// The calls in `text`, or `text` as plain content when it holds none that parse.
    public func parse(_ text: String) -> ParsedToolOutput {
        let plain = ParsedToolOutput(content: text.isEmpty ? nil : text, calls: [])
        var found: (content: String, calls: [(String, String)])?
        switch format {
        case .hermes, .generic: found = tagged(text, open: "<tool_call>", close: "</tool_call>")
        case .llama3: found = pythonTagged(text) ?? bareJSON(text, separators: ";")
        case .mistral: found = mistral(text)
        }
        if found == nil { found = bareJSON(text, separators: "") }
        guard let found, !found.calls.isEmpty else { return plain }
        let content = found.content.trimmingCharacters(in: .whitespacesAndNewlines)
        return ParsedToolOutput(content: content.isEmpty ? nil : content,
                                calls: found.calls.map { ChatToolCall(id: makeID(), name: $0.0, arguments: $0.1) })
    }

    // MARK: Formats

    /// `<tool_call>{…}</tool_call>` blocks (a last one may lack its close tag: the answer was cut at a stop).
    func tagged(_ text: String, open: String, close: String) -> (String, [(String, String)])? {
        guard text.contains(open) else { return nil }
        var content = "", calls: [(String, String)] = []
        var rest = Substring(text)
        while let start = rest.range(of: open) {
            content += rest[..<start.lowerBound]
            let after = rest[start.upperBound...]
            let end = after.range(of: close)
            let inner = end.map { after[..<$0.lowerBound] } ?? after
            guard let values = Self.jsonValues(inner, separators: ""), !values.isEmpty else { return nil }
            for v in values {
                guard let call = Self.call(v) else { return nil }
                calls.append(call)
            }
            rest = end.map { after[$0.upperBound...] } ?? ""
        }
        content += rest
        return (content, calls)
    }

    /// Llama 3.x `<|python_tag|>`: JSON calls after it, or code for the built-in `python` tool.
    func pythonTagged(_ text: String) -> (String, [(String, String)])? {
        guard let tag = text.range(of: "<|python_tag|>") else { return nil }
        let before = String(text[..<tag.lowerBound])
        var after = text[tag.upperBound...]
        for end in ["<|eom_id|>", "<|eot_id|>"] { if let r = after.range(of: end) { after = after[..<r.lowerBound] } }
        if let values = Self.jsonValues(after, separators: ";"), !values.isEmpty {
            let calls = values.compactMap(Self.call)
            guard calls.count == values.count else { return nil }
            return (before, calls)
        }
        let code = after.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !code.isEmpty else { return nil }
        return (before, [("python", JSONValue.object([("code", .string(code))]).jsonText)])
    }

    /// Mistral `[TOOL_CALLS] [{"name", "arguments"}, …]`, or the newer `[TOOL_CALLS]name[ARGS]{…}` form.
    func mistral(_ text: String) -> (String, [(String, String)])? {
        guard let tag = text.range(of: "[TOOL_CALLS]") else { return nil }
        let before = String(text[..<tag.lowerBound])
        let after = text[tag.upperBound...]
        if after.contains("[ARGS]") {
            var calls: [(String, String)] = []
            for part in after.components(separatedBy: "[TOOL_CALLS]") {
                guard let args = part.range(of: "[ARGS]") else { return nil }
                let name = part[..<args.lowerBound].trimmingCharacters(in: .whitespaces)
                guard ToolDefinition.isValidName(name), let values = Self.jsonValues(part[args.upperBound...], separators: ""),
                      values.count == 1, values[0].objectValue != nil else { return nil }
                calls.append((name, values[0].jsonText))
            }
            return (before, calls)
        }
        guard let values = Self.jsonValues(after, separators: ""), values.count == 1 else { return nil }
        let items = values[0].arrayValue ?? [values[0]]
        let calls = items.compactMap(Self.call)
        guard calls.count == items.count else { return nil }
        return (before, calls)
    }

    /// The whole answer as JSON calls: one object, several separated by `separators` or whitespace, a list
    /// of them, or `{"tool_calls": [...]}`; a ```json fence around them is allowed.
    func bareJSON(_ text: String, separators: String) -> (String, [(String, String)])? {
        var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if body.hasPrefix("```") {
            guard let newline = body.firstIndex(of: "\n"), body.hasSuffix("```"), body.count >= 6 else { return nil }
            body = body[body.index(after: newline)..<body.index(body.endIndex, offsetBy: -3)]
        }
        guard body.first == "{" || body.first == "[", let values = Self.jsonValues(body, separators: separators) else { return nil }
        var items: [JSONValue] = []
        for v in values {
            if let list = v.arrayValue { items += list } else if let list = v["tool_calls"]?.arrayValue { items += list } else { items.append(v) }
        }
        let calls = items.compactMap { item in
            item["arguments"] != nil || item["parameters"] != nil || item["function"] != nil ? Self.call(item) : nil
        }
        guard !calls.isEmpty, calls.count == items.count else { return nil }
        if let knownNames, !calls.allSatisfy({ knownNames.contains($0.0) }) { return nil }
        return ("", calls)
    }

    // MARK: JSON

    /// One call from `{"name", "arguments" | "parameters"}` or OpenAI's `{"function": {…}}`; arguments as
    /// JSON text (an object, or a string holding one).
    static func call(_ v: JSONValue) -> (String, String)? {
        if let function = v["function"], function.objectValue != nil, v["name"] == nil { return call(function) }
        guard let name = v["name"]?.stringValue, ToolDefinition.isValidName(name) else { return nil }
        guard let arguments = v["arguments"] ?? v["parameters"], !arguments.isNull else { return (name, "{}") }
        if arguments.objectValue != nil { return (name, arguments.jsonText) }
        if let text = arguments.stringValue, let parsed = try? JSONValue(parsing: Data(text.utf8)), parsed.objectValue != nil {
            return (name, parsed.jsonText)
        }
        return nil
    }

    /// The JSON values in `text`, one after another, with whitespace or one of `separators` between
    /// them; nil when anything else is there or a value does not parse.
    static func jsonValues(_ text: Substring, separators: String) -> [JSONValue]? {
        let bytes = Array(text.utf8)
        var values: [JSONValue] = []
        var i = 0
        let skip = Set(" \t\r\n".utf8).union(separators.utf8)
        while true {
            while i < bytes.count, skip.contains(bytes[i]) { i += 1 }
            guard i < bytes.count else { return values }
            guard bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "["), let end = balancedEnd(bytes, from: i),
                  let value = try? JSONValue(parsing: Data(bytes[i..<end])) else { return nil }
            values.append(value)
            i = end
        }
    }

    /// The index just past the bracket that closes the one at `start` (strings and escapes skipped).
    static func balancedEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0, inString = false, escaped = false
        for i in start..<bytes.count {
            let b = bytes[i]
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return i + 1 }
            default: break
            }
        }
        return nil
    }
}
