// Python's arithmetic, comparison and membership operators as jinja2 evaluates them, with Python's
// TypeError texts: `+` joins strings and lists, `/` is true division, `//` and `%` floor, `in` searches
// substrings, list items and dict keys, and an Undefined operand fails.
import Foundation

extension JinjaInterpreter {
    private static func pythonTypeError(_ op: String, _ a: JinjaValue, _ b: JinjaValue) -> JinjaRuntimeFailure {
        .runtime("TypeError: unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    static func arithmetic(_ op: String, _ a: JinjaValue, _ b: JinjaValue, unary: Bool = false) throws -> JinjaValue {
        switch (op, a, b) {   // markupsafe: Markup + str escapes the str, and the result stays Markup
        case ("+", .markup(let x), .markup(let y)): return .markup(x + y)
        case ("+", .markup(let x), .string(let y)): return .markup(x + htmlEscape(y))
        case ("+", .string(let x), .markup(let y)): return .markup(htmlEscape(x) + y)
        case ("%", .markup(let f), _):
            let escaped: JinjaValue
            if case .tuple(let t) = b { escaped = .tuple(t.map { $0.isMarkup ? $0 : .string(htmlEscape($0.pythonString)) }) }
            else { escaped = b.isMarkup ? b : .string(htmlEscape(b.pythonString)) }
            return .markup(try arithmetic("%", .string(f), escaped).pythonString)
        case ("*", .markup(let x), _): return .markup(try arithmetic("*", .string(x), b).pythonString)
        default: break
        }
        let a = a.normalized, b = b.normalized
        if case .undefined(let hint) = a { throw JinjaRuntimeFailure.runtime("UndefinedError: \(hint)") }
        if case .undefined(let hint) = b { throw JinjaRuntimeFailure.runtime("UndefinedError: \(hint)") }
        if unary {
            guard b.numberValue != nil else {
                throw JinjaRuntimeFailure.runtime("TypeError: bad operand type for unary \(op): '\(b.typeName)'")
            }
            if op == "+" { return b.intValue.map { .int($0) } ?? b }
        }
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .string, _): throw JinjaRuntimeFailure.runtime("TypeError: can only concatenate str (not \"\(b.typeName)\") to str")
        case ("+", .list(let x), .list(let y)): return .list(x + y)
        case ("+", .list, _): throw JinjaRuntimeFailure.runtime("TypeError: can only concatenate list (not \"\(b.typeName)\") to list")
        case ("+", .tuple(let x), .tuple(let y)): return .tuple(x + y)
        case ("*", .string(let s), _), ("*", _, .string(let s)):
            guard let n = (a.stringValue == nil ? a : b).intValue else { throw pythonTypeError(op, a, b) }
            guard n <= (1 << 24) / max(1, s.utf8.count) else { throw JinjaRuntimeFailure.init(kind: .limit, message: "string repeated \(n) times") }
            return .string(String(repeating: s, count: max(0, n)))
        case ("*", .list(let l), _), ("*", _, .list(let l)):
            guard let n = (a.stringValue == nil && a.intValue == nil ? b : a).intValue else { throw pythonTypeError(op, a, b) }
            guard n <= (1 << 20) / max(1, l.count) else { throw JinjaRuntimeFailure.init(kind: .limit, message: "list repeated \(n) times") }
            return .list(Array([[JinjaValue]](repeating: l, count: max(0, n)).joined()))
        case ("%", .string(let format), _):
            return .string(try percentFormat(format, b))
        default: break
        }
        guard let x = a.numberValue, let y = b.numberValue else { throw pythonTypeError(op, a, b) }
        if let i = a.intValue, let j = b.intValue { return try integerArithmetic(op, i, j) }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw JinjaRuntimeFailure.runtime("ZeroDivisionError: float division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw JinjaRuntimeFailure.runtime("ZeroDivisionError: float floor division by zero") }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw JinjaRuntimeFailure.runtime("ZeroDivisionError: float modulo") }
            let r = x.truncatingRemainder(dividingBy: y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case "**": return .double(pow(x, y))
        default: throw pythonTypeError(op, a, b)
        }
    }

    private static func integerArithmetic(_ op: String, _ i: Int, _ j: Int) throws -> JinjaValue {
        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> JinjaValue {
            guard !r.overflow else { throw JinjaRuntimeFailure.runtime("OverflowError: integer result does not fit in 64 bits") }
            return .int(r.partialValue)
        }
        switch op {
        case "+": return try checked(i.addingReportingOverflow(j))
        case "-": return try checked(i.subtractingReportingOverflow(j))
        case "*": return try checked(i.multipliedReportingOverflow(by: j))
        case "/":
            guard j != 0 else { throw JinjaRuntimeFailure.runtime("ZeroDivisionError: division by zero") }
            return .double(Double(i) / Double(j))
        case "//", "%":
            guard j != 0 else { throw JinjaRuntimeFailure.runtime("ZeroDivisionError: integer division or modulo by zero") }
            guard !(i == .min && j == -1) else { throw JinjaRuntimeFailure.runtime("OverflowError: integer result does not fit in 64 bits") }
            var q = i / j, r = i % j
            if r != 0 && (r < 0) != (j < 0) { q -= 1; r += j }
            return .int(op == "//" ? q : r)
        case "**":
            if j < 0 { return .double(pow(Double(i), Double(j))) }
            var result = 1, base = i, e = j
            while e > 0 {
                if e & 1 == 1 { result = try checked(result.multipliedReportingOverflow(by: base)).intValue! }
                e >>= 1
                if e > 0 { base = try checked(base.multipliedReportingOverflow(by: base)).intValue! }
            }
            return .int(result)
        default: throw JinjaRuntimeFailure.runtime("TypeError: unsupported operand \(op)")
        }
    }

