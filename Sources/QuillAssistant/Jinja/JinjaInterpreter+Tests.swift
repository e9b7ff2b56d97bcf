// jinja2's `is` tests (tests.py): defined, none, string, mapping, iterable, sequence, number, boolean,
// true / false, comparisons and more, with Python's type rules (a bool is a number but not an integer,
// an Undefined is iterable and a sequence, a dict is a sequence, a generator is not).

extension JinjaInterpreter {
    private static let knownJinjaTests: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "filter",
        "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping",
        "ne", "none", "number", "odd", "sameas", "sequence", "string", "test", "true", "undefined", "upper",
        "==", "!=", "<", "<=", ">", ">=",
    ]

    func runTest(_ name: String, _ v: JinjaValue, _ args: [JinjaValue]) throws -> Bool {
        func argument() throws -> JinjaValue {
            guard let a = args.first else { throw JinjaRuntimeFailure.runtime("TypeError: test '\(name)' needs an argument") }
            return a
        }
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": return v.isNone
        case "boolean": if case .bool = v { return true }; return false
        case "true": if case .bool(true) = v { return true }; return false
        case "false": if case .bool(false) = v { return true }; return false
        case "integer": if case .int = v { return true }; return false
        case "float": if case .double = v { return true }; return false
        case "number": return v.numberValue != nil
        case "string": return v.stringValue != nil
        case "mapping": if case .dict = v { return true }; return false
        case "iterable": return v.iterationElements != nil
        case "sequence":
            switch v {
            case .undefined, .string, .list, .tuple, .dict: return true
            default: return false
            }
        case "callable":
            switch v {
            case .function, .macro: return true
            default: return false
            }
        case "escaped": return false
        case "odd", "even":
            guard let i = v.intValue else { throw JinjaRuntimeFailure.runtime("TypeError: test '\(name)' needs an integer, got \(v.typeName)") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = v.intValue, let d = try argument().intValue, d != 0 else {
                throw JinjaRuntimeFailure.runtime("TypeError: divisibleby needs non-zero integers")
            }
            return i % d == 0
        case "lower": return v.pythonString.lowercased() == v.pythonString && v.pythonString.contains { $0.isCased }
        case "upper": return v.pythonString.uppercased() == v.pythonString && v.pythonString.contains { $0.isCased }
        case "sameas":
            let other = try argument()
            switch (v, other) {
            case (.namespace(let a), .namespace(let b)): return a === b
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            default: return false
            }
        case "in": return try JinjaInterpreter.contains(try argument(), v)
        case "eq", "equalto", "==": return try JinjaInterpreter.compare("==", v, argument())
        case "ne", "!=": return try JinjaInterpreter.compare("!=", v, argument())
        case "lt", "lessthan", "<": return try JinjaInterpreter.compare("<", v, argument())
        case "le", "<=": return try JinjaInterpreter.compare("<=", v, argument())
        case "gt", "greaterthan", ">": return try JinjaInterpreter.compare(">", v, argument())
        case "ge", ">=": return try JinjaInterpreter.compare(">=", v, argument())
        case "filter":
            guard let n = try argument().stringValue else { return false }
            return JinjaInterpreter.isFilterImplemented(n)
        case "test":
            guard let n = try argument().stringValue else { return false }
            return Self.knownJinjaTests.contains(n)
        default:
            throw JinjaRuntimeFailure.runtime("TemplateAssertionError: No test named '\(name)'.")
        }
    }
}
