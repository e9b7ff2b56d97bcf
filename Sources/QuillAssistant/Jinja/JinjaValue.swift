// The values a Jinja template computes with, with Python's semantics as jinja2 inherits them:
// truthiness, `str()` / `repr()` text (`True`, `None`, `['a', 1]`, `{'k': 'v'}`), equality where
// `1 == 1.0 == True`, and strings measured and indexed in Unicode code points as Python does.
import Foundation

/// A dictionary key: Python's hashable scalars (a bool keys as its integer, an integral float as an int).
enum JinjaKey: Hashable {
    case string(String), int(Int), double(Double), none

    init?(_ v: JinjaValue) {
        switch v {
        case .string(let s), .markup(let s): self = .string(s)
        case .int(let i): self = .int(i)
        case .bool(let b): self = .int(b ? 1 : 0)
        case .double(let d): self = Int(exactly: d).map { .int($0) } ?? .double(d)
        case .none: self = .none
        default: return nil
        }
    }

    var value: JinjaValue {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .none: return .none
        }
    }
}

/// A dictionary that keeps insertion order, as Python's does.
struct JinjaDict {
    private(set) var keys: [JinjaKey] = []
    private(set) var storage: [JinjaKey: JinjaValue] = [:]

    init() {}
    init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    subscript(key: JinjaKey) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    subscript(key: String) -> JinjaValue? {
        get { storage[.string(key)] }
        set { self[JinjaKey.string(key)] = newValue }
    }

    var count: Int { keys.count }
    var pairs: [(JinjaKey, JinjaValue)] { keys.map { ($0, storage[$0]!) } }
    var values: [JinjaValue] { keys.map { storage[$0]! } }
}

/// `namespace()`: the one mutable object templates have, shared by reference across loop scopes.
final class JinjaNamespace {
    var attributes: JinjaDict
    init(_ attributes: JinjaDict) { self.attributes = attributes }
}

/// A `{% macro %}` with the scope it was defined in.
final class JinjaMacro {
    let name: String
    let parameters: [(name: String, defaultValue: JinjaExpr?)]
    let body: [JinjaNode]
    let scope: JinjaScope
    init(name: String, parameters: [(name: String, defaultValue: JinjaExpr?)], body: [JinjaNode], scope: JinjaScope) {
        self.name = name; self.parameters = parameters; self.body = body; self.scope = scope
    }
}

/// One iteration of a `for` loop: jinja2's `LoopContext`, built lazily (attributes computed on access).
struct JinjaLoop {
    let index: Int
    let items: [JinjaValue]

    func attribute(_ name: String) -> JinjaValue? {
        let n = items.count
        switch name {
        case "index": return .int(index + 1)
        case "index0": return .int(index)
        case "revindex": return .int(n - index)
        case "revindex0": return .int(n - index - 1)
        case "first": return .bool(index == 0)
        case "last": return .bool(index == n - 1)
        case "length": return .int(n)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem": return index > 0 ? items[index - 1] : .undefined(hint: "there is no previous item")
        case "nextitem": return index + 1 < n ? items[index + 1] : .undefined(hint: "there is no next item")
        case "cycle":
            let i = index
            return .function(JinjaFunction(name: "cycle") { args, _ in
                guard !args.isEmpty else { throw JinjaRuntimeFailure.runtime("TypeError: no items for cycling given") }
                return args[i % args.count]
            })
        default: return nil
        }
    }
}

/// A built-in callable (`range`, `namespace`, `raise_exception`, a bound string method...).
struct JinjaFunction {
    let name: String
    let call: (_ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue
}

/// One Jinja value.
enum JinjaValue {
    /// A name or key that does not exist (jinja2's `Undefined`); `hint` says what was looked up.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// markupsafe's `Markup` (from `| safe`, `| escape`): text that `+` and `%` keep safe by escaping the other side.
    case markup(String)
    case list([JinjaValue])
    /// A tuple (from `dict.items()`, `(a, b)` literals); like a list except in its `repr`.
    case tuple([JinjaValue])
    /// What `map`, `select`, `selectattr` return in jinja2: iterable once, no `len()`, not JSON.
    case generator([JinjaValue])
    case dict(JinjaDict)
    case namespace(JinjaNamespace)
    case macro(JinjaMacro)
    case function(JinjaFunction)
    /// The `loop` variable inside a `for` body.
    case loop(JinjaLoop)

    static let emptyString = JinjaValue.string("")

    var isUndefined: Bool { if case .undefined = self { return true }; return false }
    var isNone: Bool { if case .none = self { return true }; return false }

