// Expression evaluation with jinja2's lookup rules: `a.b` tries the attribute (a method) before the key,
// `a['b']` the key before the attribute, a miss yields an Undefined that only fails when used, and the
// immutable sandbox refuses methods that would change a list or dict.

extension JinjaInterpreter {
    func evaluate(_ e: JinjaExpr, in scope: JinjaScope) throws -> JinjaValue {
        try step(e.location)
        switch e.kind {
        case .literal(let l): return l.value
        case .name(let n): return scope.lookup(n) ?? .undefined(hint: "'\(n)' is undefined")
        case .list(let items): return try checkNesting(.list(try items.map { try evaluate($0, in: scope) }), at: e.location)
        case .tuple(let items): return try checkNesting(.tuple(try items.map { try evaluate($0, in: scope) }), at: e.location)
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                let key = try evaluate(k, in: scope)
                guard let hashable = JinjaKey(key) else {
                    throw JinjaError.runtime("TypeError: unhashable type: '\(key.typeName)'", at: k.location)
                }
                d[hashable] = try evaluate(v, in: scope)
            }
            return try checkNesting(.dict(d), at: e.location)
        case .attribute(let object, let name):
            let o = try evaluate(object, in: scope)
            return try located(e.location) { try attribute(of: o, name) }
        case .item(let object, let key):
            let o = try evaluate(object, in: scope)
            let k = try evaluate(key, in: scope)
            return try located(e.location) { try item(of: o, k) }
        case .slice(let object, let start, let stop, let stepExpr):
            let o = try evaluate(object, in: scope)
            let bounds = try [start, stop, stepExpr].map { try $0.map { try evaluate($0, in: scope) } ?? JinjaValue.none }
            return try located(e.location) { try JinjaInterpreter.slice(o, bounds[0], bounds[1], bounds[2]) }
        case .call(let callee, let arguments):
            let f = try evaluate(callee, in: scope)
            let (args, kwargs) = try evaluate(arguments, in: scope)
            return try checkNesting(try checkSize(try call(f, args, kwargs, at: e.location), at: e.location), at: e.location)
        case .filter(let value, let filter):
            return try applyFilter(filter, to: try evaluate(value, in: scope), in: scope)
        case .test(let value, let name, let arguments, let negated):
            let v = try evaluate(value, in: scope)
            let (args, _) = try evaluate(arguments, in: scope)
            let result = try located(e.location) { try runTest(name, v.normalized, args.map(\.normalized)) }
            return .bool(result != negated)
        case .not(let operand): return .bool(!(try evaluate(operand, in: scope).isTruthy))
        case .negate(let operand):
            let v = try evaluate(operand, in: scope)
            return try located(e.location) { try JinjaInterpreter.arithmetic("-", .int(0), v, unary: true) }
        case .plus(let operand):
            let v = try evaluate(operand, in: scope)
            return try located(e.location) { try JinjaInterpreter.arithmetic("+", .int(0), v, unary: true) }
        case .binary(let op, let l, let r):
            let a = try evaluate(l, in: scope), b = try evaluate(r, in: scope)
            return try checkSize(try located(e.location) { try JinjaInterpreter.arithmetic(op, a, b) }, at: e.location)
        case .and(let l, let r):
            let a = try evaluate(l, in: scope)
            return a.isTruthy ? try evaluate(r, in: scope) : a
        case .or(let l, let r):
            let a = try evaluate(l, in: scope)
            return a.isTruthy ? a : try evaluate(r, in: scope)
        case .concat(let parts):
            var text = ""
            for p in parts { text += try evaluate(p, in: scope).pythonString }
            return try checkSize(.string(text), at: e.location)
        case .compare(let first, let ops):
            var left = try evaluate(first, in: scope)
            for (op, operandExpr) in ops {
                let right = try evaluate(operandExpr, in: scope)
                let holds = try located(operandExpr.location) { try JinjaInterpreter.compare(op, left, right) }
                if !holds { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, in: scope).isTruthy { return try evaluate(then, in: scope) }
            return try otherwise.map { try evaluate($0, in: scope) } ?? .undefined(hint: "the inline if-expression evaluated to false and no else section was defined")
        }
    }

    /// Refuses values nested past `JinjaValue.maxNesting` (a loop wrapping a list in itself), which would
    /// otherwise make printing, comparing or freeing them recurse without bound.
    private func checkNesting(_ v: JinjaValue, at loc: JinjaSourceLocation) throws -> JinjaValue {
        var budget = 4096
        guard !v.nestsDeeper(than: JinjaValue.maxNesting, budget: &budget) else {
            throw JinjaError.limitExceeded("a value nested more than \(JinjaValue.maxNesting) levels deep", at: loc)
        }
        return v
    }

