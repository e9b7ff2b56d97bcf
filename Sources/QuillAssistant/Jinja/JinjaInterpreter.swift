// Runs a parsed template: statements, scopes (a `for` body and a macro get their own, `if` does not, as
// in jinja2), loop variables, macros, block `set` and `filter`, `break` / `continue`; every step counted
// and all output measured against `JinjaLimits`, so a runaway template ends in a typed error.
import Foundation

/// Bounds on one rendering.
public struct JinjaLimits: Sendable {
    /// Statements executed, loop iterations and expressions evaluated, all together.
    public var maxSteps: Int
    /// Characters written, counting text rendered into macros and block `set`s.
    public var maxOutputLength: Int
    /// Nested macro calls.
    public var maxCallDepth: Int
    /// Elements in one list or characters in one string a template builds.
    public var maxCollectionLength: Int

    public init(maxSteps: Int = 5_000_000, maxOutputLength: Int = 8 << 20, maxCallDepth: Int = 32,
                maxCollectionLength: Int = 1 << 20) {
        self.maxSteps = maxSteps; self.maxOutputLength = maxOutputLength
        self.maxCallDepth = maxCallDepth; self.maxCollectionLength = maxCollectionLength
    }
}

/// Variables visible at one point; lookups walk up to the template's globals.
final class JinjaScope {
    var variables: [String: JinjaValue] = [:]
    let parent: JinjaScope?
    init(parent: JinjaScope?) { self.parent = parent }

    func lookup(_ name: String) -> JinjaValue? {
        var scope: JinjaScope? = self
        while let s = scope {
            if let v = s.variables[name] { return v }
            scope = s.parent
        }
        return nil
    }
}

final class JinjaInterpreter {
    enum Flow { case normal, breakLoop, continueLoop }

    let limits: JinjaLimits
    let now: () -> Date
    let timeZone: TimeZone
    private var steps = 0
    private var written = 0
    private var callDepth = 0

    init(limits: JinjaLimits, now: @escaping () -> Date, timeZone: TimeZone) {
        self.limits = limits; self.now = now; self.timeZone = timeZone
    }

    func step(_ location: JinjaSourceLocation) throws {
        steps += 1
        if steps > limits.maxSteps {
            throw JinjaError.limitExceeded("more than \(limits.maxSteps) rendering steps", at: location)
        }
    }

    private func write(_ text: String, to out: inout String, at location: JinjaSourceLocation) throws {
        written += text.utf8.count
        if written > limits.maxOutputLength {
            throw JinjaError.limitExceeded("output longer than \(limits.maxOutputLength) bytes", at: location)
        }
        out += text
    }

    // MARK: Statements

