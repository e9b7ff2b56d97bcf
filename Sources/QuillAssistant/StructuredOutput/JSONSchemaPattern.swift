// JSON Schema `pattern` for the regular expressions that cost little to express as a grammar: anchored
// at both ends (^…$), built from literals, escapes (\d \w \s and escaped punctuation), classes with
// ranges and negation, `.`, groups with `|`, and * + ? {m} {m,} {m,n}. Characters JSON must escape
// (`"`, `\`, control characters) are refused rather than half supported; anything else names the problem.

enum JSONSchemaPattern {
    typealias E = GrammarExpression

    /// The string contents (without quotes) matching `pattern`.
    static func contents(_ pattern: String, path: String) throws(JSONSchemaError) -> E {
        var p = Parser(text: Array(pattern.unicodeScalars), path: path, pattern: pattern)
        guard p.text.first == "^", p.text.last == "$", p.text.count >= 2, p.text[p.text.count - 2] != "\\" else {
            throw p.fail("only patterns anchored at both ends (^…$) are supported")
        }
        p.text = Array(p.text.dropFirst().dropLast())
        let e = try p.alternation()
        guard p.i == p.text.count else { throw p.fail("unexpected '\(p.text[p.i])' at offset \(p.i + 1)") }
        return e
    }

    struct Parser {
        var text: [Unicode.Scalar]
        var i = 0
        let path: String
        let pattern: String

        func fail(_ why: String) -> JSONSchemaError {
            JSONSchemaError(path: path, keyword: "pattern", "'pattern' \(JSONValueQuote.quote(pattern)): \(why)")
        }

        mutating func alternation() throws(JSONSchemaError) -> E {
            var items = [try sequence()]
            while i < text.count, text[i] == "|" { i += 1; items.append(try sequence()) }
            return .oneOf(items)
        }

        mutating func sequence() throws(JSONSchemaError) -> E {
            var items: [E] = []
            while i < text.count, text[i] != "|", text[i] != ")" {
                var atom = try self.atom()
                while i < text.count, let (lo, hi) = try quantifier() { atom = .repetition(atom, min: lo, max: hi) }
                items.append(atom)
            }
            return items.isEmpty ? .empty : .all(items)
        }

        mutating func quantifier() throws(JSONSchemaError) -> (Int, Int?)? {
            switch text[i] {
            case "*": i += 1; return (0, nil)
            case "+": i += 1; return (1, nil)
            case "?": i += 1; return (0, 1)
            case "{":
                i += 1
                let lo = number()
                guard let lo else { throw fail("expected a number after '{'") }
                var hi: Int? = lo
                if i < text.count, text[i] == "," { i += 1; hi = number() }
                guard i < text.count, text[i] == "}" else { throw fail("'{' is never closed") }
                i += 1
                if let hi, hi < lo { throw fail("repetition {\(lo),\(hi)} has its maximum below its minimum") }
                guard max(lo, hi ?? 0) <= GrammarParser.maxRepetition else { throw fail("repetition above \(GrammarParser.maxRepetition)") }
                return (lo, hi)
            default: return nil
            }
        }

        mutating func number() -> Int? {
            var v = 0, any = false
            while i < text.count, text[i] >= "0", text[i] <= "9" { v = min(v * 10 + Int(text[i].value - 48), 1 << 30); any = true; i += 1 }
            return any ? v : nil
        }

        mutating func atom() throws(JSONSchemaError) -> E {
            let c = text[i]
            i += 1
            switch c {
            case "(":
                if i + 1 < text.count, text[i] == "?", text[i + 1] == ":" { i += 2 }
                let inner = try alternation()
                guard i < text.count, text[i] == ")" else { throw fail("'(' is never closed") }
                i += 1
                return inner
            case ".": return .characterClass(ranges: [0...0x1F, 34...34, 92...92], negated: true)
            case "[": return try characterClass()
            case "\\": return .characterClass(ranges: try escape(inClass: false), negated: false)
            case "^", "$": throw fail("anchors inside the pattern are not supported")
            case "*", "+", "?", "{": throw fail("'\(c)' has nothing to repeat")
            default:
                try plain(c)
                return .literal(String(c))
            }
        }

        mutating func characterClass() throws(JSONSchemaError) -> E {
            var negated = false
            if i < text.count, text[i] == "^" { negated = true; i += 1 }
            var ranges: [ClosedRange<UInt32>] = []
            var first = true
            while true {
                guard i < text.count else { throw fail("'[' is never closed") }
                let c = text[i]
                if c == "]" && !first { i += 1; break }
                first = false
                i += 1
                var lo: [ClosedRange<UInt32>]
                if c == "\\" { lo = try escape(inClass: true) } else { try plain(c); lo = [c.value...c.value] }
                if lo.count == 1, lo[0].lowerBound == lo[0].upperBound, i + 1 < text.count, text[i] == "-", text[i + 1] != "]" {
                    i += 1
                    let h = text[i]
                    i += 1
                    var hi = h.value
                    if h == "\\" { let e = try escape(inClass: true); guard e.count == 1, e[0].count == 1 else { throw fail("bad range end") }; hi = e[0].lowerBound } else { try plain(h) }
                    guard hi >= lo[0].lowerBound else { throw fail("range is reversed") }
                    lo = [lo[0].lowerBound...hi]
                }
                ranges += lo
            }
            // A negated class must still leave out what JSON escapes.
            return negated ? .characterClass(ranges: ranges + [0...0x1F, 34...34, 92...92], negated: true)
                : .characterClass(ranges: ranges, negated: false)
        }

        mutating func escape(inClass: Bool) throws(JSONSchemaError) -> [ClosedRange<UInt32>] {
            guard i < text.count else { throw fail("'\\' at the end") }
            let c = text[i]
            i += 1
            switch c {
            case "d": return [48...57]
            case "w": return [48...57, 65...90, 95...95, 97...122]
            case "s": return [32...32]                           // raw tabs and newlines cannot appear in JSON text
            case "D", "W", "S", "b", "B": throw fail("'\\\(c)' is not supported")
            default:
                guard !(c.properties.isAlphabetic || ("0"..."9").contains(c)) else { throw fail("'\\\(c)' is not supported") }
                try plain(c)
                return [c.value...c.value]
            }
        }

        func plain(_ c: Unicode.Scalar) throws(JSONSchemaError) {
            if c == "\"" || c == "\\" || c.value < 0x20 { throw fail("characters JSON escapes (\", \\, control characters) are not supported") }
        }
    }
}

/// JSON quoting without importing the JSON reader here.
enum JSONValueQuote {
    static func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
}
