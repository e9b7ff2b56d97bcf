// Metadata values of GGUF (spec: ggml/docs/gguf.md, `gguf_metadata_value_type`): thirteen value
// types numbered 0–12, arrays typed and possibly nested. Accessors widen integers and floats.

/// The type tag of a GGUF metadata value.
public enum GGUFValueType: UInt32, CaseIterable, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Encoded size of a scalar of this type; nil for string and array.
    public var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }
}

/// A GGUF metadata value.
///
/// ```swift
/// let layers = file.metadata["llama.block_count"]?.intValue
/// let tokens = file.metadata["tokenizer.ggml.tokens"]?.stringArray
/// ```
public indirect enum GGUFValue: Equatable, Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String)
    /// A typed array; `elementType` is kept so that empty arrays round-trip.
    case array(elementType: GGUFValueType, values: [GGUFValue])
    case uint64(UInt64), int64(Int64), float64(Double)

    /// The type tag written in the file.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    /// Any integer type as Int (nil when not an integer or out of range).
    public var intValue: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        default: return nil
        }
    }

    /// Any number (integer or float) as Double.
    public var doubleValue: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return intValue.map(Double.init)
        }
    }

    public var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    public var boolValue: Bool? { if case let .bool(b) = self { return b }; return nil }

    /// The elements of an array value.
    public var arrayValues: [GGUFValue]? { if case let .array(_, values) = self { return values }; return nil }

    /// An array of strings (e.g. `tokenizer.ggml.tokens`), or nil.
    public var stringArray: [String]? {
        guard let values = arrayValues else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(values.count)
        for value in values {
            guard let s = value.stringValue else { return nil }
            strings.append(s)
        }
        return strings
    }

    /// Builds a typed array; every element must have `elementType`.
    public static func array(_ values: [GGUFValue], of elementType: GGUFValueType) -> GGUFValue {
        .array(elementType: elementType, values: values)
    }

    /// Short human-readable text; long arrays show their first elements and the count.
    public func summary(maxElements: Int = 8) -> String {
        switch self {
        case let .string(s): return JSONValue.quoted(s.count > 120 ? String(s.prefix(120)) + "…" : s)
        case let .array(type, values):
            let shown = values.prefix(maxElements).map { $0.summary(maxElements: maxElements) }
            let more = values.count > maxElements ? ", … (\(values.count) \(type))" : ""
            return "[" + shown.joined(separator: ", ") + more + "]"
        case let .bool(b): return b ? "true" : "false"
        case let .float32(v): return "\(v)"
        case let .float64(v): return "\(v)"
        case let .uint64(v): return "\(v)"
        default: return intValue.map(String.init) ?? "?"
        }
    }
}
