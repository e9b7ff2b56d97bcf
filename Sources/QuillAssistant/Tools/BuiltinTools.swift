// The tools `quill chat --tools FILE` can run itself: the current date and time, a calculator (the
// safe evaluator in Calculator.swift) and retrieval over a RAG index (`--rag-db`). A Toolbox holds the
// enabled ones, shows their definitions to the model and runs a call; a failing call answers with an
// error text the model reads, as OpenAI's function-calling guide suggests, instead of ending the chat.
import Foundation
import QuillFormats
import QuillModels

/// A tool with its implementation.
public struct BuiltinTool: Sendable {
    public var definition: ToolDefinition
    /// Runs the call with its parsed arguments object; the result text goes back as the `tool` message.
    public var run: @Sendable (JSONValue) throws -> String

    public init(definition: ToolDefinition, run: @escaping @Sendable (JSONValue) throws -> String) {
        self.definition = definition; self.run = run
    }
}

/// Why a tools file cannot be used.
public struct ToolboxError: Error, CustomStringConvertible, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The tools a chat may call.
public struct Toolbox: Sendable {
    public var tools: [BuiltinTool]
    public var definitions: [ToolDefinition] { tools.map(\.definition) }

    public init(_ tools: [BuiltinTool]) { self.tools = tools }

    /// Runs `call`: the tool's text, or `error: …` when the tool is unknown, the arguments are not JSON,
    /// or the tool fails.
    public func run(_ call: ChatToolCall) -> String {
        guard let tool = tools.first(where: { $0.definition.name == call.name }) else {
            return "error: no tool named '\(call.name)' (available: \(tools.map(\.definition.name).joined(separator: ", ")))"
        }
        guard let arguments = try? JSONValue(parsing: Data(call.arguments.utf8)), arguments.objectValue != nil else {
            return "error: the arguments are not a JSON object: \(call.arguments)"
        }
        do { return try tool.run(arguments) } catch { return "error: \(error)" }
    }

    // MARK: The built-in tools

    /// A built-in tool's parameter schema from a JSON literal in this file; never called with input.
    private static func schema(_ text: String) -> JSONValue { try! JSONValue(parsing: Data(text.utf8)) }