    /// Python's name for the type, as jinja2's error messages print it.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .markup: return "Markup"
        case .list: return "list"
        case .tuple: return "tuple"
        case .generator: return "generator"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .macro: return "Macro"
        case .function: return "builtin_function_or_method"
        case .loop: return "LoopContext"
        }
    }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s), .markup(let s): return !s.isEmpty
        case .list(let a), .tuple(let a): return !a.isEmpty
        case .dict(let d): return d.count > 0
        case .generator, .namespace, .macro, .function, .loop: return true
        }
    }

    /// The elements `for` walks: list items, dict keys, string characters (code points).
    /// Undefined iterates as empty, as jinja2's `Undefined` does; nil when the value is not iterable.
    var iterationElements: [JinjaValue]? {
        switch self {
        case .undefined: return []
        case .list(let a), .tuple(let a), .generator(let a): return a
        case .dict(let d): return d.keys.map(\.value)
        case .string(let s), .markup(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .namespace(let ns): return ns.attributes.keys.map(\.value)
        default: return nil
        }
    }

    /// The number as a Double when it is one (bools count, as Python's `bool` is an `int`).
    var numberValue: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    var intValue: Int? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return i
        default: return nil
        }
    }

    /// The text of a `str` (a `Markup` is one too, as in Python).
    var stringValue: String? {
        switch self {
        case .string(let s), .markup(let s): return s
        default: return nil
        }
    }

    /// The value with a `Markup` seen as a plain `str`.
    var normalized: JinjaValue { if case .markup(let s) = self { return .string(s) }; return self }

    // MARK: Python text

    /// Python's `str(value)`, which is what `{{ value }}` writes.
    var pythonString: String {
        switch self {
        case .undefined: return ""
        case .string(let s), .markup(let s): return s
        default: return pythonRepr
        }
    }

    /// Python's `repr(value)`, used inside list and dict text.
    var pythonRepr: String { repr(depth: 0) }

    /// Containers nested deeper than this print as `...` (a namespace can hold itself).
    static let maxNesting = 100

    private func repr(depth: Int) -> String {
        if depth > JinjaValue.maxNesting { return "..." }
        let inner: (JinjaValue) -> String = { $0.repr(depth: depth + 1) }
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return JinjaValue.pythonFloat(d)
        case .string(let s): return JinjaValue.pythonQuoted(s)
        case .markup(let s): return "Markup(\(JinjaValue.pythonQuoted(s)))"
        case .list(let a): return "[" + a.map(inner).joined(separator: ", ") + "]"
        case .tuple(let a): return a.count == 1 ? "(\(inner(a[0])),)" : "(" + a.map(inner).joined(separator: ", ") + ")"
        case .generator: return "<generator object>"
        case .dict(let d):
            return "{" + d.pairs.map { inner($0.0.value) + ": " + inner($0.1) }.joined(separator: ", ") + "}"
        case .namespace(let ns):
            return "<Namespace " + ns.attributes.pairs.map { "\($0.0.value.pythonString)=\(inner($0.1))" }.joined(separator: ", ") + ">"
        case .macro(let m): return "<Macro '\(m.name)'>"
        case .function(let f): return "<built-in function \(f.name)>"
        case .loop(let l): return "<LoopContext \(l.index + 1)/\(l.items.count)>"
        }
    }

    /// Python's `repr(float)`: shortest round-trip digits, `1.0` for integral values, `1e+16` past 1e16.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        return "\(d)"   // Swift's shortest representation uses the same digits and thresholds as Python's
    }

    /// Python's `repr(str)`: single quotes unless the text holds one and no double quote.
    static func pythonQuoted(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Character(scalar) == quote: out += "\\" + String(quote)
            case _ where scalar.value < 0x20 || (scalar.value >= 0x7f && scalar.value < 0xa0):
                out += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append(quote)
        return out
    }

    // MARK: Equality and order (Python's)

    /// Python `==`.
    func pythonEquals(_ other: JinjaValue) -> Bool { equals(other, depth: 0) }

    private func equals(_ other: JinjaValue, depth: Int) -> Bool {
        guard depth <= JinjaValue.maxNesting else { return false }
        switch (self.normalized, other.normalized) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1, depth: depth + 1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.pairs.allSatisfy { k, v in b[k].map { v.equals($0, depth: depth + 1) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.macro(let a), .macro(let b)): return a === b
        default:
            if let x = numberValue, let y = other.numberValue {
                if let i = intValue, let j = other.intValue { return i == j }
                return x == y
            }
            return false
        }
    }

    /// Python `<` for numbers, strings (by code point) and sequences; nil when Python would raise.
    func pythonLess(_ other: JinjaValue) -> Bool? { less(other, depth: 0) }

    private func less(_ other: JinjaValue, depth: Int) -> Bool? {
        guard depth <= JinjaValue.maxNesting else { return nil }
        switch (self.normalized, other.normalized) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.map(\.value))
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !x.equals(y, depth: depth + 1) { return x.less(y, depth: depth + 1) }
            return a.count < b.count
        default:
            if let i = intValue, let j = other.intValue { return i < j }
            if let x = numberValue, let y = other.numberValue { return x < y }
            return nil
        }
    }
}

extension JinjaValue {
    /// Whether containers nest deeper than `limit`, looking at no more than `budget` elements (a bound on
    /// the cost, so building a wide value stays linear; deep chains are found within the budget).
    func nestsDeeper(than limit: Int, budget: inout Int) -> Bool {
        guard limit >= 0 else { return true }
        let children: [JinjaValue]
        switch self {
        case .list(let a), .tuple(let a), .generator(let a): children = a
        case .dict(let d): children = d.values
        default: return false
        }
        for child in children {
            budget -= 1
            if budget < 0 { return false }
            switch child {
            case .list, .tuple, .generator, .dict: if child.nestsDeeper(than: limit - 1, budget: &budget) { return true }
            default: continue
            }
        }
        return false
    }
}

extension Unicode.Scalar {
    /// Python's `str.isspace()` (also what `\s` matches in jinja2's lexer).
    var isPythonSpace: Bool {
        properties.isWhitespace || (0x1c...0x1f).contains(value)
    }
}

extension String {
    /// The text without leading and trailing Python whitespace (or without the given characters).
    func pythonStripped(_ chars: String? = nil, leading: Bool = true, trailing: Bool = true) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let drop: (Unicode.Scalar) -> Bool = { s in set.map { $0.contains(s) } ?? s.isPythonSpace }
        var scalars = Substring(self).unicodeScalars[...]
        if leading { while let f = scalars.first, drop(f) { scalars.removeFirst() } }
        if trailing { while let l = scalars.last, drop(l) { scalars.removeLast() } }
        return String(String.UnicodeScalarView(scalars))
    }

    /// The text as an array of code points, Python's unit of length and indexing.
    var codePoints: [Unicode.Scalar] { Array(unicodeScalars) }

    init(codePoints: some Sequence<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: codePoints)
        self = String(view)
    }
}
