// Splits a template into text and tag tokens with jinja2's whitespace rules as transformers configures
// them: newlines normalised and one trailing newline dropped, `trim_blocks` (a block or comment tag eats
// the newline after it), `lstrip_blocks` (spaces before a block tag on its own line go), `-` / `+` markers.
// Follows jinja2 3.1's lexer.py, including skipping tag ends while brackets are open.

struct JinjaToken {
    enum Kind: Equatable {
        case text(String)
        case blockBegin, blockEnd, variableBegin, variableEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        case op(String)
        case end
    }
    let kind: Kind
    let location: JinjaSourceLocation
}

struct JinjaLexer {
    private let src: [Unicode.Scalar]
    private var lineStarts: [Int] = [0]
    private var pos = 0
    private var lineStarting = true
    private var tokens: [JinjaToken] = []

    /// Templates larger than this are refused before lexing (real chat templates are under 64 KiB).
    static let maxSourceLength = 4 << 20

    init(_ source: String) {
        var s = source.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if s.hasSuffix("\n") { s.removeLast() }   // keep_trailing_newline=False
        src = Array(s.unicodeScalars)
        for (i, c) in src.enumerated() where c == "\n" { lineStarts.append(i + 1) }
    }

    func location(_ index: Int) -> JinjaSourceLocation {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return JinjaSourceLocation(line: lo + 1, column: index - lineStarts[lo] + 1)
    }

    static func tokenize(_ source: String) throws -> [JinjaToken] {
        var lexer = JinjaLexer(source)
        guard lexer.src.count <= maxSourceLength else {
            throw JinjaError.limitExceeded("template is \(lexer.src.count) characters, over the \(maxSourceLength) limit",
                                           at: .init(line: 1, column: 1))
        }
        try lexer.run()
        return lexer.tokens
    }

    private func at(_ i: Int, _ text: String) -> Bool {
        var j = i
        for c in text.unicodeScalars {
            guard j < src.count, src[j] == c else { return false }
            j += 1
        }
        return true
    }

    // MARK: Text between tags

    private mutating func run() throws {
        while pos < src.count {
            guard let start = nextTagStart(from: pos) else {
                emitText(String(codePoints: src[pos...]), at: pos)
                return
            }
            let kind = src[start + 1]
            let sign: Unicode.Scalar? = start + 2 < src.count && (src[start + 2] == "-" || src[start + 2] == "+") ? src[start + 2] : nil
            var text = String(codePoints: src[pos..<start])
            if sign == "-" {
                text = text.pythonStripped(leading: false)
            } else if sign != "+" && kind != "{" {
                text = lstripped(text)
            }
            emitText(text, at: pos)
            lineStarting = false
            let afterOpen = start + 2 + (sign == nil ? 0 : 1)
            switch kind {
            case "#": try skipComment(openedAt: start, from: afterOpen)
            case "%":
                if let bodyStart = rawBlockBody(from: afterOpen) { try lexRaw(openedAt: start, bodyStart: bodyStart); continue }
                tokens.append(JinjaToken(kind: .blockBegin, location: location(start)))
                pos = afterOpen
                try lexTag(block: true, openedAt: start)
            default:
                tokens.append(JinjaToken(kind: .variableBegin, location: location(start)))
                pos = afterOpen
                try lexTag(block: false, openedAt: start)
            }
        }
    }

    private func nextTagStart(from i: Int) -> Int? {
        var j = i
        while j + 1 < src.count {
            if src[j] == "{" && (src[j + 1] == "%" || src[j + 1] == "{" || src[j + 1] == "#") { return j }
            j += 1
        }
        return nil
    }

