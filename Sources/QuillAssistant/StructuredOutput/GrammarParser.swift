// Parses GBNF text (llama.cpp's grammar format, grammars/README.md there): `name ::= body` rules, one per
// line unless continued inside parentheses or after `|`; literals "…" and classes […] / [^…] with
// \n \t \r \\ \" \xHH \uHHHH \UHHHHHHHH escapes; `.`; groups; `*` `+` `?` `{m}` `{m,}` `{m,n}`; `#` comments.

/// A recursive-descent GBNF parser; every error carries the line and column where it was found.
struct GrammarParser {
    private let text: [Unicode.Scalar]
    private var i = 0
    /// Repetition bounds above this are refused (each repetition becomes that many grammar items).
    static let maxRepetition = 10_000

    init(_ source: String) { text = Array(source.unicodeScalars) }

    mutating func parse() throws(GrammarError) -> Grammar {
        var rules: [(name: String, body: GrammarExpression)] = []
        var defined: [String: Int] = [:]
        skipSpace(newlines: true)
        while i < text.count {
            let start = i
            let name = word()
            guard !name.isEmpty else { throw error(at: i, "expected a rule name, found \(found)") }
            skipSpace(newlines: false)
            guard take("::=") else { throw error(at: i, "expected '::=' after rule name '\(name)', found \(found)") }
            skipSpace(newlines: true)
            let body = try alternation(nested: false)
            guard i >= text.count || text[i] == "\n" || text[i] == "\r" else {
                throw error(at: i, "unexpected \(found) in rule '\(name)'")
            }
            if defined[name] != nil { throw error(at: start, "rule '\(name)' is defined twice") }
            defined[name] = start
            rules.append((name, body))
            skipSpace(newlines: true)
        }
        guard defined["root"] != nil else { throw .whole("no rule named 'root' (matching starts there)") }
        // Every reference names a defined rule.
        try checkReferences(rules, defined: Set(defined.keys))
        return Grammar(rules: rules)
    }

    // MARK: Expressions

    private mutating func alternation(nested: Bool) throws(GrammarError) -> GrammarExpression {
        var items = [try sequence(nested: nested)]
        while i < text.count, text[i] == "|" {
            i += 1
            skipSpace(newlines: true)
            items.append(try sequence(nested: nested))
        }
        return .oneOf(items)
    }

    private mutating func sequence(nested: Bool) throws(GrammarError) -> GrammarExpression {
        var items: [GrammarExpression] = []
        while i < text.count {
            let c = text[i]
            let item: GrammarExpression
            if c == "\"" {
                item = try literal()
            } else if c == "[" {
                item = try characterClass()
            } else if c == "." {
                i += 1
                item = .anyCharacter
            } else if c == "(" {
                let open = i
                i += 1
                skipSpace(newlines: true)
                let inner = try alternation(nested: true)
                guard i < text.count, text[i] == ")" else { throw error(at: open, "'(' is never closed") }
                i += 1
                item = inner
            } else if Self.isWordScalar(c) {
                let save = i
                let name = word()
                var j = i
                while j < text.count, text[j] == " " || text[j] == "\t" { j += 1 }
                if j + 3 <= text.count, text[j] == ":", text[j + 1] == ":", text[j + 2] == "=" {
                    i = save                                    // the next rule starts here
                    return .all(items.isEmpty ? [.empty] : items)
                }
                item = .rule(name)
            } else {
                break
            }
            items.append(try postfix(item))
            skipSpace(newlines: nested)
        }
        return items.isEmpty ? .empty : .all(items)
    }

    private mutating func postfix(_ base: GrammarExpression) throws(GrammarError) -> GrammarExpression {
        var e = base
        while i < text.count {
            switch text[i] {
            case "*": i += 1; e = .repetition(e, min: 0, max: nil)
            case "+": i += 1; e = .repetition(e, min: 1, max: nil)
            case "?": i += 1; e = .repetition(e, min: 0, max: 1)
            case "{":
                let open = i
                i += 1
                skipSpace(newlines: false)
                guard let m = number() else { throw error(at: i, "expected a number after '{', found \(found)") }
                skipSpace(newlines: false)
                var n: Int? = m
                if i < text.count, text[i] == "," {
                    i += 1
                    skipSpace(newlines: false)
                    n = number()
                    skipSpace(newlines: false)
                }
                guard i < text.count, text[i] == "}" else { throw error(at: open, "'{' repetition is never closed with '}'") }
                i += 1
                if let n, n < m { throw error(at: open, "repetition {\(m),\(n)}: the maximum is below the minimum") }
                guard max(m, n ?? 0) <= Self.maxRepetition else {
                    throw error(at: open, "repetition bound \(max(m, n ?? 0)) is above the limit of \(Self.maxRepetition)")
                }
                e = .repetition(e, min: m, max: n)
            default: return e
            }
        }
        return e
    }

    private mutating func literal() throws(GrammarError) -> GrammarExpression {
        let open = i
        i += 1
        var s = String.UnicodeScalarView()
        while true {
            guard i < text.count, text[i] != "\n" else { throw error(at: open, "string literal is never closed with '\"'") }
            if text[i] == "\"" { i += 1; break }
            s.append(try character())
        }
        return s.isEmpty ? .empty : .literal(String(s))
    }

