// JSON in and out of templates: values from `JSONValue` (tools, extra variables), and the `tojson`
// filter as transformers defines it: Python's `json.dumps(x, ensure_ascii=False, indent=..., separators=...,
// sort_keys=...)`, byte for byte (", " and ": " separators, or "," with indent; non-ASCII kept as is).
import QuillFormats

extension JinjaValue {
    init(_ json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(Int(i))
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(JinjaValue.init))
        case .object(let members, let keys): self = .dict(JinjaDict(keys.map { ($0, JinjaValue(members[$0]!)) }))
        }
    }

    struct JSONStyle {
        var indent: String? = nil
        var itemSeparator = ", "
        var keySeparator = ": "
        var sortKeys = false
        var ensureASCII = false
    }

    /// Python's `json.dumps` text of the value.
    func pythonJSON(_ style: JSONStyle) throws -> String {
        var out = ""
        try writeJSON(to: &out, style, level: 0)
        return out
    }

    private func writeJSON(to out: inout String, _ style: JSONStyle, level: Int) throws {
        switch self {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : JinjaValue.pythonFloat(d)
        case .string(let s), .markup(let s): JinjaValue.writeJSONString(s, to: &out, ensureASCII: style.ensureASCII)
        case .list(let a), .tuple(let a):
            try JinjaValue.writeContainer("[", "]", a.count, to: &out, style, level: level) { i, out in
                try a[i].writeJSON(to: &out, style, level: level + 1)
            }
        case .dict(let d):
            var pairs = d.pairs
            if style.sortKeys { pairs.sort { JinjaValue.jsonKey($0.0).unicodeScalars.map(\.value).lexicographicallyPrecedes(JinjaValue.jsonKey($1.0).unicodeScalars.map(\.value)) } }
            try JinjaValue.writeContainer("{", "}", pairs.count, to: &out, style, level: level) { i, out in
                JinjaValue.writeJSONString(JinjaValue.jsonKey(pairs[i].0), to: &out, ensureASCII: style.ensureASCII)
                out += style.keySeparator
                try pairs[i].1.writeJSON(to: &out, style, level: level + 1)
            }
        default:
            let type = self.isUndefined ? "Undefined" : typeName
            throw JinjaRuntimeFailure.runtime("TypeError: Object of type \(type) is not JSON serializable")
        }
    }

    private static func writeContainer(_ open: String, _ close: String, _ count: Int, to out: inout String, _ style: JSONStyle,
                                       level: Int, _ element: (Int, inout String) throws -> Void) throws {
        guard level < JinjaValue.maxNesting else { throw JinjaRuntimeFailure.runtime("RecursionError: value nested too deeply for tojson") }
        out += open
        guard count > 0 else { out += close; return }
        let newline = style.indent.map { "\n" + String(repeating: $0, count: level + 1) }
        for i in 0..<count {
            if i > 0 { out += style.itemSeparator }
            if let newline { out += newline }
            try element(i, &out)
        }
        if let indent = style.indent { out += "\n" + String(repeating: indent, count: level) }
        out += close
    }

    /// `json.dumps` turns non-string keys into text: 1 -> "1", 1.5 -> "1.5", None -> "null".
    static func jsonKey(_ key: JinjaKey) -> String {
        switch key {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return pythonFloat(d)
        case .none: return "null"
        }
    }

    static func writeJSONString(_ s: String, to out: inout String, ensureASCII: Bool) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7f):
                if scalar.value > 0xFFFF {   // a UTF-16 surrogate pair, as Python writes it
                    let v = scalar.value - 0x10000
                    out += hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF))
                } else {
                    out += hex4(scalar.value)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    private static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - h.count) + h
    }
}
