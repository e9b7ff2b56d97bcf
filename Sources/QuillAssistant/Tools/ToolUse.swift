// One request's (or chat session's) tool settings, end to end: the prompt (ToolPrompter), the grammar
// that forces a valid call for `tool_choice: required` or a named function (ToolCallFormat's forcing
// grammar over each tool's parameter schema), and the answer read back into calls (none for
// `tool_choice: none`; only the first when parallel calls are off). The server and `quill chat` share it.
import Foundation
import QuillFormats

/// Tools offered to one answer and what to do with them.
///
/// ```swift
/// let use = ToolUse(tools: tools, choice: .auto, prompter: prompter)
/// let (messages, options) = use.prompt(conversation, options: format.options)
/// let answer = use.parse(generatedText)           // .calls, .content
/// ```
public struct ToolUse: Sendable {
    public var tools: [ToolDefinition]
    public var choice: ToolChoice
    /// OpenAI `parallel_tool_calls` (default true): several calls in one answer.
    public var parallel: Bool
    public var prompter: ToolPrompter
    /// Makes call ids (random `call_…`; fixed in tests).
    public var makeID: @Sendable () -> String

    public init(tools: [ToolDefinition], choice: ToolChoice, parallel: Bool = true, prompter: ToolPrompter,
                makeID: @escaping @Sendable () -> String = makeToolCallID) {
        self.tools = tools; self.choice = choice; self.parallel = parallel; self.prompter = prompter; self.makeID = makeID
    }

    /// No tools: answers are plain text.
    public static func off(_ prompter: ToolPrompter) -> ToolUse { ToolUse(tools: [], choice: .none, prompter: prompter) }

    /// True when the model is shown tools and its answer is read for calls.
    public var isActive: Bool { choice != .none && !tools.isEmpty }

    /// The conversation and template options with the tools shown (not for `none`).
    public func prompt(_ messages: [ChatMessage], options: ChatRenderOptions) -> (messages: [ChatMessage], options: ChatRenderOptions) {
        prompter.prompt(messages, tools: isActive ? tools : [], options: options)
    }

    /// The tools a forced answer may call: the named one, or all for `required`.
    public var forcedTools: [ToolDefinition] {
        switch choice {
        case .function(let name): return tools.filter { $0.name == name }
        case .required: return tools
        case .none, .auto: return []
        }
    }

    /// The grammar of valid calls when the choice forces one, nil otherwise. Throws `JSONSchemaError`
    /// (with the path `tools[i].function.parameters…`) for a parameter schema the compiler refuses.
    public func forcingGrammar() throws(JSONSchemaError) -> Grammar? {
        guard choice.forcesCall, !forcedTools.isEmpty else { return nil }
        do throws(JSONSchemaError) {
            return try prompter.format.grammar(for: forcedTools, parallel: parallel)
        } catch {
            // The path counts within `forcedTools`; name the tool by its place in `tools`.
            guard case .function(let name) = choice, let i = tools.firstIndex(where: { $0.name == name }) else { throw error }
            var e = error
            if e.path.hasPrefix("tools[0]") { e.path = "tools[\(i)]" + e.path.dropFirst("tools[0]".count) }
            throw e
        }
    }

    /// Checks the parameter schemas: for a forced call every schema must compile; otherwise only a
    /// malformed one (a wrong `type`, `enum`, `$ref`…) is refused, and keywords the grammar compiler does
    /// not support (`format`, `minimum`…) are fine, since the model is only shown them.
    public func validateSchemas() throws(JSONSchemaError) {
        guard isActive else { return }
        if choice.forcesCall { _ = try forcingGrammar(); return }
        do throws(JSONSchemaError) {
            _ = try prompter.format.grammar(for: tools, parallel: false)
        } catch {
            let malformed: Set<String> = ["type", "enum", "$ref", "anyOf", "oneOf", "allOf", "properties", "required", "items"]
            if error.keyword.map({ malformed.contains($0) }) ?? true { throw error }
        }
    }

    /// A key naming the forcing grammar, for caches: format, parallelism and the forced tools.
    public var forcingCacheKey: String {
        "tools:\(prompter.format.rawValue):\(parallel):" + forcedTools.map(\.jsonValue.jsonText).joined(separator: "\u{1}")
    }

    /// Reads calls from this format (bare JSON counts only when it names one of the tools).
    public var parser: ToolCallParser {
        ToolCallParser(format: prompter.format, knownNames: Set(tools.map(\.name)), makeID: makeID)
    }

    /// The answer split into content and calls; plain text when tools are off.
    public func parse(_ text: String) -> ParsedToolOutput {
        guard isActive else { return ParsedToolOutput(content: text, calls: []) }
        return limited(parser.parse(text))
    }

    /// A filter for streamed answers, nil when tools are off.
    public func streamFilter() -> ToolCallStreamFilter? {
        isActive ? ToolCallStreamFilter(parser: parser) : nil
    }

    /// `parsed` with only its first call when parallel calls are off.
    public func limited(_ parsed: ParsedToolOutput) -> ParsedToolOutput {
        guard !parallel, parsed.calls.count > 1 else { return parsed }
        return ParsedToolOutput(content: parsed.content, calls: [parsed.calls[0]])
    }
}