    /// lstrip_blocks: drop the spaces between the last line start and a block or comment tag.
    private func lstripped(_ text: String) -> String {
        let scalars = text.codePoints
        let lineStart = (scalars.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
        guard lineStart > 0 || lineStarting else { return text }
        let tail = scalars[lineStart...]
        guard !tail.isEmpty, tail.allSatisfy(\.isPythonSpace) else { return text }
        return String(codePoints: scalars[..<lineStart])
    }

    private mutating func emitText(_ text: String, at index: Int) {
        if !text.isEmpty { tokens.append(JinjaToken(kind: .text(text), location: location(index))) }
    }

    /// Consumes `%}` / `-%}` / `+%}` (or the `#}` / `}}` forms) at `pos`, applying trim rules.
    private mutating func consumeTagEnd(_ close: String, trimNewline: Bool) -> Bool {
        if at(pos, "-" + close) {
            pos += close.unicodeScalars.count + 1
            var last: Unicode.Scalar? = nil
            while pos < src.count, src[pos].isPythonSpace { last = src[pos]; pos += 1 }
            lineStarting = last == "\n"
            return true
        }
        if at(pos, "+" + close) {
            pos += close.unicodeScalars.count + 1
            lineStarting = false
            return true
        }
        if at(pos, close) {
            pos += close.unicodeScalars.count
            lineStarting = false
            if trimNewline, pos < src.count, src[pos] == "\n" { pos += 1; lineStarting = true }
            return true
        }
        return false
    }

    private mutating func skipComment(openedAt start: Int, from i: Int) throws {
        pos = i
        while pos < src.count {
            if consumeTagEnd("#}", trimNewline: true) { return }
            pos += 1
        }
        throw JinjaError.syntax("comment opened here is never closed with '#}'", at: location(start))
    }

    /// For `{% raw %}`, the index just past its opening tag; nil when the block tag is something else.
    private func rawBlockBody(from i: Int) -> Int? {
        var j = i
        while j < src.count, src[j].isPythonSpace { j += 1 }
        guard at(j, "raw") else { return nil }
        j += 3
        while j < src.count, src[j].isPythonSpace { j += 1 }
        if at(j, "-%}") {
            j += 3
            while j < src.count, src[j].isPythonSpace { j += 1 }
            return j
        }
        return at(j, "%}") ? j + 2 : nil
    }

    private mutating func lexRaw(openedAt start: Int, bodyStart: Int) throws {
        var j = bodyStart
        while j < src.count {
            if at(j, "{%") {
                var k = j + 2
                let sign: Unicode.Scalar? = k < src.count && (src[k] == "-" || src[k] == "+") ? src[k] : nil
                if sign != nil { k += 1 }
                while k < src.count, src[k].isPythonSpace { k += 1 }
                if at(k, "endraw") {
                    k += 6
                    while k < src.count, src[k].isPythonSpace && !at(k, "-%}") { k += 1 }
                    var body = String(codePoints: src[bodyStart..<j])
                    if sign == "-" { body = body.pythonStripped(leading: false) } else if sign != "+" { body = lstripped(body) }
                    pos = k
                    guard consumeTagEnd("%}", trimNewline: true) else { break }
                    emitText(body, at: bodyStart)
                    return
                }
            }
            j += 1
        }
        throw JinjaError.syntax("{% raw %} opened here has no matching {% endraw %}", at: location(start))
    }

    // MARK: Inside {% %} and {{ }}

    private mutating func lexTag(block: Bool, openedAt start: Int) throws {
        var brackets: [Unicode.Scalar] = []
        let close = block ? "%}" : "}}"
        while true {
            while pos < src.count, src[pos].isPythonSpace { pos += 1 }
            guard pos < src.count else {
                throw JinjaError.syntax("tag opened here is never closed with '\(close)'", at: location(start))
            }
            let endStart = pos
            if brackets.isEmpty, consumeTagEnd(close, trimNewline: block) {
                tokens.append(JinjaToken(kind: block ? .blockEnd : .variableEnd, location: location(endStart)))
                return
            }
            let here = pos
            let c = src[pos]
            if c == "_" || c.properties.isAlphabetic {
                var j = pos
                while j < src.count, src[j] == "_" || src[j].properties.isAlphabetic || src[j].properties.numericType == .decimal { j += 1 }
                tokens.append(JinjaToken(kind: .name(String(codePoints: src[pos..<j])), location: location(here)))
                pos = j
            } else if c.properties.numericType == .decimal && c.isASCII {
                tokens.append(JinjaToken(kind: try lexNumber(), location: location(here)))
            } else if c == "'" || c == "\"" {
                tokens.append(JinjaToken(kind: .string(try lexString(quote: c)), location: location(here)))
            } else {
                let op = try lexOperator()
                switch op {
                case "(", "[", "{": brackets.append(op.unicodeScalars.first!)
                case ")", "]", "}":
                    let want: Unicode.Scalar = op == ")" ? "(" : op == "]" ? "[" : "{"
                    guard brackets.last == want else {
                        throw JinjaError.syntax("unexpected '\(op)'", at: location(here))
                    }
                    brackets.removeLast()
                default: break
                }
                tokens.append(JinjaToken(kind: .op(op), location: location(here)))
            }
        }
    }

    private mutating func lexNumber() throws -> JinjaToken.Kind {
        let begin = pos
        var text = ""
        func digits() { while pos < src.count, src[pos].isASCII, src[pos].properties.numericType == .decimal || src[pos] == "_" {
            if src[pos] != "_" { text.unicodeScalars.append(src[pos]) }; pos += 1 } }
        digits()
        var isFloat = false
        if pos + 1 < src.count, src[pos] == ".", src[pos + 1].isASCII, src[pos + 1].properties.numericType == .decimal {
            isFloat = true; text += "."; pos += 1; digits()
        }
        if pos < src.count, src[pos] == "e" || src[pos] == "E" {
            var j = pos + 1
            if j < src.count, src[j] == "+" || src[j] == "-" { j += 1 }
            if j < src.count, src[j].isASCII, src[j].properties.numericType == .decimal {
                isFloat = true
                text += String(codePoints: src[pos..<j]); pos = j; digits()
            }
        }
        if isFloat, let d = Double(text) { return .float(d) }
        if let i = Int(text) { return .integer(i) }
        throw JinjaError.syntax("number '\(text)' is out of range", at: location(begin))
    }

    private mutating func lexString(quote: Unicode.Scalar) throws -> String {
        let begin = pos
        pos += 1
        var out = String.UnicodeScalarView()
        while pos < src.count {
            let c = src[pos]
            if c == quote { pos += 1; return String(out) }
            if c == "\\", pos + 1 < src.count {
                pos += 1
                let e = src[pos]
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "0": out.append("\0")
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "v": out.append("\u{0B}")
                case "a": out.append("\u{07}")
                case "\\", "'", "\"": out.append(e)
                case "\n": break
                case "x", "u", "U":
                    let width = e == "x" ? 2 : e == "u" ? 4 : 8
                    let hex = String(codePoints: src[(pos + 1)..<min(src.count, pos + 1 + width)])
                    guard hex.count == width, let v = UInt32(hex, radix: 16), let s = Unicode.Scalar(v) else {
                        throw JinjaError.syntax("bad \\\(e) escape in string", at: location(pos - 1))
                    }
                    out.append(s); pos += width
                default: out.append("\\"); out.append(e)
                }
                pos += 1
                continue
            }
            out.append(c)
            pos += 1
        }
        throw JinjaError.syntax("string opened here is never closed", at: location(begin))
    }

    private mutating func lexOperator() throws -> String {
        for op in ["//", "**", "==", "!=", "<=", ">="] where at(pos, op) { pos += 2; return op }
        let c = src[pos]
        guard "+-*/%~<>=.,:|()[]{}".unicodeScalars.contains(c) else {
            throw JinjaError.syntax("unexpected character '\(c)'", at: location(pos))
        }
        pos += 1
        return String(c)
    }
}