    /// `'%s and %d' % (a, b)`: printf-style formatting with `%s`, `%r`, `%d`, `%i`, `%%`.
    private static func percentFormat(_ format: String, _ argument: JinjaValue) throws -> String {
        var args: [JinjaValue]
        if case .tuple(let t) = argument { args = t } else { args = [argument] }
        var out = "", pending = false
        for c in format {
            if pending {
                pending = false
                if c == "%" { out.append("%"); continue }
                guard !args.isEmpty else { throw JinjaRuntimeFailure.runtime("TypeError: not enough arguments for format string") }
                let a = args.removeFirst()
                switch c {
                case "s": out += a.pythonString
                case "r": out += a.pythonRepr
                case "d", "i":
                    guard let n = a.numberValue else { throw JinjaRuntimeFailure.runtime("TypeError: %d format: a real number is required, not \(a.typeName)") }
                    out += String(Int(n.rounded(.towardZero)))
                default: throw JinjaRuntimeFailure.unsupported("the '%\(c)' conversion in '%' string formatting")
                }
            } else if c == "%" { pending = true } else { out.append(c) }
        }
        guard args.isEmpty else { throw JinjaRuntimeFailure.runtime("TypeError: not all arguments converted during string formatting") }
        return out
    }

    static func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        let a = a.normalized, b = b.normalized
        switch op {
        case "==": return a.pythonEquals(b)
        case "!=": return !a.pythonEquals(b)
        case "in": return try contains(b, a)
        case "not in": return try !contains(b, a)
        default:
            if case .undefined(let hint) = a { throw JinjaRuntimeFailure.runtime("UndefinedError: \(hint)") }
            if case .undefined(let hint) = b { throw JinjaRuntimeFailure.runtime("UndefinedError: \(hint)") }
            guard let lt = a.pythonLess(b), let gt = b.pythonLess(a) else {
                throw JinjaRuntimeFailure.runtime("TypeError: '\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
            }
            switch op {
            case "<": return lt
            case ">": return gt
            case "<=": return lt || a.pythonEquals(b)
            case ">=": return gt || a.pythonEquals(b)
            default: throw JinjaRuntimeFailure.runtime("unknown comparison \(op)")
            }
        }
    }

    /// Python `needle in haystack`.
    static func contains(_ haystack: JinjaValue, _ needle: JinjaValue) throws -> Bool {
        let needle = needle.normalized
        switch haystack.normalized {
        case .string(let s):
            guard case .string(let n) = needle else {
                if case .undefined(let hint) = needle { throw JinjaRuntimeFailure.runtime("UndefinedError: \(hint)") }
                throw JinjaRuntimeFailure.runtime("TypeError: 'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return n.isEmpty || s.codePoints.containsSubsequence(n.codePoints)
        case .dict(let d):
            guard let k = JinjaKey(needle) else { throw JinjaRuntimeFailure.runtime("TypeError: unhashable type: '\(needle.typeName)'") }
            return d[k] != nil
        case .namespace(let ns):
            guard case .string(let k) = needle else { return false }
            return ns.attributes[k] != nil
        case .undefined: return false
        case .list(let a), .tuple(let a), .generator(let a): return a.contains { $0.pythonEquals(needle) }
        default:
            throw JinjaRuntimeFailure.runtime("TypeError: argument of type '\(haystack.typeName)' is not iterable")
        }
    }
}

/// markupsafe's `escape`: & < > " ' as HTML entities.
func htmlEscape(_ s: String) -> String {
    var out = ""
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&#34;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

extension JinjaValue {
    var isMarkup: Bool { if case .markup = self { return true }; return false }
}

extension Array where Element == Unicode.Scalar {
    func containsSubsequence(_ needle: [Unicode.Scalar]) -> Bool { firstRange(of: needle) != nil }

    func firstRange(of needle: [Unicode.Scalar], from start: Int = 0) -> Range<Int>? {
        guard !needle.isEmpty else { return start..<start }
        guard count >= needle.count else { return nil }
        var i = start
        while i <= count - needle.count {
            if self[i] == needle[0] && self[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
            i += 1
        }
        return nil
    }
}
