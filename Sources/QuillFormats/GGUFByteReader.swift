// Bounds-checked little-endian cursor over a GGUF buffer. Every read checks the remaining length
// first, so a corrupt count or length becomes a GGUFError instead of a read past the mapping.

struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let fileName: String
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer, fileName: String) {
        self.bytes = bytes
        self.fileName = fileName
    }

    var remaining: Int { bytes.count - position }

    func error(_ message: String) -> GGUFError { GGUFError(file: fileName, message, offset: position) }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw error("file ends inside \(what())") }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += size
        return value
    }

    /// A u64 that must also fit in Int and be at most `limit`.
    mutating func readCount(_ what: @autoclosure () -> String, limit: Int) throws(GGUFError) -> Int {
        let start = position
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(limit) else {
            throw GGUFError(file: fileName, "\(what()) \(raw) is larger than the file allows (\(limit))", offset: start)
        }
        return Int(raw)
    }

    /// A gguf_string: u64 length then that many UTF-8 bytes (invalid sequences are replaced).
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = position
        let length = try read(UInt64.self, "length of \(what())")
        guard length <= UInt64(remaining) else {
            throw GGUFError(file: fileName, "\(what()) claims \(length) bytes but only \(remaining) remain", offset: start)
        }
        let string = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(length))]),
                            as: UTF8.self)
        position += Int(length)
        return string
    }

    /// Moves to `offset`, which must be inside (or at the end of) the buffer.
    mutating func seek(to offset: Int) throws(GGUFError) {
        guard offset >= 0, offset <= bytes.count else { throw error("offset \(offset) is outside the file") }
        position = offset
    }

    /// Reads one metadata value of `type`; arrays recurse up to `depth` levels.
    mutating func readValue(_ type: GGUFValueType, key: String, depth: Int = 0) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, "value of '\(key)'"))
        case .int8: return .int8(try read(Int8.self, "value of '\(key)'"))
        case .uint16: return .uint16(try read(UInt16.self, "value of '\(key)'"))
        case .int16: return .int16(try read(Int16.self, "value of '\(key)'"))
        case .uint32: return .uint32(try read(UInt32.self, "value of '\(key)'"))
        case .int32: return .int32(try read(Int32.self, "value of '\(key)'"))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, "value of '\(key)'")))
        case .uint64: return .uint64(try read(UInt64.self, "value of '\(key)'"))
        case .int64: return .int64(try read(Int64.self, "value of '\(key)'"))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, "value of '\(key)'")))
        case .bool:
            let start = position
            let byte = try read(UInt8.self, "value of '\(key)'")
            guard byte <= 1 else { throw GGUFError(file: fileName, "bool '\(key)' has value \(byte)", offset: start) }
            return .bool(byte == 1)
        case .string: return .string(try readString("string '\(key)'"))
        case .array: return try readArray(key: key, depth: depth)
        }
    }

    private mutating func readArray(key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        guard depth < 8 else { throw error("array '\(key)' is nested more than 8 deep") }
        let elementType = try readType(key: key)
        // Every element takes at least one byte (8 for strings and arrays), which bounds the count.
        let minimum = elementType.fixedSize ?? (elementType == .array ? 12 : 8)
        let count = try readCount("element count of array '\(key)'", limit: remaining / minimum)
        var values: [GGUFValue] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try readValue(elementType, key: key, depth: depth + 1)) }
        return .array(elementType: elementType, values: values)
    }

    mutating func readType(key: String) throws(GGUFError) -> GGUFValueType {
        let start = position
        let raw = try read(UInt32.self, "type of '\(key)'")
        guard let type = GGUFValueType(rawValue: raw) else {
            throw GGUFError(file: fileName, "'\(key)' has unknown value type \(raw)", offset: start)
        }
        return type
    }
}
