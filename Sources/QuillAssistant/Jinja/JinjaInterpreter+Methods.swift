// Python methods templates call on values: str (strip, split, replace, startswith, format, ...), dict
// (get, items, keys, values) and list (index, count). Methods that would modify a list or dict are
// refused as jinja2's ImmutableSandboxedEnvironment refuses them (transformers renders in that sandbox).

extension JinjaInterpreter {
    private static let unsafeMethods: [String: Set<String>] = [
        "list": ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"],
        "dict": ["pop", "popitem", "setdefault", "update", "clear"],
    ]

    private func bound(_ name: String, _ body: @escaping ([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue) -> JinjaValue {
        .function(JinjaFunction(name: name, call: body))
    }

    /// The bound method `value.name`, nil when the type has no such method.
    func method(of original: JinjaValue, _ name: String) throws -> JinjaValue? {
        let value = original.normalized
        if let unsafe = Self.unsafeMethods[value.typeName], unsafe.contains(name) {
            let type = value.typeName
            return bound(name) { _, _ in
                throw JinjaRuntimeFailure.runtime("SecurityError: access to attribute '\(name)' of '\(type)' object is unsafe.")
            }
        }
        switch value {
        case .string(let s): return stringMethod(s, name)
        case .dict(let d): return dictMethod(d, name)
        case .list(let a), .tuple(let a):
            switch name {
            case "index": return bound(name) { args, _ in
                guard let i = a.firstIndex(where: { $0.pythonEquals(args.first ?? JinjaValue.none) }) else {
                    throw JinjaRuntimeFailure.runtime("ValueError: \(args.first?.pythonRepr ?? "None") is not in list")
                }
                return .int(i)
            }
            case "count": return bound(name) { args, _ in .int(a.filter { $0.pythonEquals(args.first ?? JinjaValue.none) }.count) }
            default: return nil
            }
        default: return nil
        }
    }

    private func dictMethod(_ d: JinjaDict, _ name: String) -> JinjaValue? {
        switch name {
        case "get": return bound(name) { args, kwargs in
            guard let key = args.first else { throw JinjaRuntimeFailure.runtime("TypeError: get expected at least 1 argument, got 0") }
            let fallback = args.count > 1 ? args[1] : (kwargs.first { $0.0 == "default" }?.1 ?? JinjaValue.none)
            return JinjaKey(key).flatMap { d[$0] } ?? fallback
        }
        case "items": return bound(name) { _, _ in .list(d.pairs.map { .tuple([$0.0.value, $0.1]) }) }
        case "keys": return bound(name) { _, _ in .list(d.keys.map(\.value)) }
        case "values": return bound(name) { _, _ in .list(d.values) }
        case "copy": return bound(name) { _, _ in .dict(d) }
        default: return nil
        }
    }

    private func stringMethod(_ s: String, _ name: String) -> JinjaValue? {
        func arg(_ args: [JinjaValue], _ i: Int) -> String? { i < args.count ? args[i].stringValue : nil }
        switch name {
        case "strip", "lstrip", "rstrip": return bound(name) { args, _ in
            .string(s.pythonStripped(arg(args, 0), leading: name != "rstrip", trailing: name != "lstrip"))
        }
        case "upper": return bound(name) { _, _ in .string(s.uppercased()) }
        case "lower": return bound(name) { _, _ in .string(s.lowercased()) }
        case "title": return bound(name) { _, _ in .string(JinjaInterpreter.pythonTitle(s)) }
        case "capitalize": return bound(name) { _, _ in .string(JinjaInterpreter.pythonCapitalize(s)) }
        case "split", "rsplit": return bound(name) { args, kwargs in
            let sep = arg(args, 0) ?? kwargs.first { $0.0 == "sep" }?.1.stringValue
            let maxSplit = (args.count > 1 ? args[1] : kwargs.first { $0.0 == "maxsplit" }?.1)?.intValue ?? -1
            return .list(try JinjaInterpreter.pythonSplit(s, sep, maxSplit: maxSplit, fromRight: name == "rsplit").map { .string($0) })
        }
        case "splitlines": return bound(name) { _, _ in .list(JinjaInterpreter.pythonSplitLines(s).map { .string($0) }) }
        case "replace": return bound(name) { args, _ in
            guard let old = arg(args, 0), let new = arg(args, 1) else {
                throw JinjaRuntimeFailure.runtime("TypeError: replace() takes two string arguments")
            }
            return .string(JinjaInterpreter.pythonReplace(s, old, new, count: args.count > 2 ? args[2].intValue ?? -1 : -1))
        }
        case "startswith", "endswith": return bound(name) { args, _ in
            let options: [String]
            switch args.first {
            case .string(let p)?: options = [p]
            case .tuple(let t)?, .list(let t)?: options = t.compactMap(\.stringValue)
            default: throw JinjaRuntimeFailure.runtime("TypeError: \(name) first arg must be str or a tuple of str")
            }
            let cp = s.codePoints
            return .bool(options.contains { o in
                let p = o.codePoints
                return name == "startswith" ? cp.starts(with: p) : cp.reversed().starts(with: p.reversed())
            })
        }
        case "find", "rfind", "index", "count": return bound(name) { args, _ in
            guard let needle = arg(args, 0)?.codePoints else { throw JinjaRuntimeFailure.runtime("TypeError: \(name)() argument must be str") }
            let cp = s.codePoints
            var found: [Int] = []
            var i = 0
            while let r = cp.firstRange(of: needle, from: i) {
                found.append(r.lowerBound)
                i = needle.isEmpty ? r.lowerBound + 1 : r.upperBound
                if i > cp.count { break }
            }
            switch name {
            case "count": return .int(found.count)
            case "find": return .int(found.first ?? -1)
            case "rfind": return .int(found.last ?? -1)
            default:
                guard let f = found.first else { throw JinjaRuntimeFailure.runtime("ValueError: substring not found") }
                return .int(f)
            }
        }
        case "join": return bound(name) { args, _ in
            guard let items = args.first?.iterationElements else { throw JinjaRuntimeFailure.runtime("TypeError: can only join an iterable") }
            return .string(try items.map { item -> String in
                guard case .string(let t) = item else {
                    throw JinjaRuntimeFailure.runtime("TypeError: sequence item: expected str instance, \(item.typeName) found")
                }
                return t
            }.joined(separator: s))
        }
        case "format": return bound(name) { args, kwargs in .string(try JinjaInterpreter.pythonFormat(s, args, kwargs)) }
        case "isdigit", "isnumeric", "isdecimal": return bound(name) { _, _ in
            .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil })
        }
        case "isalpha": return bound(name) { _, _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.properties.isAlphabetic)) }
        case "isalnum": return bound(name) { _, _ in
            .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        }
        case "isspace": return bound(name) { _, _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.isPythonSpace)) }
        case "islower": return bound(name) { _, _ in .bool(s.contains { $0.isLowercase } && !s.contains { $0.isUppercase }) }
        case "isupper": return bound(name) { _, _ in .bool(s.contains { $0.isUppercase } && !s.contains { $0.isLowercase }) }
        default: return nil
        }
    }

    // MARK: Python string algorithms

    static func pythonTitle(_ s: String) -> String {
        var out = "", previousCased = false
        for c in s {
            if c.isCased {
                out += previousCased ? c.lowercased() : c.uppercased()
                previousCased = true
            } else {
                out.append(c); previousCased = false
            }
        }
        return out
    }

    static func pythonCapitalize(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst().lowercased()
    }

    static func pythonSplit(_ s: String, _ sep: String?, maxSplit: Int, fromRight: Bool = false) throws -> [String] {
        let cp = s.codePoints
        guard let sep else {
            // Runs of whitespace separate; leading and trailing whitespace yields no empty strings.
            var words: [[Unicode.Scalar]] = [], current: [Unicode.Scalar] = [], i = 0
            let scalars = fromRight ? cp.reversed() : cp
            while i < scalars.count {
                if scalars[i].isPythonSpace {
                    if !current.isEmpty {
                        words.append(current); current = []
                        if maxSplit >= 0 && words.count == maxSplit {
                            var rest = Array(scalars[i...])
                            while let f = rest.first, f.isPythonSpace { rest.removeFirst() }
                            if !rest.isEmpty { words.append(rest) }
                            i = scalars.count; break
                        }
                    }
                } else { current.append(scalars[i]) }
                i += 1
            }
            if !current.isEmpty { words.append(current) }
            let out = words.map { String(codePoints: fromRight ? $0.reversed() : $0) }
            return fromRight ? out.reversed() : out
        }
        let needle = sep.codePoints
        guard !needle.isEmpty else { throw JinjaRuntimeFailure.runtime("ValueError: empty separator") }
        if fromRight {
            let parts = try pythonSplit(String(codePoints: cp.reversed()), String(codePoints: needle.reversed()), maxSplit: maxSplit)
            return parts.reversed().map { String(codePoints: $0.codePoints.reversed()) }
        }
        var parts: [String] = [], start = 0
        while maxSplit < 0 || parts.count < maxSplit, let r = cp.firstRange(of: needle, from: start) {
            parts.append(String(codePoints: cp[start..<r.lowerBound]))
            start = r.upperBound
        }
        parts.append(String(codePoints: cp[start...]))
        return parts
    }

    /// `str.splitlines()`: splits at \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029; drops the separators.
    static func pythonSplitLines(_ s: String) -> [String] {
        let breaks: Set<UInt32> = [0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029]
        var lines: [String] = [], current = String.UnicodeScalarView(), previousCR = false
        for c in s.unicodeScalars {
            if c == "\n" && previousCR { previousCR = false; continue }
            previousCR = c == "\r"
            if breaks.contains(c.value) { lines.append(String(current)); current = .init() } else { current.append(c) }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    static func pythonReplace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        let cp = s.codePoints, o = old.codePoints
        if o.isEmpty {   // Python inserts `new` between every character and at both ends
            var out = "", n = 0
            for c in cp {
                if count < 0 || n < count { out += new; n += 1 }
                out.unicodeScalars.append(c)
            }
            if count < 0 || n < count { out += new }
            return out
        }
        var out = String.UnicodeScalarView(), start = 0, n = 0
        while count < 0 || n < count, let r = cp.firstRange(of: o, from: start) {
            out.append(contentsOf: cp[start..<r.lowerBound]); out.append(contentsOf: new.unicodeScalars)
            start = r.upperBound; n += 1
        }
        out.append(contentsOf: cp[start...])
        return String(out)
    }

    /// `str.format` with `{}`, `{0}`, `{name}`, `{{` / `}}` and `!s` / `!r`; format specs are not supported.
    static func pythonFormat(_ format: String, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)]) throws -> String {
        var out = "", auto = 0
        var chars = Array(format)[...]
        while let c = chars.popFirst() {
            if c == "}" {
                guard chars.first == "}" else { throw JinjaRuntimeFailure.runtime("ValueError: Single '}' encountered in format string") }
                chars.removeFirst(); out.append("}"); continue
            }
            guard c == "{" else { out.append(c); continue }
            if chars.first == "{" { chars.removeFirst(); out.append("{"); continue }
            guard let close = chars.firstIndex(of: "}") else { throw JinjaRuntimeFailure.runtime("ValueError: Single '{' encountered in format string") }
            var field = String(chars[chars.startIndex..<close])
            chars = chars[(close + 1)...]
            var conversion: Character? = nil
            if let bang = field.firstIndex(of: "!") { conversion = field[field.index(after: bang)...].first; field = String(field[..<bang]) }
            if field.contains(":") { throw JinjaRuntimeFailure.unsupported("format specs in str.format ('{\(field)}')") }
            let value: JinjaValue
            if field.isEmpty {
                guard auto < args.count else { throw JinjaRuntimeFailure.runtime("IndexError: Replacement index \(auto) out of range for positional args tuple") }
                value = args[auto]; auto += 1
            } else if let i = Int(field) {
                guard i < args.count else { throw JinjaRuntimeFailure.runtime("IndexError: Replacement index \(i) out of range for positional args tuple") }
                value = args[i]
            } else {
                guard let v = kwargs.first(where: { $0.0 == field })?.1 else { throw JinjaRuntimeFailure.runtime("KeyError: '\(field)'") }
                value = v
            }
            out += conversion == "r" ? value.pythonRepr : value.pythonString
        }
        return out
    }
}
