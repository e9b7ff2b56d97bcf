// Everything that can go wrong with a chat template, with the line and column (1-based, in code points)
// of the template where it happened, and for constructs Quill's Jinja subset lacks, the construct's name.

/// A place in a template's source.
public struct JinjaSourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public var description: String { "line \(line), column \(column)" }
}

/// Why a template could not be parsed or rendered.
public enum JinjaError: Error, CustomStringConvertible, Equatable {
    /// The template text is not valid Jinja (what was expected, where).
    case syntax(String, at: JinjaSourceLocation)
    /// Valid Jinja that Quill's subset does not implement; `construct` names it (`{% include %}`, filter `wordwrap`).
    case unsupported(construct: String, at: JinjaSourceLocation)
    /// Rendering failed as it would in jinja2 (a type error, an undefined attribute, a sandbox refusal).
    case runtime(String, at: JinjaSourceLocation)
    /// The template called `raise_exception(message)`.
    case raised(String, at: JinjaSourceLocation)
    /// Rendering passed a safety bound (steps, output size, nesting): a hostile or runaway template.
    case limitExceeded(String, at: JinjaSourceLocation)

    public var location: JinjaSourceLocation {
        switch self {
        case .syntax(_, let at), .unsupported(_, let at), .runtime(_, let at), .raised(_, let at), .limitExceeded(_, let at):
            return at
        }
    }

    public var description: String {
        switch self {
        case .syntax(let m, let at): return "chat template syntax error at \(at): \(m)"
        case .unsupported(let c, let at): return "chat template uses \(c) at \(at), which Quill's Jinja subset does not support"
        case .raised(let m, let at): return "chat template raised an exception at \(at): \(m)"
        case .runtime(let m, let at): return "chat template failed at \(at): \(m)"
        case .limitExceeded(let m, let at): return "chat template stopped at \(at): \(m)"
        }
    }
}

/// An error raised below the interpreter (filters, methods) before it knows the location; the interpreter
/// attaches the location of the expression being evaluated.
struct JinjaRuntimeFailure: Error {
    enum Kind { case runtime, unsupported, raised, limit }
    let kind: Kind
    let message: String

    static func runtime(_ message: String) -> JinjaRuntimeFailure { .init(kind: .runtime, message: message) }
    static func unsupported(_ construct: String) -> JinjaRuntimeFailure { .init(kind: .unsupported, message: construct) }

    func located(at location: JinjaSourceLocation) -> JinjaError {
        switch kind {
        case .runtime: return .runtime(message, at: location)
        case .unsupported: return .unsupported(construct: message, at: location)
        case .raised: return .raised(message, at: location)
        case .limit: return .limitExceeded(message, at: location)
        }
    }
}
