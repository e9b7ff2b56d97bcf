// jinja2's filters as chat templates use them (filters.py): tojson (transformers' version), trim, length,
// default, join, items, dictsort, map / select / selectattr (lazy generators in jinja2), indent, int, ...
// A filter jinja2 has but Quill lacks is an `unsupported` error naming it.
import Foundation

extension JinjaInterpreter {
    /// jinja2 3.1's built-in filter names, to tell "not in Quill's subset" from "no such filter".
    private static let jinjaFilterNames: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
        "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags",
        "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount",
        "wordwrap", "xmlattr",
    ]
    private static let implementedFilters: Set<String> = [
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "forceescape", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max",
        "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort",
        "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount",
    ]

    static func isFilterImplemented(_ name: String) -> Bool { implementedFilters.contains(name) }

    func applyFilter(_ f: JinjaFilterCall, to value: JinjaValue, in scope: JinjaScope) throws -> JinjaValue {
        let (args, kwargs) = try evaluate(f.arguments, in: scope)
        let result = try located(f.location) { try filter(f.name, value, args, kwargs) }
        return try checkSize(result, at: f.location)
    }

    /// Positional-or-keyword argument `index` / `name`, as Python binds it.
    private func param(_ args: [JinjaValue], _ kwargs: [(String, JinjaValue)], _ index: Int, _ name: String) -> JinjaValue? {
        if index < args.count { return args[index] }
        return kwargs.first { $0.0 == name }?.1
    }

    private func elements(_ v: JinjaValue, for filter: String) throws -> [JinjaValue] {
        guard let e = v.iterationElements else {
            throw JinjaRuntimeFailure.runtime("TypeError: '\(v.typeName)' object is not iterable")
        }
        return e
    }

    /// `item.a.b` for filters' `attribute=` arguments (jinja2 `make_attrgetter`, which tries the key first).
    private func attributePath(_ v: JinjaValue, _ path: String) throws -> JinjaValue {
        var current = v
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            let key: JinjaValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = current.isUndefined ? current : try item(of: current, key)
        }
        return current
    }

    /// Filters whose result stays `Markup` when their input is (markupsafe wraps str methods).
    private static let markupPreserving: Set<String> = ["trim", "upper", "lower", "capitalize", "title", "indent", "replace", "string", "safe"]

    func filter(_ name: String, _ input: JinjaValue, _ rawArgs: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        switch name {
        case "safe": return input.isUndefined ? .markup("") : .markup(input.pythonString)
        case "e", "escape", "forceescape":
            return input.isMarkup && name != "forceescape" ? input : .markup(htmlEscape(input.pythonString))
        default: break
        }
        let result = try plainFilter(name, input.normalized, rawArgs.map(\.normalized), kwargs.map { ($0.0, $0.1.normalized) })
        if input.isMarkup, Self.markupPreserving.contains(name), case .string(let s) = result { return .markup(s) }
        return result
    }

    private func plainFilter(_ name: String, _ v: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        switch name {
        case "tojson":
            var style = JinjaValue.JSONStyle()
            style.ensureASCII = param(args, kwargs, 0, "ensure_ascii")?.isTruthy ?? false
            switch param(args, kwargs, 1, "indent") {
            case .int(let n)?:
                guard n <= 1024 else { throw JinjaRuntimeFailure(kind: .limit, message: "tojson indent of \(n) spaces") }
                style.indent = String(repeating: " ", count: max(0, n)); style.itemSeparator = ","
            case .string(let s)?: style.indent = s; style.itemSeparator = ","
            default: break
            }
            if case .tuple(let seps)? = param(args, kwargs, 2, "separators"), seps.count == 2,
               let item = seps[0].stringValue, let key = seps[1].stringValue {
                style.itemSeparator = item; style.keySeparator = key
            }
            style.sortKeys = param(args, kwargs, 3, "sort_keys")?.isTruthy ?? false
            return .string(try v.pythonJSON(style))
        case "length", "count":
            switch v {
            case .undefined: return .int(0)
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let a), .tuple(let a): return .int(a.count)
            case .dict(let d): return .int(d.count)
            default: throw JinjaRuntimeFailure.runtime("TypeError: object of type '\(v.typeName)' has no len()")
            }
        case "trim":
            return .string(v.pythonString.pythonStripped(param(args, kwargs, 0, "chars")?.stringValue))
        case "string": return .string(v.pythonString)
        case "upper": return .string(v.pythonString.uppercased())
        case "lower": return .string(v.pythonString.lowercased())
        case "capitalize": return .string(JinjaInterpreter.pythonCapitalize(v.pythonString))
        case "title": return .string(jinjaTitle(v.pythonString))
        case "default", "d":
            let fallback = param(args, kwargs, 0, "default_value") ?? .emptyString
            let boolean = param(args, kwargs, 1, "boolean")?.isTruthy ?? false
            return v.isUndefined || (boolean && !v.isTruthy) ? fallback : v
        case "join":
            let separator = param(args, kwargs, 0, "d")?.pythonString ?? ""
            var items = try elements(v, for: name)
            if let attribute = param(args, kwargs, 1, "attribute")?.pythonString { items = try items.map { try attributePath($0, attribute) } }
            return .string(items.map(\.pythonString).joined(separator: separator))
        case "items":
            switch v {
            case .undefined: return .list([])
            case .dict(let d): return .list(d.pairs.map { .tuple([$0.0.value, $0.1]) })
            default: throw JinjaRuntimeFailure.runtime("TypeError: Can only get item pairs from a mapping.")
            }
        case "dictsort":
            guard case .dict(let d) = v else { throw JinjaRuntimeFailure.runtime("FilterArgumentError: dictsort needs a mapping") }
            let caseSensitive = param(args, kwargs, 0, "case_sensitive")?.isTruthy ?? false
            let byValue = param(args, kwargs, 1, "by")?.stringValue == "value"
            let reverse = param(args, kwargs, 2, "reverse")?.isTruthy ?? false
            let pairs = try stableSort(d.pairs.map { JinjaValue.tuple([$0.0.value, $0.1]) }, reverse: reverse) { item in
                guard case .tuple(let t) = item else { return item }
                return sortKey(byValue ? t[1] : t[0], caseSensitive: caseSensitive)
            }
            return .list(pairs)
        case "list": return .list(try elements(v, for: name))
        case "first":
            let e = try elements(v, for: name)
            return e.first ?? .undefined(hint: "No first item, sequence was empty.")
        case "last":
            if case .generator = v { throw JinjaRuntimeFailure.runtime("TypeError: 'generator' object is not reversible") }
            let e = try elements(v, for: name)
            return e.last ?? .undefined(hint: "No last item, sequence was empty.")
        case "reverse":
            if case .string(let s) = v { return .string(String(codePoints: s.codePoints.reversed())) }
            return .generator(try elements(v, for: name).reversed())
        case "unique":
            let caseSensitive = param(args, kwargs, 0, "case_sensitive")?.isTruthy ?? false
            let attribute = param(args, kwargs, 1, "attribute")?.stringValue
            var seen: [JinjaValue] = [], out: [JinjaValue] = []
            for item in try elements(v, for: name) {
                let key = sortKey(try attribute.map { try attributePath(item, $0) } ?? item, caseSensitive: caseSensitive)
                if !seen.contains(where: { $0.pythonEquals(key) }) { seen.append(key); out.append(item) }
            }
            return .generator(out)
        case "sort":
            let reverse = param(args, kwargs, 0, "reverse")?.isTruthy ?? false
            let caseSensitive = param(args, kwargs, 1, "case_sensitive")?.isTruthy ?? false
            let attribute = param(args, kwargs, 2, "attribute")?.stringValue
            return .list(try stableSort(try elements(v, for: name), reverse: reverse) { item in
                sortKey(try attribute.map { try attributePath(item, $0) } ?? item, caseSensitive: caseSensitive)
            })
        case "min", "max":
            let caseSensitive = param(args, kwargs, 0, "case_sensitive")?.isTruthy ?? false
            let attribute = param(args, kwargs, 1, "attribute")?.stringValue
            let sorted = try stableSort(try elements(v, for: name), reverse: false) { item in
                sortKey(try attribute.map { try attributePath(item, $0) } ?? item, caseSensitive: caseSensitive)
            }
            return (name == "min" ? sorted.first : sorted.last) ?? .undefined(hint: "No aggregated item, sequence was empty.")
        case "sum":
            let attribute = param(args, kwargs, 0, "attribute")?.stringValue
            var total = param(args, kwargs, 1, "start") ?? .int(0)
            for item in try elements(v, for: name) {
                total = try JinjaInterpreter.arithmetic("+", total, try attribute.map { try attributePath(item, $0) } ?? item)
            }
            return total
        case "map", "select", "reject", "selectattr", "rejectattr":
            return try mapOrSelect(name, v, args, kwargs)
        case "attr":
            guard let n = args.first?.stringValue else { throw JinjaRuntimeFailure.runtime("TypeError: attr needs a name") }
            return try attribute(of: v, n)
        case "indent": return .string(try indent(v.pythonString, args, kwargs))
        case "replace":
            guard let old = param(args, kwargs, 0, "old")?.pythonString, let new = param(args, kwargs, 1, "new")?.pythonString else {
                throw JinjaRuntimeFailure.runtime("TypeError: replace needs old and new strings")
            }
            return .string(JinjaInterpreter.pythonReplace(v.pythonString, old, new, count: param(args, kwargs, 2, "count")?.intValue ?? -1))
        case "int": return toInt(v, fallback: param(args, kwargs, 0, "default") ?? .int(0))
        case "float": return toFloat(v, fallback: param(args, kwargs, 0, "default") ?? .double(0))
        case "abs":
            switch v {
            case .int(let i): return .int(abs(i))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw JinjaRuntimeFailure.runtime("TypeError: bad operand type for abs(): '\(v.typeName)'")
            }
        case "round":
            guard let x = v.numberValue else { throw JinjaRuntimeFailure.runtime("TypeError: round needs a number") }
            let precision = param(args, kwargs, 0, "precision")?.intValue ?? 0
            let method = param(args, kwargs, 1, "method")?.stringValue ?? "common"
            if case .int(let i) = v, method == "common", precision >= 0 { return .int(i) }   // round(int) stays an int
            if precision > 300 || !x.isFinite { return .double(x) }
            let scale = Double.pow10(precision)
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrEven   // Python's round()
            return .double((x * scale).rounded(rule) / scale)
        case "wordcount": return .int(v.pythonString.split { $0.isWhitespace || $0.isPunctuation }.count)
        case "format": return .string(try JinjaInterpreter.arithmetic("%", .string(v.pythonString), .tuple(args)).pythonString)
        default:
            if Self.jinjaFilterNames.contains(name) { throw JinjaRuntimeFailure.unsupported("the '\(name)' filter") }
            throw JinjaRuntimeFailure.runtime("TemplateAssertionError: No filter named '\(name)'.")
        }
    }

    /// jinja2's `title` filter: upper-cases the first letter after a space, dash or opening bracket.
    private func jinjaTitle(_ s: String) -> String {
        var out = "", atWordStart = true
        for c in s {
            let boundary = c == "-" || c.isWhitespace || "({[<".contains(c)
            if boundary { out.append(c); atWordStart = true; continue }
            out += atWordStart ? c.uppercased() : c.lowercased()
            atWordStart = false
        }
        return out
    }

    private func sortKey(_ v: JinjaValue, caseSensitive: Bool) -> JinjaValue {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    private func stableSort(_ items: [JinjaValue], reverse: Bool, key: (JinjaValue) throws -> JinjaValue) throws -> [JinjaValue] {
        let keyed = try items.enumerated().map { (i: $0.offset, key: try key($0.element), value: $0.element) }
        var failure: JinjaRuntimeFailure? = nil
        let sorted = keyed.sorted { a, b in
            guard let lt = reverse ? b.key.pythonLess(a.key) : a.key.pythonLess(b.key),
                  let gt = reverse ? a.key.pythonLess(b.key) : b.key.pythonLess(a.key) else {
                failure = .runtime("TypeError: '<' not supported between instances of '\(a.key.typeName)' and '\(b.key.typeName)'")
                return a.i < b.i
            }
            return lt || (!gt && a.i < b.i)
        }
        if let failure { throw failure }
        return sorted.map(\.value)
    }

    private func mapOrSelect(_ name: String, _ v: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> JinjaValue {
        guard v.isTruthy else { return .generator([]) }   // jinja2 walks the sequence only `if value`
        let items = try elements(v, for: name)
        if name == "map" {
            if let attribute = kwargs.first(where: { $0.0 == "attribute" })?.1.pythonString {
                let fallback = kwargs.first { $0.0 == "default" }?.1
                return .generator(try items.map { item in
                    let a = try attributePath(item, attribute)
                    return a.isUndefined ? (fallback ?? a) : a
                })
            }
            guard let filterName = args.first?.stringValue else { throw JinjaRuntimeFailure.runtime("FilterArgumentError: map requires a filter argument") }
            return .generator(try items.map { try filter(filterName, $0, Array(args.dropFirst()), kwargs) })
        }
        let byAttribute = name.hasSuffix("attr")
        let keep = name.hasPrefix("select")
        var rest = args
        var attribute: String? = nil
        if byAttribute {
            guard let a = rest.first?.stringValue else { throw JinjaRuntimeFailure.runtime("TypeError: \(name) needs an attribute name") }
            attribute = a; rest.removeFirst()
        }
        let testName = rest.first?.stringValue
        let testArgs = Array(rest.dropFirst())
        return .generator(try items.filter { item in
            let subject = try attribute.map { try attributePath(item, $0) } ?? item
            let passes = try testName.map { try runTest($0, subject, testArgs) } ?? subject.isTruthy
            return passes == keep
        })
    }

    private func indent(_ text: String, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> String {
        let width = param(args, kwargs, 0, "width") ?? .int(4)
        guard (width.intValue ?? 0) <= 1024 else { throw JinjaRuntimeFailure(kind: .limit, message: "indent of \(width.intValue ?? 0) spaces") }
        let indentation = width.stringValue ?? String(repeating: " ", count: max(0, width.intValue ?? 4))
        let first = param(args, kwargs, 1, "first")?.isTruthy ?? false
        let blank = param(args, kwargs, 2, "blank")?.isTruthy ?? false
        let lines = JinjaInterpreter.pythonSplitLines(text + "\n")
        var rv: String
        if blank {
            rv = lines.joined(separator: "\n" + indentation)
        } else {
            rv = lines.first ?? ""
            if lines.count > 1 { rv += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n") }
        }
        return first ? indentation + rv : rv
    }

    private func toInt(_ v: JinjaValue, fallback: JinjaValue) -> JinjaValue {
        switch v {
        case .int(let i): return .int(i)
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d): return d.isFinite && abs(d) < 9e18 ? .int(Int(d)) : fallback
        case .string(let s):
            let t = s.pythonStripped().replacingOccurrences(of: "_", with: "")
            if let i = Int(t) { return .int(i) }
            if let d = JinjaInterpreter.pythonFloat(t), d.isFinite, abs(d) < 9e18 { return .int(Int(d)) }
            return fallback
        default: return fallback
        }
    }

    /// Python's `float(text)`: decimal notation, inf and nan; not the hex floats Swift's `Double(_:)` also reads.
    static func pythonFloat(_ text: String) -> Double? {
        guard !text.contains(where: { "xXpP".contains($0) }) else { return nil }
        return Double(text.replacingOccurrences(of: "_", with: ""))
    }

    private func toFloat(_ v: JinjaValue, fallback: JinjaValue) -> JinjaValue {
        switch v {
        case .int, .bool, .double: return .double(v.numberValue!)
        case .string(let s): return JinjaInterpreter.pythonFloat(s.pythonStripped()).map { .double($0) } ?? fallback
        default: return fallback
        }
    }
}

private extension Double {
    static func pow10(_ n: Int) -> Double { Foundation.pow(10, Double(max(-400, min(400, n)))) }
}
