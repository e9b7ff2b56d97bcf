// Errors of the structured-output layer: a GBNF grammar that does not parse or compile (with the line
// and column of the problem), and a JSON Schema that uses something the compiler cannot express (with
// the JSON pointer of the offending keyword), each with a message a caller can act on.

/// A grammar text that cannot be parsed or compiled.
public struct GrammarError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line and column of the problem in the grammar text (0 when it concerns the whole grammar).
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, _ message: String) {
        self.line = line; self.column = column; self.message = message
    }

    /// A problem of the grammar as a whole (a missing root, left recursion).
    public static func whole(_ message: String) -> GrammarError { GrammarError(line: 0, column: 0, message) }

    public var description: String {
        line == 0 ? "grammar: \(message)" : "grammar:\(line):\(column): \(message)"
    }
}

/// A JSON Schema the compiler cannot turn into a grammar.
public struct JSONSchemaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// JSON pointer of the schema node at fault ("#/properties/age").
    public var path: String
    /// The keyword at fault, when one is (OpenAI names it in the 400's message).
    public var keyword: String?
    public var message: String

    public init(path: String, keyword: String? = nil, _ message: String) {
        self.path = path; self.keyword = keyword; self.message = message
    }

    public var description: String { "JSON schema at \(path): \(message)" }
}