    func evaluate(_ arguments: JinjaArguments, in scope: JinjaScope) throws -> ([JinjaValue], [(String, JinjaValue)]) {
        let args = try arguments.positional.map { try evaluate($0, in: scope) }
        let kwargs = try arguments.keyword.map { ($0.name, try evaluate($0.value, in: scope)) }
        return (args, kwargs)
    }

    func call(_ f: JinjaValue, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)], at loc: JinjaSourceLocation) throws -> JinjaValue {
        switch f {
        case .function(let fn): return try located(loc) { try fn.call(args, kwargs) }
        case .macro(let m): return try callMacro(m, args, kwargs, at: loc)
        case .undefined(let hint): throw JinjaError.runtime("UndefinedError: \(hint)", at: loc)
        default: throw JinjaError.runtime("TypeError: '\(f.typeName)' object is not callable", at: loc)
        }
    }

    /// jinja2's `object_type_repr`, as its Undefined messages print the object.
    static func objectTypeRepr(_ v: JinjaValue) -> String {
        v.isNone ? "None" : "\(v.typeName) object"
    }

    /// `value.name`: a method or attribute first, then a key (jinja2 `Environment.getattr`).
    func attribute(of original: JinjaValue, _ name: String) throws -> JinjaValue {
        let value = original.normalized
        if case .undefined(let hint) = value { throw JinjaRuntimeFailure.runtime("UndefinedError: \(hint)") }
        if let method = try method(of: value, name) { return method }
        switch value {
        case .dict(let d): if let v = d[name] { return v }
        case .namespace(let ns): if let v = ns.attributes[name] { return v }
        case .loop(let l): if let v = l.attribute(name) { return v }
        default: break
        }
        return .undefined(hint: "'\(JinjaInterpreter.objectTypeRepr(value))' has no attribute '\(name)'")
    }

    /// `value[key]`: the key or index first, then an attribute (jinja2 `Environment.getitem`).
    func item(of original: JinjaValue, _ original_key: JinjaValue) throws -> JinjaValue {
        let value = original.normalized, key = original_key.normalized
        if case .undefined(let hint) = value { throw JinjaRuntimeFailure.runtime("UndefinedError: \(hint)") }
        switch (value, key) {
        case (.dict(let d), _): if let v = JinjaKey(key).flatMap({ d[$0] }) { return v }
        case (.namespace(let ns), .string(let k)): if let v = ns.attributes[k] { return v }
        case (.loop(let l), .string(let k)): if let v = l.attribute(k) { return v }
        case (.list(let a), _), (.tuple(let a), _):
            if let i = key.intValue {
                let j = i < 0 ? i + a.count : i
                if a.indices.contains(j) { return a[j] }
            }
        case (.string(let s), _):
            if let i = key.intValue {
                let cp = s.codePoints
                let j = i < 0 ? i + cp.count : i
                if cp.indices.contains(j) { return .string(String(cp[j])) }
            }
        default: break
        }
        if case .string(let name) = key, let method = try method(of: value, name) { return method }
        if case .string(let name) = key {
            return .undefined(hint: "'\(JinjaInterpreter.objectTypeRepr(value))' has no attribute '\(name)'")
        }
        return .undefined(hint: "\(JinjaInterpreter.objectTypeRepr(value)) has no element \(key.pythonRepr)")
    }

    /// Python slicing `value[start:stop:step]` of a list, tuple or string.
    static func slice(_ value: JinjaValue, _ start: JinjaValue, _ stop: JinjaValue, _ step: JinjaValue) throws -> JinjaValue {
        func bound(_ v: JinjaValue) throws -> Int? {
            if v.isNone || v.isUndefined { return nil }
            guard let i = v.intValue else { throw JinjaRuntimeFailure.runtime("TypeError: slice indices must be integers or None") }
            return i
        }
        let s = try bound(step) ?? 1
        guard s != 0 else { throw JinjaRuntimeFailure.runtime("ValueError: slice step cannot be zero") }
        func indices(_ n: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ defaultValue: Int) -> Int {
                guard var i else { return defaultValue }
                if i < 0 { i += n }
                return s > 0 ? min(max(i, 0), n) : min(max(i, -1), n - 1)
            }
            let lo = clamp(try bound(start), s > 0 ? 0 : n - 1)
            let hi = clamp(try bound(stop), s > 0 ? n : -1)
            return Array(stride(from: lo, to: hi, by: s))
        }
        switch value.normalized {
        case .list(let a): return .list(try indices(a.count).map { a[$0] })
        case .tuple(let a): return .tuple(try indices(a.count).map { a[$0] })
        case .string(let str):
            let cp = str.codePoints
            return .string(String(codePoints: try indices(cp.count).map { cp[$0] }))
        case .undefined(let hint): throw JinjaRuntimeFailure.runtime("UndefinedError: \(hint)")
        default: throw JinjaRuntimeFailure.runtime("TypeError: '\(value.typeName)' object is not subscriptable")
        }
    }
}
