// A parsed Jinja template and its rendering with the globals transformers' chat-template environment
// provides: range, namespace, dict, raise_exception, strftime_now (from an injectable clock, formatted like
// C strftime in the C locale), plus the caller's variables.
import Foundation
import QuillFormats

/// A Jinja template, parsed once and rendered many times.
///
/// ```swift
/// let t = try JinjaTemplate("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}")
/// let text = try t.render(["messages": .array([.object([("role", .string("user")), ("content", .string("Hi"))])])])
/// ```
public struct JinjaTemplate: Sendable {
    public let source: String
    let nodes: [JinjaNode]

    /// Parses `source`; throws `JinjaError` naming the line and column of the first problem.
    public init(_ source: String) throws {
        self.source = source
        nodes = try JinjaParser.parse(source)
    }

    /// Renders with `variables` (JSON values) as the template's context.
    public func render(_ variables: [String: JSONValue], limits: JinjaLimits = .init(),
                       now: @escaping @Sendable () -> Date = { Date() }, timeZone: TimeZone = .current) throws -> String {
        try render(values: variables.mapValues(JinjaValue.init), limits: limits, now: now, timeZone: timeZone)
    }

    func render(values: [String: JinjaValue], limits: JinjaLimits = .init(),
                now: @escaping () -> Date = { Date() }, timeZone: TimeZone = .current) throws -> String {
        let interpreter = JinjaInterpreter(limits: limits, now: now, timeZone: timeZone)
        let globals = JinjaScope(parent: nil)
        globals.variables = interpreter.builtins()
        let scope = JinjaScope(parent: globals)
        scope.variables = values
        var out = ""
        _ = try interpreter.execute(nodes, in: scope, into: &out)
        return out
    }
}

extension JinjaInterpreter {
    func builtins() -> [String: JinjaValue] {
        func fn(_ name: String, _ body: @escaping ([JinjaValue], [(String, JinjaValue)]) throws -> JinjaValue) -> (String, JinjaValue) {
            (name, .function(JinjaFunction(name: name, call: body)))
        }
        let maxLength = limits.maxCollectionLength
        let clock = now, zone = timeZone
        return Dictionary(uniqueKeysWithValues: [
            fn("range") { args, _ in
                let ints = try args.map { a -> Int in
                    guard let i = a.intValue else { throw JinjaRuntimeFailure.runtime("TypeError: '\(a.typeName)' object cannot be interpreted as an integer") }
                    return i
                }
                let (start, stop, step): (Int, Int, Int)
                switch ints.count {
                case 1: (start, stop, step) = (0, ints[0], 1)
                case 2: (start, stop, step) = (ints[0], ints[1], 1)
                case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
                default: throw JinjaRuntimeFailure.runtime("TypeError: range expected 1 to 3 arguments, got \(ints.count)")
                }
                guard step != 0 else { throw JinjaRuntimeFailure.runtime("ValueError: range() arg 3 must not be zero") }
                let count = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
                guard count <= maxLength else {
                    throw JinjaRuntimeFailure(kind: .limit, message: "range of \(count) numbers, over the \(maxLength) limit")
                }
                return .list(stride(from: start, to: stop, by: step).map { .int($0) })
            },
            fn("namespace") { args, kwargs in
                var d = JinjaDict()
                for a in args { if case .dict(let initial) = a { for (k, v) in initial.pairs { d[k] = v } } }
                for (k, v) in kwargs { d[k] = v }
                return .namespace(JinjaNamespace(d))
            },
            fn("dict") { args, kwargs in
                var d = JinjaDict()
                for a in args { if case .dict(let initial) = a { for (k, v) in initial.pairs { d[k] = v } } }
                for (k, v) in kwargs { d[k] = v }
                return .dict(d)
            },
            fn("raise_exception") { args, _ in
                throw JinjaRuntimeFailure(kind: .raised, message: args.first?.pythonString ?? "")
            },
            fn("strftime_now") { args, _ in
                guard let format = args.first?.stringValue else { throw JinjaRuntimeFailure.runtime("TypeError: strftime_now needs a format string") }
                return .string(JinjaInterpreter.strftime(format, clock(), zone))
            },
        ])
    }

    /// C `strftime` in the C locale for the directives chat templates use (%Y %m %d %b %B %a %A %H %M %S ...).
    static func strftime(_ format: String, _ date: Date, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"]
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        let (year, month, day) = (c.year!, c.month!, c.day!)
        let (hour, minute, second, weekday) = (c.hour!, c.minute!, c.second!, c.weekday! - 1)
        let dayOfYear = calendar.ordinality(of: .day, in: .year, for: date) ?? 1
        func pad(_ n: Int, _ width: Int = 2) -> String { let s = String(n); return String(repeating: "0", count: max(0, width - s.count)) + s }
        var out = "", chars = Array(format)[...]
        while let ch = chars.popFirst() {
            guard ch == "%", let next = chars.first else { out.append(ch); continue }
            chars.removeFirst()
            var d = next, noPad = false
            if d == "-", let n = chars.popFirst() { d = n; noPad = true }
            let p: (Int, Int) -> String = { n, w in noPad ? String(n) : pad(n, w) }
            switch d {
            case "Y": out += String(year)
            case "y": out += pad(year % 100)
            case "m": out += p(month, 2)
            case "d": out += p(day, 2)
            case "e": out += noPad ? String(day) : (day < 10 ? " \(day)" : String(day))
            case "H": out += p(hour, 2)
            case "I": out += p(hour % 12 == 0 ? 12 : hour % 12, 2)
            case "M": out += p(minute, 2)
            case "S": out += p(second, 2)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "j": out += p(dayOfYear, 3)
            case "B": out += months[month - 1]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "A": out += days[weekday]
            case "a": out += String(days[weekday].prefix(3))
            case "w": out += String(weekday)
            case "F": out += "\(year)-\(pad(month))-\(pad(day))"
            case "D": out += "\(pad(month))/\(pad(day))/\(pad(year % 100))"
            case "T": out += "\(pad(hour)):\(pad(minute)):\(pad(second))"
            case "Z": out += zone.abbreviation(for: date) ?? ""
            case "z":
                let offset = zone.secondsFromGMT(for: date) / 60
                out += (offset < 0 ? "-" : "+") + pad(abs(offset) / 60) + pad(abs(offset) % 60)
            case "%": out += "%"
            default: out += "%" + (noPad ? "-" : "") + String(d)
            }
        }
        return out
    }
}