    /// `current_datetime`: the date, time and weekday now, in a time zone (default: the machine's).
    public static func dateTime(now: @escaping @Sendable () -> Date = { Date() }) -> BuiltinTool {
        BuiltinTool(definition: ToolDefinition(
            name: "current_datetime", description: "The current date, time and day of the week.",
            parameters: schema(#"{"type": "object", "properties": {"timezone": {"type": "string", "description": "IANA time zone such as Europe/Paris; default: local time"}}}"#))) { arguments in
            var zone = TimeZone.current, zoneName = TimeZone.current.identifier
            if let name = arguments["timezone"]?.stringValue, !name.isEmpty {
                guard let z = TimeZone(identifier: name) else { throw ToolboxError("unknown time zone '\(name)'") }
                zone = z; zoneName = name                  // as asked: Foundation calls UTC "GMT"
            }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = zone
            formatter.dateFormat = "EEEE yyyy-MM-dd HH:mm:ss"
            return formatter.string(from: now()) + " (\(zoneName))"
        }
    }

    /// `calculator`: the value of an arithmetic expression.
    public static let calculator = BuiltinTool(definition: ToolDefinition(
        name: "calculator", description: "Evaluates an arithmetic expression: + - * / % ^, parentheses, sqrt, ln, log, sin, cos, tan, exp, abs, pi, e.",
        parameters: schema(#"{"type": "object", "properties": {"expression": {"type": "string", "description": "for example (2 + 3) * 4 ^ 2"}}, "required": ["expression"]}"#))) { arguments in
        guard let expression = arguments["expression"]?.stringValue else { throw ToolboxError("missing the string argument 'expression'") }
        return Calculator.format(try Calculator.evaluate(expression))
    }

    /// `search_documents`: the `k` best chunks for a query, numbered, with their sources.
    public static func retrieval(search: @escaping @Sendable (String, Int) throws -> [RAGHit]) -> BuiltinTool {
        BuiltinTool(definition: ToolDefinition(
            name: "search_documents", description: "Searches the local document collection and returns the most relevant passages with their sources.",
            parameters: schema(#"{"type": "object", "properties": {"query": {"type": "string"}, "k": {"type": "integer", "description": "how many passages (default 3)"}}, "required": ["query"]}"#))) { arguments in
            guard let query = arguments["query"]?.stringValue, !query.isEmpty else { throw ToolboxError("missing the string argument 'query'") }
            let k = min(max(arguments["k"]?.intValue ?? 3, 1), 10)
            let hits = try search(query, k)
            if hits.isEmpty { return "no passages found" }
            return hits.enumerated().map { i, hit in "[\(i + 1)] \(hit.title) (\(hit.source))\n\(hit.text)" }.joined(separator: "\n\n")
        }
    }

    /// Every built-in tool available here (retrieval only with a search function).
    public static func builtins(search: (@Sendable (String, Int) throws -> [RAGHit])? = nil) -> [BuiltinTool] {
        [dateTime(), calculator] + (search.map { [retrieval(search: $0)] } ?? [])
    }

    /// The tools a file enables: a JSON list of built-in names (`["calculator", "current_datetime"]`), or
    /// OpenAI `tools` whose names are built-ins (their descriptions and schemas are what the model sees).
    public static func load(_ data: Data, available: [BuiltinTool]) throws -> Toolbox {
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch { throw ToolboxError("the tools file is not valid JSON: \(error)") }
        guard let items = json.arrayValue, !items.isEmpty else {
            throw ToolboxError("the tools file must hold a non-empty JSON list of tool names or OpenAI tool definitions")
        }
        let names = available.map(\.definition.name).joined(separator: ", ")
        var chosen: [BuiltinTool] = []
        for (i, item) in items.enumerated() {
            let definition: ToolDefinition
            if let name = item.stringValue {
                guard let tool = available.first(where: { $0.definition.name == name }) else {
                    throw ToolboxError("tools[\(i)]: no built-in tool '\(name)' here (available: \(names))")
                }
                definition = tool.definition
            } else {
                do { definition = try ToolDefinition(json: item, path: "tools[\(i)]") } catch { throw ToolboxError("\(error)") }
            }
            guard var tool = available.first(where: { $0.definition.name == definition.name }) else {
                throw ToolboxError("tools[\(i)]: '\(definition.name)' is not a built-in tool that can run here (available: \(names))")
            }
            guard !chosen.contains(where: { $0.definition.name == definition.name }) else {
                throw ToolboxError("tools[\(i)]: '\(definition.name)' is listed twice")
            }
            tool.definition = definition
            chosen.append(tool)
        }
        return Toolbox(chosen)
    }
}

extension Toolbox {
    /// The toolbox a tools file enables (see ``load(_:available:)``), with `search_documents` over the
    /// RAG index at `ragDB` (hybrid search, the index's own embedding model) when one is given.
    public static func load(file path: String, ragDB: String? = nil) throws -> Toolbox {
        var search: (@Sendable (String, Int) throws -> [RAGHit])?
        if let ragDB {
            let index = RetrievalHandle(index: try RAGIndex(path: ragDB), embedder: nil)
            index.embedder = try TextEmbedder.load(for: index.index)
            search = { query, k in try index.index.search(query, k: k, mode: .hybrid, embedder: index.embedder) }
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ToolboxError("cannot read the tools file \(path): \(error.localizedDescription)")
        }
        return try load(data, available: builtins(search: search))
    }
}

/// A RAG index and its query embedder, used by one chat at a time.
private final class RetrievalHandle: @unchecked Sendable {
    let index: RAGIndex
    var embedder: TextEmbedder?
    init(index: RAGIndex, embedder: TextEmbedder?) { self.index = index; self.embedder = embedder }
}
