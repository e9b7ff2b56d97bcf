// The ways chat models write tool calls, and which one a model uses, told from its chat template's text:
// Hermes / Qwen `<tool_call>{"name", "arguments"}</tool_call>` (also the ChatML default, as SmolLM2 and
// Qwen2.5 use it), Llama 3.x bare JSON `{"name", "parameters"}` and `<|python_tag|>`, Mistral
// `[TOOL_CALLS] [...]`, and a generic JSON form. Also the grammar that forces a valid call in a format.
import QuillFormats

/// A model's tool-call markup.
public enum ToolCallFormat: String, Sendable, CaseIterable {
    case hermes, llama3, mistral, generic

    /// The format a chat template teaches (nil source: no template, ChatML fallback → Hermes).
    public static func detect(templateSource source: String?) -> ToolCallFormat {
        guard let source, !source.isEmpty else { return .hermes }
        if source.contains("<tool_call>") { return .hermes }
        if source.contains("[TOOL_CALLS]") { return .mistral }
        if source.contains("<|python_tag|>") || source.contains("<|start_header_id|>") { return .llama3 }
        if source.contains("<|im_start|>") { return .hermes }
        return .generic
    }

    /// Texts whose appearance starts a tool call (streaming holds output back from there on).
    public var startMarkers: [String] {
        switch self {
        case .hermes, .generic: return ["<tool_call>"]
        case .llama3: return ["<|python_tag|>"]
        case .mistral: return ["[TOOL_CALLS]"]
        }
    }

    /// The key this format writes the arguments under.
    var argumentsKey: String { self == .llama3 ? "parameters" : "arguments" }

    /// The most calls a forced parallel answer may hold (keeps a forced answer finite).
    public static let maxParallelCalls = 4

    /// A grammar whose sentences are valid calls, in this format, of one of `tools` (each call's
    /// arguments valid under its tool's parameter schema); several calls when `parallel`.
    /// Throws `JSONSchemaError` when a parameter schema uses a keyword the compiler does not support.
    public func grammar(for tools: [ToolDefinition], parallel: Bool) throws(JSONSchemaError) -> Grammar {
        var rules: [(name: String, body: GrammarExpression)] = [("root", .empty), ("call", .empty)]
        var calls: [GrammarExpression] = []
        for (i, tool) in tools.enumerated() {
            let schemaGrammar: Grammar
            do { schemaGrammar = try JSONSchemaCompiler.compile(tool.parameters) } catch {
                throw JSONSchemaError(path: "tools[\(i)].function.parameters" + error.path.dropFirst(), keyword: error.keyword, error.message)
            }
            let prefix = "t\(i)-"
            for rule in schemaGrammar.rules { rules.append((prefix + rule.name, Self.renamed(rule.body, prefix: prefix))) }
            let head = "{\"name\": " + JSONValue.quoted(tool.name) + ", \"\(argumentsKey)\": "
            calls.append(.sequence([.literal(head), .rule(prefix + schemaGrammar.root), .literal("}")]))
        }
        rules[1].body = .oneOf(calls)
        let more = parallel ? Self.maxParallelCalls - 1 : 0
        func list(_ one: GrammarExpression, separator: String) -> GrammarExpression {
            more == 0 ? one : .sequence([one, .repetition(.sequence([.literal(separator), one]), min: 0, max: more)])
        }
        let call = GrammarExpression.rule("call")
        switch self {
        case .hermes:
            rules[0].body = list(.sequence([.literal("<tool_call>\n"), call, .literal("\n</tool_call>")]), separator: "\n")
        case .llama3:
            rules[0].body = list(call, separator: "; ")
        case .mistral:
            rules[0].body = .sequence([.literal("[TOOL_CALLS] ["), list(call, separator: ", "), .literal("]")])
        case .generic:
            rules[0].body = parallel ? .sequence([.literal("["), list(call, separator: ", "), .literal("]")]) : call
        }
        return Grammar(rules: rules)
    }

    static func renamed(_ e: GrammarExpression, prefix: String) -> GrammarExpression {
        switch e {
        case .rule(let name): return .rule(prefix + name)
        case .sequence(let items): return .sequence(items.map { renamed($0, prefix: prefix) })
        case .alternation(let items): return .alternation(items.map { renamed($0, prefix: prefix) })
        case .repetition(let inner, let min, let max): return .repetition(renamed(inner, prefix: prefix), min: min, max: max)
        case .literal, .characterClass: return e
        }
    }
}
