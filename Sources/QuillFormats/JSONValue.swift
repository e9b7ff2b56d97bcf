// A typed JSON value (RFC 8259) for headers and config files, with subscripts for quick access.
// Integers without a fraction or exponent that fit in Int64 are kept exact; other numbers are Double.
import Foundation

/// A JSON document as a value: what `config.json`, safetensors headers and index files parse into.
///
/// ```swift
/// let config = try JSONValue(parsing: data)
/// let layers = config["num_hidden_layers"]?.intValue    // 6
/// let arch = config["architectures"]?[0]?.stringValue  // "BertModel"
/// ```
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// Keys in document order; duplicate keys keep the last value, as most parsers do.
    case object([String: JSONValue], keys: [String])

    /// Parses a complete JSON document. Nesting deeper than `maxDepth` is rejected.
    public init(parsing data: Data, maxDepth: Int = 128) throws(JSONParseError) {
        self = try data.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) in try JSONValue(parsing: raw, maxDepth: maxDepth) }
        }.get()
    }

    /// Parses a complete JSON document from raw bytes (UTF-8).
    public init(parsing bytes: UnsafeRawBufferPointer, maxDepth: Int = 128) throws(JSONParseError) {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        self = try parser.parseDocument()
    }

    /// Builds an object keeping the given key order.
    public static func object(_ pairs: [(String, JSONValue)]) -> JSONValue {
        var dictionary: [String: JSONValue] = [:]
        var keys: [String] = []
        for (key, value) in pairs {
            if dictionary.updateValue(value, forKey: key) == nil { keys.append(key) }
        }
        return .object(dictionary, keys: keys)
    }

    /// Member of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case let .object(members, _) = self { return members[key] }
        return nil
    }

    /// Element of an array, or nil when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        if case let .array(elements) = self, elements.indices.contains(index) { return elements[index] }
        return nil
    }

    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    public var boolValue: Bool? { if case let .bool(b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { return a }; return nil }
    public var isNull: Bool { self == .null }

    /// The integer value; a Double is accepted only when it is integral and in range.
    public var intValue: Int? {
        switch self {
        case let .int(i): return Int(exactly: i)
        case let .double(d): return Int(exactly: d)
        default: return nil
        }
    }

    /// Any number as Double.
    public var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: return nil
        }
    }

    /// Object members in document order, or nil when not an object.
    public var objectPairs: [(key: String, value: JSONValue)]? {
        guard case let .object(members, keys) = self else { return nil }
        return keys.map { ($0, members[$0]!) }
    }

    /// Object members as a dictionary, or nil when not an object.
    public var objectValue: [String: JSONValue]? {
        if case let .object(members, _) = self { return members }
        return nil
    }

    /// Compact JSON text with keys in document order.
    public var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d): out += d.isFinite ? "\(d)" : "null"
        case let .string(s): out += JSONValue.quoted(s)
        case let .array(elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case let .object(members, keys):
            out += "{"
            for (i, key) in keys.enumerated() {
                if i > 0 { out += "," }
                out += JSONValue.quoted(key) + ":"
                members[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    /// `s` as a JSON string literal, escaping quotes, backslashes and control characters.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A JSON document that could not be parsed: what was expected and at which byte offset.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
    /// Byte offset of the problem from the start of the document.
    public let offset: Int
    /// What went wrong, e.g. "expected ':' after object key".
    public let reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}