    private mutating func characterClass() throws(GrammarError) -> GrammarExpression {
        let open = i
        i += 1
        var negated = false
        if i < text.count, text[i] == "^" { negated = true; i += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard i < text.count, text[i] != "\n" else { throw error(at: open, "character class is never closed with ']'") }
            if text[i] == "]" { i += 1; break }
            let at = i
            let lo = try character().value
            var hi = lo
            if i + 1 < text.count, text[i] == "-", text[i + 1] != "]" {
                i += 1
                hi = try character().value
                guard hi >= lo else { throw error(at: at, "character range is reversed (end below start)") }
            }
            ranges.append(lo...hi)
        }
        return .characterClass(ranges: ranges, negated: negated)
    }

    /// One (possibly escaped) character of a literal or class.
    private mutating func character() throws(GrammarError) -> Unicode.Scalar {
        let c = text[i]
        guard c == "\\" else { i += 1; return c }
        let at = i
        guard i + 1 < text.count else { throw error(at: at, "escape '\\' at the end of the text") }
        let e = text[i + 1]
        i += 2
        switch e {
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "\\", "\"", "[", "]", "-", "^", "/", "'": return e
        case "x", "u", "U":
            let digits = e == "x" ? 2 : e == "u" ? 4 : 8
            var v: UInt32 = 0
            for _ in 0..<digits {
                guard i < text.count, let d = Self.hexValue(text[i]) else {
                    throw error(at: at, "'\\\(e)' needs \(digits) hexadecimal digits")
                }
                v = v * 16 + d
                i += 1
            }
            guard let scalar = Unicode.Scalar(v) else {
                throw error(at: at, "'\\\(e)' escape U+\(String(v, radix: 16, uppercase: true)) is not a Unicode scalar")
            }
            return scalar
        default: throw error(at: at, "unknown escape '\\\(e)' (use \\n \\r \\t \\\\ \\\" \\[ \\] \\xHH \\uHHHH \\UHHHHHHHH)")
        }
    }

    // MARK: Lexical helpers

    private static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-" || c == "_"
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": return c.value - 48
        case "a"..."f": return c.value - 87
        case "A"..."F": return c.value - 55
        default: return nil
        }
    }

    private mutating func word() -> String {
        var s = String.UnicodeScalarView()
        while i < text.count, Self.isWordScalar(text[i]) { s.append(text[i]); i += 1 }
        return String(s)
    }

    private mutating func number() -> Int? {
        var v = 0, any = false
        while i < text.count, text[i] >= "0" && text[i] <= "9" {
            v = min(v * 10 + Int(text[i].value - 48), Int(Int32.max))
            any = true
            i += 1
        }
        return any ? v : nil
    }

    private mutating func take(_ s: String) -> Bool {
        let scalars = Array(s.unicodeScalars)
        guard i + scalars.count <= text.count, Array(text[i..<i + scalars.count]) == scalars else { return false }
        i += scalars.count
        return true
    }

    /// Skips blanks and `#` comments; newlines too when `newlines`.
    private mutating func skipSpace(newlines: Bool) {
        while i < text.count {
            let c = text[i]
            if c == " " || c == "\t" || (newlines && (c == "\n" || c == "\r")) {
                i += 1
            } else if c == "#" {
                while i < text.count, text[i] != "\n" { i += 1 }
            } else {
                return
            }
        }
    }

    private var found: String {
        guard i < text.count else { return "the end of the text" }
        return text[i] == "\n" ? "the end of the line" : "'\(text[i])'"
    }

    private func error(at index: Int, _ message: String) -> GrammarError {
        var line = 1, column = 1
        for c in text[..<min(index, text.count)] {
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return GrammarError(line: line, column: column, message)
    }

    private func checkReferences(_ rules: [(name: String, body: GrammarExpression)], defined: Set<String>) throws(GrammarError) {
        func visit(_ e: GrammarExpression, in rule: String) throws(GrammarError) {
            switch e {
            case .rule(let name) where !defined.contains(name):
                throw error(at: locate(name, after: rule), "rule '\(rule)' refers to undefined rule '\(name)'")
            case .sequence(let items), .alternation(let items): for item in items { try visit(item, in: rule) }
            case .repetition(let inner, _, _): try visit(inner, in: rule)
            default: break
            }
        }
        for (name, body) in rules { try visit(body, in: name) }
    }

    /// Where an undefined name is used (first whole-word occurrence after its rule's definition).
    private func locate(_ name: String, after rule: String) -> Int {
        let scalars = Array(name.unicodeScalars)
        let ruleScalars = Array(rule.unicodeScalars)
        var start = 0
        for j in 0..<text.count where Array(text[j..<min(j + ruleScalars.count, text.count)]) == ruleScalars {
            start = j + ruleScalars.count
            break
        }
        var j = start
        while j + scalars.count <= text.count {
            if Array(text[j..<j + scalars.count]) == scalars,
               j == 0 || !Self.isWordScalar(text[j - 1]),
               j + scalars.count == text.count || !Self.isWordScalar(text[j + scalars.count]) { return j }
            j += 1
        }
        return start
    }
}
