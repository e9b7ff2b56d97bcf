// The syntax tree of a parsed template: statements (`JinjaNode`) holding expressions (`JinjaExpr`), each
// expression with its source location and its height (the parser bounds it, so evaluating or freeing
// a tree never recurses deeper than that). Node kinds mirror jinja2's nodes.py where the subset has them.

/// A constant written in the template.
enum JinjaLiteral: Sendable {
    case none, bool(Bool), int(Int), double(Double), string(String)

    var value: JinjaValue {
        switch self {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        }
    }
}

/// Call arguments: positional, then keyword.
struct JinjaArguments: Sendable {
    var positional: [JinjaExpr] = []
    var keyword: [(name: String, value: JinjaExpr)] = []
    var height: Int { (positional.map(\.height) + keyword.map(\.value.height)).max() ?? 0 }
}

/// One filter application in a chain (`| join(', ')`).
struct JinjaFilterCall: Sendable {
    let name: String
    let arguments: JinjaArguments
    let location: JinjaSourceLocation
}

struct JinjaExpr: Sendable {
    indirect enum Kind: Sendable {
        case literal(JinjaLiteral)
        case name(String)
        case list([JinjaExpr])
        case tuple([JinjaExpr])
        case dict([(key: JinjaExpr, value: JinjaExpr)])
        case attribute(JinjaExpr, String)
        case item(JinjaExpr, JinjaExpr)
        case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
        case call(JinjaExpr, JinjaArguments)
        case filter(JinjaExpr, JinjaFilterCall)
        case test(JinjaExpr, name: String, arguments: JinjaArguments, negated: Bool)
        case not(JinjaExpr)
        case negate(JinjaExpr)
        case plus(JinjaExpr)
        /// `+ - * / // % **` (arithmetic as Python does it).
        case binary(String, JinjaExpr, JinjaExpr)
        case and(JinjaExpr, JinjaExpr)
        case or(JinjaExpr, JinjaExpr)
        /// `a ~ b ~ c`: string concatenation of every operand.
        case concat([JinjaExpr])
        /// `a < b <= c`, `x in y`, `x not in y`.
        case compare(JinjaExpr, [(op: String, operand: JinjaExpr)])
        case conditional(condition: JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
    }

    let kind: Kind
    let location: JinjaSourceLocation
    /// 1 + the height of the tallest child.
    let height: Int
}

/// Where `for` and `set` put values.
enum JinjaTarget: Sendable {
    case name(String)
    /// `ns.attribute` (only a namespace accepts it).
    case attribute(String, String)
    case tuple([String])
}

indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr)
    case ifChain(branches: [(condition: JinjaExpr, body: [JinjaNode])], otherwise: [JinjaNode])
    case forLoop(JinjaFor)
    case set(JinjaTarget, JinjaExpr, JinjaSourceLocation)
    /// `{% set name | filters %}body{% endset %}`.
    case setBlock(JinjaTarget, filters: [JinjaFilterCall], body: [JinjaNode], JinjaSourceLocation)
    case macro(name: String, parameters: [(name: String, defaultValue: JinjaExpr?)], body: [JinjaNode])
    /// `{% filter name %}body{% endfilter %}`.
    case filterBlock(filters: [JinjaFilterCall], body: [JinjaNode])
    /// transformers' `{% generation %}` tag: renders its body unchanged.
    case generation([JinjaNode])
    case breakLoop(JinjaSourceLocation)
    case continueLoop(JinjaSourceLocation)
}

struct JinjaFor: Sendable {
    let target: JinjaTarget
    let iterable: JinjaExpr
    let filter: JinjaExpr?
    let body: [JinjaNode]
    let otherwise: [JinjaNode]
    let location: JinjaSourceLocation
}
