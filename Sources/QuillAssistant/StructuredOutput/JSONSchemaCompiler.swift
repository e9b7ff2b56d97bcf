// JSON Schema → grammar, for the subset OpenAI's strict structured outputs accept and tool schemas use:
// type (one or a list, so ["string", "null"] is nullable), properties / required / additionalProperties,
// items / minItems / maxItems, minLength / maxLength, enum, const, anyOf / oneOf (oneOf is not checked
// for exclusivity), single-item allOf, and $ref into $defs / definitions (recursion allowed). Object keys
// come in the schema's order. An assertion keyword outside the subset is an error naming it;
// annotations (title, description, default, examples, …) are ignored.
import Foundation
import QuillFormats

/// Compiles a JSON Schema into a ``Grammar`` whose sentences are the JSON texts that validate.
///
/// ```swift
/// let schema = try JSONValue(parsing: Data(#"{"type": "object", "properties": {"n": {"type": "integer"}}}"#.utf8))
/// let grammar = try JSONSchemaCompiler.compile(schema)
/// ```
public struct JSONSchemaCompiler {
    typealias E = GrammarExpression

    /// Ignored: they describe, they do not constrain.
    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly",
        "writeOnly", "$defs", "definitions", "name", "strict", "contentMediaType", "contentEncoding", "$anchor",
    ]

    private let root: JSONValue
    private var rules: [(name: String, body: GrammarExpression)] = []
    private var ruleNames: Set<String> = []
    private var refRules: [String: String] = [:]
    private var shared: Set<String> = []

    /// The grammar of JSON texts valid under `schema`.
    public static func compile(_ schema: JSONValue) throws(JSONSchemaError) -> Grammar {
        var compiler = JSONSchemaCompiler(root: schema)
        compiler.ruleNames = ["root"]
        compiler.rules.append(("root", .empty))
        let body = try compiler.expression(schema, path: "#")
        compiler.rules[0].body = body
        return Grammar(rules: compiler.rules)
    }

    /// The grammar of any JSON object (`response_format: {"type": "json_object"}`).
    public static func anyObject() -> Grammar { JSONGrammarRules.anyObjectGrammar() }

    private init(root: JSONValue) { self.root = root }

    // MARK: Schemas

    private mutating func expression(_ schema: JSONValue, path: String) throws(JSONSchemaError) -> E {
        if let b = schema.boolValue {
            guard b else { throw JSONSchemaError(path: path, "the schema 'false' matches nothing") }
            return use("value")
        }
        guard let members = schema.objectValue else {
            throw JSONSchemaError(path: path, "a schema must be an object or a boolean, got \(schema.jsonText)")
        }
        let keys = Set(members.keys).subtracting(Self.annotations)
        if let value = members["const"] { return literal(value) }
        if let values = members["enum"] {
            guard let list = values.arrayValue, !list.isEmpty else {
                throw JSONSchemaError(path: path, keyword: "enum", "'enum' must be a non-empty array")
            }
            return .oneOf(list.map(literal))
        }
        if let ref = members["$ref"] {
            try onlyAnnotations(keys.subtracting(["$ref"]), path: path, with: "$ref")
            guard let pointer = ref.stringValue else { throw JSONSchemaError(path: path, keyword: "$ref", "'$ref' must be a string") }
            return .rule(try refRule(pointer, path: path))
        }
        for keyword in ["anyOf", "oneOf", "allOf"] {
            guard let list = members[keyword] else { continue }
            try onlyAnnotations(keys.subtracting([keyword]), path: path, with: keyword)
            guard let items = list.arrayValue, !items.isEmpty else {
                throw JSONSchemaError(path: path, keyword: keyword, "'\(keyword)' must be a non-empty array of schemas")
            }
            if keyword == "allOf" && items.count > 1 {
                throw JSONSchemaError(path: path, keyword: "allOf", "'allOf' with more than one schema is not supported; merge them into one")
            }
            var alternatives: [E] = []
            for (i, item) in items.enumerated() { alternatives.append(try expression(item, path: "\(path)/\(keyword)/\(i)")) }
            return .oneOf(alternatives)
        }
        var types: [String]
        switch members["type"] {
        case .none: types = Self.inferredTypes(keys)
        case .string(let t)?: types = [t]
        case .array(let list)?:
            types = list.compactMap(\.stringValue)
            guard types.count == list.count, !types.isEmpty else {
                throw JSONSchemaError(path: path, keyword: "type", "'type' must be a type name or a non-empty array of them")
            }
        default: throw JSONSchemaError(path: path, keyword: "type", "'type' must be a type name or an array of them")
        }
        if members["nullable"]?.boolValue == true && !types.contains("null") && !types.isEmpty { types.append("null") }
        try checkKeywords(keys, types: types, path: path)
        if types.isEmpty { return use("value") }
        var alternatives: [E] = []
        for t in types { alternatives.append(try typed(t, members, path: path)) }
        return .oneOf(alternatives)
    }

    /// With no `type`, the keywords say which one is meant (none: any value).
    private static func inferredTypes(_ keys: Set<String>) -> [String] {
        if !keys.isDisjoint(with: ["properties", "required", "additionalProperties"]) { return ["object"] }
        if !keys.isDisjoint(with: ["items", "minItems", "maxItems"]) { return ["array"] }
        if !keys.isDisjoint(with: ["minLength", "maxLength", "pattern", "format"]) { return ["string"] }
        return []
    }

    private static let keywordsByType: [String: Set<String>] = [
        "object": ["properties", "required", "additionalProperties"],
        "array": ["items", "minItems", "maxItems"],
        "string": ["minLength", "maxLength", "pattern"],
        "number": ["minimum", "exclusiveMinimum"], "integer": ["minimum", "exclusiveMinimum"], "boolean": [], "null": [],
    ]

    private func checkKeywords(_ keys: Set<String>, types: [String], path: String) throws(JSONSchemaError) {
        for t in types where Self.keywordsByType[t] == nil {
            throw JSONSchemaError(path: path, keyword: "type", "unknown type '\(t)' (expected object, array, string, number, integer, boolean or null)")
        }
        var allowed: Set<String> = ["type", "nullable"]
        for (t, words) in Self.keywordsByType where types.contains(t) || types.isEmpty { allowed.formUnion(words) }
        for key in keys.sorted() where !allowed.contains(key) {
            let known = Self.keywordsByType.values.contains { $0.contains(key) }
            throw JSONSchemaError(path: path, keyword: key, known
                ? "keyword '\(key)' does not apply to type \(types.joined(separator: "/"))"
                : "unsupported keyword '\(key)' (structured output supports type, properties, required, additionalProperties, items, minItems, maxItems, minLength, maxLength, enum, const, anyOf, oneOf, $ref)")
        }
    }

    private func onlyAnnotations(_ keys: Set<String>, path: String, with keyword: String) throws(JSONSchemaError) {
        if let other = keys.sorted().first {
            throw JSONSchemaError(path: path, keyword: other, "keyword '\(other)' beside '\(keyword)' is not supported; move it into the \(keyword == "$ref" ? "referenced schema" : "alternatives")")
        }
    }

    private mutating func typed(_ type: String, _ m: [String: JSONValue], path: String) throws(JSONSchemaError) -> E {
        switch type {
        case "string":
            let lo = try count(m, "minLength", path: path) ?? 0, hi = try count(m, "maxLength", path: path)
            if let hi, hi < lo { throw JSONSchemaError(path: path, keyword: "maxLength", "maxLength \(hi) is below minLength \(lo)") }
            if let pattern = m["pattern"] {
                guard let text = pattern.stringValue else { throw JSONSchemaError(path: path, keyword: "pattern", "'pattern' must be a string") }
                guard lo == 0 && hi == nil else {
                    throw JSONSchemaError(path: path, keyword: "pattern", "'pattern' together with minLength/maxLength is not supported")
                }
                return .sequence([.literal("\""), try JSONSchemaPattern.contents(text, path: path), .literal("\"")])
            }
            if lo == 0 && hi == nil { return use("string") }
            _ = use("char")
            return JSONGrammarRules.string(min: lo, max: hi)
        case "number", "integer": return try numeric(type, m, path: path)
        case "boolean": return .alternation([.literal("true"), .literal("false")])
        case "null": return .literal("null")
        case "array": return try array(m, path: path)
        default: return try object(m, path: path)
        }
    }

    /// Numbers, with the lower bounds that cost nothing to express: integers ≥ 0 or ≥ 1, numbers ≥ 0.
    private mutating func numeric(_ type: String, _ m: [String: JSONValue], path: String) throws(JSONSchemaError) -> E {
        var bound: Double?, keyword = "minimum"
        if let v = m["minimum"] { bound = v.doubleValue }
        if let v = m["exclusiveMinimum"] {
            keyword = "exclusiveMinimum"
            guard let x = v.doubleValue else { throw JSONSchemaError(path: path, keyword: keyword, "'exclusiveMinimum' must be a number") }
            bound = type == "integer" ? x.rounded(.down) + 1 : (x < 0 ? x : .nan)
        }
        guard let low = bound else {
            if m["minimum"] != nil { throw JSONSchemaError(path: path, keyword: "minimum", "'minimum' must be a number") }
            return use(type)
        }
        let digit = E.characterClass(ranges: [48...57], negated: false)
        let nonZero = E.characterClass(ranges: [49...57], negated: false)
        let positive = E.sequence([nonZero, .repetition(digit, min: 0, max: 15)])
        if type == "integer" {
            if low <= 0 && low > -1 { return .alternation([.literal("0"), positive]) }
            if low > 0 && low <= 1 { return positive }
        } else if low == 0 {
            _ = use("integer")
            return .sequence([.alternation([.literal("0"), positive]),
                              .optional(.sequence([.literal("."), .repetition(digit, min: 1, max: 16)])),
                              .optional(.sequence([JSONGrammarRules.chars("eE"), .optional(JSONGrammarRules.chars("+-")),
                                                   .repetition(digit, min: 1, max: 3)]))])
        }
        throw JSONSchemaError(path: path, keyword: keyword,
                              "'\(keyword)' here is not supported: only integers ≥ 0 or ≥ 1 and numbers ≥ 0 can be constrained")
    }

    private mutating func array(_ m: [String: JSONValue], path: String) throws(JSONSchemaError) -> E {
        let lo = try count(m, "minItems", path: path) ?? 0, hi = try count(m, "maxItems", path: path)
        if let hi, hi < lo { throw JSONSchemaError(path: path, keyword: "maxItems", "maxItems \(hi) is below minItems \(lo)") }
        let item = try m["items"].map { (s) throws(JSONSchemaError) in try expression(s, path: path + "/items") } ?? use("value")
        let ws = use("ws")
        let element = E.sequence([item, ws])
        let more = E.sequence([.literal(","), ws, item, ws])
        if hi == 0 { return .sequence([.literal("["), ws, .literal("]")]) }
        let list: E = lo == 0
            ? .optional(.sequence([element, .repetition(more, min: 0, max: hi.map { $0 - 1 })]))
            : .sequence([element, .repetition(more, min: lo - 1, max: hi.map { $0 - 1 })])
        return .sequence([.literal("["), ws, list, .literal("]")])
    }

    private mutating func object(_ m: [String: JSONValue], path: String) throws(JSONSchemaError) -> E {
        let properties = m["properties"]?.objectPairs ?? []
        if m["properties"] != nil && m["properties"]?.objectPairs == nil {
            throw JSONSchemaError(path: path, keyword: "properties", "'properties' must be an object")
        }
        var required = Set<String>()
        if let list = m["required"] {
            guard let names = list.arrayValue?.compactMap(\.stringValue), names.count == list.arrayValue?.count else {
                throw JSONSchemaError(path: path, keyword: "required", "'required' must be an array of property names")
            }
            required = Set(names)
            let declared = Set(properties.map(\.key))
            if let missing = names.first(where: { !declared.contains($0) }) {
                throw JSONSchemaError(path: path, keyword: "required", "required property '\(missing)' is not declared in 'properties'")
            }
        }
        var extra: E?
        switch m["additionalProperties"] {
        case .bool(false)?: extra = nil
        case .bool(true)?, nil: extra = use("value")
        case let schema?: extra = try expression(schema, path: path + "/additionalProperties")
        }
        let ws = use("ws")
        var members: [(key: String, value: E, required: Bool)] = []
        for (key, schema) in properties {
            members.append((key, try expression(schema, path: "\(path)/properties/\(Self.escapePointer(key))"), required.contains(key)))
        }
        func pair(_ key: E, _ value: E) -> E { .sequence([key, ws, .literal(":"), ws, value, ws]) }
        let comma = E.sequence([.literal(","), ws])
        // Whatever may follow the declared properties: more keys when additional properties are allowed.
        var afterSome: E = .empty, afterNone: E = .empty
        if let extra {
            let extraPair = pair(use("string"), extra)
            let tail = E.repetition(.sequence([comma, extraPair]), min: 0, max: nil)
            afterSome = tail
            afterNone = .optional(.sequence([extraPair, tail]))
        }
        // Property i onwards, after some property (comma first) or after none; "after some" tails are
        // rules because two alternatives refer to each.
        let base = newName(path == "#" ? "root-object" : "object")
        for (i, member) in members.enumerated().reversed() {
            let kv = pair(.literal(JSONValue.quoted(member.key)), member.value)
            let someRule = "\(base)-\(i)"
            let some: E = member.required ? .sequence([comma, kv, afterSome])
                : .alternation([.sequence([comma, kv, afterSome]), afterSome])
            let none: E = member.required ? .sequence([kv, afterSome])
                : .alternation([.sequence([kv, afterSome]), afterNone])
            addRule(someRule, some)
            afterSome = .rule(someRule)
            afterNone = none
        }
        return .sequence([.literal("{"), ws, afterNone, .literal("}")])
    }

    // MARK: Helpers

    private func literal(_ value: JSONValue) -> E { .literal(value.jsonText) }

    private func count(_ m: [String: JSONValue], _ key: String, path: String) throws(JSONSchemaError) -> Int? {
        guard let v = m[key] else { return nil }
        guard let n = v.intValue, n >= 0 else {
            throw JSONSchemaError(path: path, keyword: key, "'\(key)' must be a non-negative integer, got \(v.jsonText)")
        }
        guard n <= GrammarParser.maxRepetition else {
            throw JSONSchemaError(path: path, keyword: key, "'\(key)' \(n) is above the supported \(GrammarParser.maxRepetition)")
        }
        return n
    }

    /// A reference to one of the shared JSON rules, adding it (and what it uses) on first use.
    private mutating func use(_ name: String) -> E {
        if !shared.contains(name) {
            shared.insert(name)
            ruleNames.insert(name)
            rules.append((name, JSONGrammarRules.body(name)))
            for dependency in JSONGrammarRules.dependencies[name] ?? [] { _ = use(dependency) }
        }
        return .rule(name)
    }

    private mutating func refRule(_ pointer: String, path: String) throws(JSONSchemaError) -> String {
        if let name = refRules[pointer] { return name }
        guard pointer == "#" || pointer.hasPrefix("#/") else {
            throw JSONSchemaError(path: path, keyword: "$ref", "'$ref' '\(pointer)' is outside this schema; only references inside it (\"#/$defs/…\") are supported")
        }
        var target = root
        for raw in pointer.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) where pointer != "#" {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let next = target[token] { target = next } else if let i = Int(token), let next = target[i] { target = next } else {
                throw JSONSchemaError(path: path, keyword: "$ref", "'$ref' '\(pointer)' does not point at anything in the schema")
            }
        }
        if pointer == "#" { refRules[pointer] = "root"; return "root" }
        let name = newName("ref-" + (pointer.split(separator: "/").last.map(String.init) ?? "def"))
        refRules[pointer] = name
        addRule(name, .empty)
        let body = try expression(target, path: pointer)
        if let i = rules.firstIndex(where: { $0.name == name }) { rules[i].body = body }
        return name
    }

    private mutating func addRule(_ name: String, _ body: E) {
        ruleNames.insert(name)
        rules.append((name, body))
    }

    /// A rule name not taken yet, from letters, digits and '-' of `hint`.
    private mutating func newName(_ hint: String) -> String {
        var base = String(hint.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
            .map(Character.init))
        if base.isEmpty || base.first!.isNumber { base = "r" + base }
        var name = base, k = 1
        while ruleNames.contains(name) || JSONGrammarRules.dependencies[name] != nil { k += 1; name = "\(base)\(k)" }
        ruleNames.insert(name)
        return name
    }

    private static func escapePointer(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
