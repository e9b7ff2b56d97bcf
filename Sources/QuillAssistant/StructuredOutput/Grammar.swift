// A context-free grammar over text in the shape of llama.cpp's GBNF: named rules whose bodies are
// alternations of sequences of literals, character classes, rule references, groups and repetitions.
// `GrammarParser` reads the text form, `JSONSchemaCompiler` builds one, `CompiledGrammar` lowers it to bytes.

/// One expression of a rule body.
public indirect enum GrammarExpression: Hashable, Sendable {
    /// Exact text (matched as its UTF-8 bytes).
    case literal(String)
    /// One Unicode scalar in (or, when `negated`, outside) the given inclusive ranges.
    case characterClass(ranges: [ClosedRange<UInt32>], negated: Bool)
    /// A reference to the rule of that name.
    case rule(String)
    /// The items one after another (empty: matches the empty string).
    case sequence([GrammarExpression])
    /// Any one of the alternatives.
    case alternation([GrammarExpression])
    /// `min` to `max` (nil: unbounded) repetitions: `*` is 0…nil, `+` 1…nil, `?` 0…1, `{m,n}`.
    case repetition(GrammarExpression, min: Int, max: Int?)

    /// Any one scalar (`.` in GBNF).
    public static let anyCharacter = GrammarExpression.characterClass(ranges: [0...0x10FFFF], negated: false)
    /// The empty string.
    public static let empty = GrammarExpression.sequence([])

    public static func optional(_ e: GrammarExpression) -> GrammarExpression { .repetition(e, min: 0, max: 1) }
    public static func oneOf(_ items: [GrammarExpression]) -> GrammarExpression {
        items.count == 1 ? items[0] : .alternation(items)
    }
    public static func all(_ items: [GrammarExpression]) -> GrammarExpression {
        items.count == 1 ? items[0] : .sequence(items)
    }
}

/// A grammar: rules in definition order; matching starts at `root`.
///
/// ```swift
/// let g = try Grammar(parsing: #"root ::= "yes" | "no""#)
/// let compiled = try CompiledGrammar(g)
/// ```
public struct Grammar: Equatable, Sendable {
    public var rules: [(name: String, body: GrammarExpression)]
    public var root: String

    public init(rules: [(name: String, body: GrammarExpression)], root: String = "root") {
        self.rules = rules; self.root = root
    }

    public init(parsing text: String) throws(GrammarError) {
        var parser = GrammarParser(text)
        self = try parser.parse()
    }

    public static func == (a: Grammar, b: Grammar) -> Bool {
        a.root == b.root && a.rules.count == b.rules.count
            && zip(a.rules, b.rules).allSatisfy { $0.name == $1.name && $0.body == $1.body }
    }

    /// The grammar in GBNF text form (parses back to an equal grammar).
    public var text: String {
        rules.map { "\($0.name) ::= \(Self.render($0.body, nested: false))" }.joined(separator: "\n") + "\n"
    }

    static func render(_ e: GrammarExpression, nested: Bool) -> String {
        switch e {
        case .literal(let s): return "\"" + s.unicodeScalars.map { escape($0, inClass: false) }.joined() + "\""
        case .characterClass(let ranges, let negated):
            let body = ranges.map { r in
                r.lowerBound == r.upperBound ? escapeScalar(r.lowerBound, inClass: true)
                    : escapeScalar(r.lowerBound, inClass: true) + "-" + escapeScalar(r.upperBound, inClass: true)
            }.joined()
            return "[" + (negated ? "^" : "") + body + "]"
        case .rule(let name): return name
        case .sequence(let items):
            if items.isEmpty { return "\"\"" }
            let s = items.map { render($0, nested: true) }.joined(separator: " ")
            return nested && items.count > 1 ? "(" + s + ")" : s
        case .alternation(let items):
            let s = items.map { render($0, nested: false) }.joined(separator: " | ")
            return nested ? "(" + s + ")" : s
        case .repetition(let inner, let min, let max):
            let base: String
            switch inner {
            case .literal, .characterClass, .rule: base = render(inner, nested: true)
            default: base = "(" + render(inner, nested: false) + ")"
            }
            switch (min, max) {
            case (0, nil): return base + "*"
            case (1, nil): return base + "+"
            case (0, 1): return base + "?"
            case (let m, nil): return base + "{\(m),}"
            case (let m, let n?) where m == n: return base + "{\(m)}"
            case (let m, let n?): return base + "{\(m),\(n)}"
            }
        }
    }

    private static func escapeScalar(_ v: UInt32, inClass: Bool) -> String {
        escape(Unicode.Scalar(v) ?? "\u{FFFD}", inClass: inClass)
    }

    private static func escape(_ c: Unicode.Scalar, inClass: Bool) -> String {
        switch c {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\\": return "\\\\"
        case "\"" where !inClass: return "\\\""
        case "]" where inClass, "[" where inClass, "^" where inClass, "-" where inClass: return "\\" + String(c)
        default:
            if c.value < 0x20 || c.value == 0x7F || (0xD800...0xDFFF).contains(c.value) {
                return "\\x" + (c.value < 0x10 ? "0" : "") + String(c.value, radix: 16, uppercase: true)
            }
            return String(c)
        }
    }
}
