// Token shards: the binary files `quill data prepare` writes and the loader memory-maps.
// Layout (little-endian): 32-byte header — magic "QTOK", version u32 (1), dtype u32 (2 = u16,
// 4 = u32: bytes per token), reserved u32, token count u64, reserved u64 — then the tokens.
import Foundation
import QuillFormats

public enum TokenShardError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case badMagic(path: String)
    case unsupportedVersion(path: String, version: UInt32)
    case unsupportedDType(path: String, bytesPerToken: UInt32)
    case truncated(path: String, declared: UInt64, available: Int)
    case tokenTooLarge(token: Int, bytesPerToken: Int)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read token shard (\(r))"
        case .badMagic(let p): return "\(p): not a Quill token shard (magic is not 'QTOK')"
        case .unsupportedVersion(let p, let v): return "\(p): token shard version \(v) is not supported (expected 1)"
        case .unsupportedDType(let p, let b): return "\(p): token width of \(b) bytes is not supported (2 or 4)"
        case .truncated(let p, let d, let a):
            return "\(p): header declares \(d) tokens but the file holds only \(a)"
        case .tokenTooLarge(let t, let b): return "token id \(t) does not fit in \(b) bytes"
        }
    }
}

/// A read-only, memory-mapped sequence of token ids.
public struct TokenShard {
    public static let magic: [UInt8] = Array("QTOK".utf8)
    public static let headerSize = 32
    public let path: String
    public let count: Int
    public let bytesPerToken: Int
    private let data: Data

    public init(url: URL) throws {
        let path = url.path
        let bytes: Data
        do { bytes = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw TokenShardError.unreadable(path: path, reason: error.localizedDescription)
        }
        guard bytes.count >= Self.headerSize, Array(bytes.prefix(4)) == Self.magic else {
            throw TokenShardError.badMagic(path: path)
        }
        func u32(_ at: Int) -> UInt32 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }.littleEndian }
        func u64(_ at: Int) -> UInt64 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt64.self) }.littleEndian }
        guard u32(4) == 1 else { throw TokenShardError.unsupportedVersion(path: path, version: u32(4)) }
        let width = u32(8)
        guard width == 2 || width == 4 else { throw TokenShardError.unsupportedDType(path: path, bytesPerToken: width) }
        let declared = u64(16)
        let available = (bytes.count - Self.headerSize) / Int(width)
        guard declared <= UInt64(available) else {
            throw TokenShardError.truncated(path: path, declared: declared, available: available)
        }
        self.path = path
        self.data = bytes
        self.bytesPerToken = Int(width)
        self.count = Int(declared)
    }

    /// Token at index `i` (0 ≤ i < count).
    @inline(__always)
    public subscript(i: Int) -> Int32 {
        data.withUnsafeBytes { raw in
            let o = Self.headerSize + i * bytesPerToken
            return bytesPerToken == 2 ? Int32(raw.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian)
                                      : Int32(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
        }
    }

    /// Copies tokens start ..< start + n into `out`.
    public func copy(from start: Int, count n: Int, into out: inout [Int32]) {
        out.removeAll(keepingCapacity: true)
        for i in start..<start + n { out.append(self[i]) }
    }

    /// The largest id in the shard (−1 when empty), read unsigned: checked against the vocabulary before
    /// training, so a 4-byte id of 2³¹ or more must not turn negative (as `subscript`'s Int32 would) and pass.
    public func maxToken() -> Int {
        var m = -1
        data.withUnsafeBytes { raw in
            for i in 0..<count {
                let o = Self.headerSize + i * bytesPerToken
                let id = bytesPerToken == 2 ? Int(raw.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian)
                                            : Int(raw.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
                m = max(m, id)
            }
        }
        return m
    }

    /// Writes `tokens` as a shard (2-byte ids when every id < 65536, else 4), atomically.
    public static func write(_ tokens: [Int], to url: URL) throws {
        let width = (tokens.max() ?? 0) < 65536 ? 2 : 4
        var out = Data(capacity: headerSize + tokens.count * width)
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: magic)
        put(UInt32(1)); put(UInt32(width)); put(UInt32(0)); put(UInt64(tokens.count)); put(UInt64(0))
        for t in tokens {
            guard t >= 0, width == 4 || t < 65536 else { throw TokenShardError.tokenTooLarge(token: t, bytesPerToken: width) }
            if width == 2 { put(UInt16(t)) } else { put(UInt32(t)) }
        }
        // temp + fsync + rename(2): the old shard stays whole until the new one replaces it.
        try writeAtomically(out, to: url)
    }
}