    func execute(_ nodes: [JinjaNode], in scope: JinjaScope, into out: inout String) throws -> Flow {
        for node in nodes {
            let flow = try execute(node, in: scope, into: &out)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ node: JinjaNode, in scope: JinjaScope, into out: inout String) throws -> Flow {
        switch node {
        case .text(let t):
            try write(t, to: &out, at: .init(line: 0, column: 0))
        case .output(let e):
            try step(e.location)
            let v = try evaluate(e, in: scope)
            try write(v.pythonString, to: &out, at: e.location)
        case .ifChain(let branches, let otherwise):
            for branch in branches {
                try step(branch.condition.location)
                if try evaluate(branch.condition, in: scope).isTruthy {
                    return try execute(branch.body, in: scope, into: &out)
                }
            }
            return try execute(otherwise, in: scope, into: &out)
        case .forLoop(let loop):
            return try executeFor(loop, in: scope, into: &out)
        case .set(let target, let e, let loc):
            try step(loc)
            try assign(try evaluate(e, in: scope), to: target, in: scope, at: loc)
        case .setBlock(let target, let filters, let body, let loc):
            var text = ""
            _ = try execute(body, in: scope, into: &text)
            var value = JinjaValue.string(text)
            for f in filters { value = try applyFilter(f, to: value, in: scope) }
            try assign(value, to: target, in: scope, at: loc)
        case .macro(let name, let parameters, let body):
            scope.variables[name] = .macro(JinjaMacro(name: name, parameters: parameters, body: body, scope: scope))
        case .filterBlock(let filters, let body):
            var text = ""
            let flow = try execute(body, in: scope, into: &text)
            var value = JinjaValue.string(text)
            for f in filters { value = try applyFilter(f, to: value, in: scope) }
            try write(value.pythonString, to: &out, at: filters.first?.location ?? .init(line: 0, column: 0))
            return flow
        case .generation(let body):
            return try execute(body, in: scope, into: &out)
        case .breakLoop: return .breakLoop
        case .continueLoop: return .continueLoop
        }
        return .normal
    }

    private func assign(_ value: JinjaValue, to target: JinjaTarget, in scope: JinjaScope, at loc: JinjaSourceLocation) throws {
        switch target {
        case .name(let n): scope.variables[n] = value
        case .attribute(let object, let attribute):
            guard case .namespace(let ns)? = scope.lookup(object) else {
                throw JinjaError.runtime("TemplateRuntimeError: cannot assign attribute on non-namespace object '\(object)'", at: loc)
            }
            ns.attributes[attribute] = value
        case .tuple(let names):
            let items = try unpack(value, count: names.count, at: loc)
            for (n, v) in zip(names, items) { scope.variables[n] = v }
        }
    }

    private func unpack(_ value: JinjaValue, count: Int, at loc: JinjaSourceLocation) throws -> [JinjaValue] {
        guard let items = value.iterationElements else {
            throw JinjaError.runtime("TypeError: cannot unpack non-iterable \(value.typeName) object", at: loc)
        }
        guard items.count == count else {
            throw JinjaError.runtime("ValueError: expected \(count) values to unpack, got \(items.count)", at: loc)
        }
        return items
    }

    private func executeFor(_ loop: JinjaFor, in scope: JinjaScope, into out: inout String) throws -> Flow {
        try step(loop.location)
        let iterable = try evaluate(loop.iterable, in: scope)
        guard var items = iterable.iterationElements else {
            throw JinjaError.runtime("TypeError: '\(iterable.typeName)' object is not iterable", at: loop.iterable.location)
        }
        if let filter = loop.filter {
            var kept: [JinjaValue] = []
            for item in items {
                try step(filter.location)
                let s = JinjaScope(parent: scope)
                try bind(item, to: loop.target, in: s, at: loop.location)
                if try evaluate(filter, in: s).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty { return try execute(loop.otherwise, in: scope, into: &out) }
        for (i, item) in items.enumerated() {
            try step(loop.location)
            let s = JinjaScope(parent: scope)
            try bind(item, to: loop.target, in: s, at: loop.location)
            s.variables["loop"] = .loop(JinjaLoop(index: i, items: items))
            let flow = try execute(loop.body, in: s, into: &out)
            if flow == .breakLoop { break }
        }
        return .normal
    }

    private func bind(_ item: JinjaValue, to target: JinjaTarget, in scope: JinjaScope, at loc: JinjaSourceLocation) throws {
        switch target {
        case .name(let n): scope.variables[n] = item
        case .tuple(let names):
            for (n, v) in zip(names, try unpack(item, count: names.count, at: loc)) { scope.variables[n] = v }
        case .attribute: throw JinjaError.syntax("a for loop cannot assign to an attribute", at: loc)
        }
    }

    // MARK: Macros

    func callMacro(_ macro: JinjaMacro, _ args: [JinjaValue], _ kwargs: [(String, JinjaValue)], at loc: JinjaSourceLocation) throws -> JinjaValue {
        callDepth += 1
        defer { callDepth -= 1 }
        guard callDepth <= limits.maxCallDepth else {
            throw JinjaError.limitExceeded("macro calls nested deeper than \(limits.maxCallDepth) (runaway recursion in '\(macro.name)'?)", at: loc)
        }
        guard args.count <= macro.parameters.count else {
            throw JinjaError.runtime("TypeError: macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)", at: loc)
        }
        let scope = JinjaScope(parent: macro.scope)
        var given: [String: JinjaValue] = [:]
        for (name, value) in kwargs {
            guard macro.parameters.contains(where: { $0.name == name }) else {
                throw JinjaError.runtime("TypeError: macro '\(macro.name)' takes no keyword argument '\(name)'", at: loc)
            }
            given[name] = value
        }
        for (i, p) in macro.parameters.enumerated() {
            if i < args.count { scope.variables[p.name] = args[i] }
            else if let v = given[p.name] { scope.variables[p.name] = v }
            else if let d = p.defaultValue { scope.variables[p.name] = try evaluate(d, in: scope) }
            else { scope.variables[p.name] = .undefined(hint: "'\(p.name)' is undefined") }
        }
        var text = ""
        _ = try execute(macro.body, in: scope, into: &text)
        return .string(text)
    }

    /// Runs `body` with a located failure for anything a helper below the interpreter throws.
    func located<T>(_ location: JinjaSourceLocation, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let failure as JinjaRuntimeFailure { throw failure.located(at: location) }
    }

    func checkSize(_ value: JinjaValue, at loc: JinjaSourceLocation) throws -> JinjaValue {
        let size: Int
        switch value {
        case .string(let s): size = s.utf8.count
        case .list(let a), .tuple(let a): size = a.count
        default: return value
        }
        guard size <= limits.maxCollectionLength else {
            throw JinjaError.limitExceeded("a value of \(size) elements, over the \(limits.maxCollectionLength) limit", at: loc)
        }
        return value
    }
}
