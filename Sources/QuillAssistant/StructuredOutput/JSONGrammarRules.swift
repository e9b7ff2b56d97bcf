// The JSON building blocks (RFC 8259) a schema grammar is made of, as GBNF rules: whitespace, strings
// (escapes included; \u escapes of lone surrogates left out, since many parsers reject them), numbers
// (at most 16 integer and fraction digits and 3 exponent digits, as llama.cpp's json-schema-to-grammar
// bounds them), literals, and any value, array or object — `json_object` mode is the last.

enum JSONGrammarRules {
    typealias E = GrammarExpression

    static func chars(_ s: String) -> E {
        .characterClass(ranges: s.unicodeScalars.map { $0.value...$0.value }, negated: false)
    }

    static let hex = E.characterClass(ranges: [48...57, 65...70, 97...102], negated: false)

    /// Whitespace between tokens: nothing, a space, or a line break and an indent of up to 20.
    static let ws: E = .alternation([.empty, .literal(" "),
                                     .sequence([.repetition(.literal("\n"), min: 1, max: 2),
                                                .repetition(chars(" \t"), min: 0, max: 20)])])

    /// One character of a string's contents (an escape counts as one, as JSON Schema's lengths count).
    static let char: E = .alternation([
        .characterClass(ranges: [34...34, 92...92, 0...0x1F], negated: true),
        .sequence([.literal("\\"), .alternation([
            chars("\"\\/bfnrt"),
            .sequence([.literal("u"), .alternation([
                .sequence([.characterClass(ranges: [48...57, 65...67, 69...70, 97...99, 101...102], negated: false),
                           .repetition(hex, min: 3, max: 3)]),
                .sequence([chars("dD"), .characterClass(ranges: [48...55], negated: false), .repetition(hex, min: 2, max: 2)]),
            ])]),
        ])]),
    ])

    static let integer: E = .sequence([
        .optional(.literal("-")),
        .alternation([.literal("0"),
                      .sequence([.characterClass(ranges: [49...57], negated: false),
                                 .repetition(.characterClass(ranges: [48...57], negated: false), min: 0, max: 15)])]),
    ])

    static let number: E = .sequence([
        .rule("integer"),
        .optional(.sequence([.literal("."), .repetition(.characterClass(ranges: [48...57], negated: false), min: 1, max: 16)])),
        .optional(.sequence([chars("eE"), .optional(chars("+-")),
                             .repetition(.characterClass(ranges: [48...57], negated: false), min: 1, max: 3)])),
    ])

    /// `"` char{min,max} `"`.
    static func string(min: Int = 0, max: Int? = nil) -> E {
        .sequence([.literal("\""), .repetition(.rule("char"), min: min, max: max), .literal("\"")])
    }

    static let value: E = .alternation([.rule("object"), .rule("array"), .rule("string"), .rule("number"),
                                        .literal("true"), .literal("false"), .literal("null")])

    static let object: E = .sequence([
        .literal("{"), .rule("ws"),
        .optional(.sequence([.rule("member"), .repetition(.sequence([.literal(","), .rule("ws"), .rule("member")]), min: 0, max: nil)])),
        .literal("}"),
    ])

    static let member: E = .sequence([.rule("string"), .rule("ws"), .literal(":"), .rule("ws"), .rule("value"), .rule("ws")])

    static let array: E = .sequence([
        .literal("["), .rule("ws"),
        .optional(.sequence([.rule("value"), .rule("ws"),
                             .repetition(.sequence([.literal(","), .rule("ws"), .rule("value"), .rule("ws")]), min: 0, max: nil)])),
        .literal("]"),
    ])

    /// Each shared rule with the rules it uses.
    static let dependencies: [String: [String]] = [
        "ws": [], "char": [], "string": ["char"], "integer": [], "number": ["integer"],
        "value": ["object", "array", "string", "number"], "object": ["ws", "member"],
        "member": ["string", "ws", "value"], "array": ["ws", "value"],
    ]

    static func body(_ name: String) -> E {
        switch name {
        case "ws": return ws
        case "char": return char
        case "string": return string()
        case "integer": return integer
        case "number": return number
        case "value": return value
        case "object": return object
        case "member": return member
        default: return array
        }
    }

    /// `json_object` mode: any JSON object (OpenAI's `response_format: {"type": "json_object"}`).
    static func anyObjectGrammar() -> Grammar {
        var rules: [(name: String, body: GrammarExpression)] = [("root", .rule("object"))]
        for name in ["object", "member", "value", "array", "string", "char", "number", "integer", "ws"] {
            rules.append((name, body(name)))
        }
        return Grammar(rules: rules)
    }
}
