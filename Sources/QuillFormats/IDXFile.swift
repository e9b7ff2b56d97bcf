// Reader for the IDX format of LeCun's MNIST and Zalando's Fashion-MNIST: two zero bytes, a type code,
// a dimension count, one big-endian UInt32 per dimension, then the values row-major. Quill reads the
// unsigned-byte type (0x08) the image and label files use. Every header field is checked, and the
// dimensions are bounded against the file's size before anything is allocated.
import Foundation

/// An IDX file that cannot be read; ``description`` names the file and the field at fault.
public struct IDXError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let reason: Reason

    public enum Reason: Equatable, Sendable {
        case cannotOpen(String)
        /// Fewer bytes than the header's fixed part (4) or its dimension list needs.
        case truncatedHeader(needed: Int, fileSize: Int)
        /// Bytes 0–1 are not zero (`gzipped` when they are gzip's 1f 8b).
        case badMagic(byte0: UInt8, byte1: UInt8, gzipped: Bool)
        case unsupportedType(code: UInt8)
        case badDimensionCount(Int)
        case zeroDimension(index: Int)
        /// The dimensions' product disagrees with the bytes after the header.
        case dataSizeMismatch(declared: String, available: Int)
    }

    public init(file: String, _ reason: Reason) { self.file = file; self.reason = reason }

    public var description: String {
        switch reason {
        case .cannotOpen(let m): return "\(file): cannot open: \(m)"
        case .truncatedHeader(let n, let s): return "\(file): header needs \(n) bytes but the file has \(s)"
        case .badMagic(let a, let b, let gz):
            return "\(file): magic bytes 0–1 are \(String(format: "%02x %02x", a, b)), expected 00 00"
                + (gz ? " (the file is gzip-compressed: gunzip it first)" : "")
        case .unsupportedType(let c):
            return "\(file): type code (byte 2) is 0x\(String(c, radix: 16)); Quill reads unsigned bytes (0x08)"
        case .badDimensionCount(let n): return "\(file): dimension count (byte 3) is \(n), expected 1–\(IDXFile.maximumDimensions)"
        case .zeroDimension(let i): return "\(file): dimension \(i) is 0"
        case .dataSizeMismatch(let d, let a):
            return "\(file): dimensions declare \(d) bytes of data but \(a) follow the header"
        }
    }
}

/// The shape and unsigned-byte values of one IDX file.
public struct IDXFile: Sendable {
    /// Dimensions, outermost first (e.g. [60000, 28, 28] for an image file, [60000] for labels).
    public let shape: [Int]
    /// The values, row-major, `shape.reduce(1, *)` of them.
    public let values: [UInt8]

    static let maximumDimensions = 8

    /// Reads and checks `url`.
    public init(url: URL) throws(IDXError) {
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw IDXError(file: url.lastPathComponent, .cannotOpen(error.localizedDescription))
        }
        try self.init(bytes: data, name: url.lastPathComponent)
    }

    /// Parses IDX `bytes`; `name` labels errors.
    public init(bytes: Data, name: String = "<bytes>") throws(IDXError) {
        let b = [UInt8](bytes.prefix(4)), size = bytes.count
        guard size >= 4 else { throw IDXError(file: name, .truncatedHeader(needed: 4, fileSize: size)) }
        guard b[0] == 0, b[1] == 0 else {
            throw IDXError(file: name, .badMagic(byte0: b[0], byte1: b[1], gzipped: b[0] == 0x1f && b[1] == 0x8b))
        }
        guard b[2] == 0x08 else { throw IDXError(file: name, .unsupportedType(code: b[2])) }
        let rank = Int(b[3])
        guard (1...Self.maximumDimensions).contains(rank) else { throw IDXError(file: name, .badDimensionCount(rank)) }
        let headerSize = 4 + 4 * rank
        guard size >= headerSize else { throw IDXError(file: name, .truncatedHeader(needed: headerSize, fileSize: size)) }
        let start = bytes.startIndex
        var shape: [Int] = []
        var product = 1, overflow = false
        for i in 0..<rank {
            let o = start + 4 + 4 * i
            let d = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            guard d > 0 else { throw IDXError(file: name, .zeroDimension(index: i)) }
            shape.append(d)
            // Bounded by the file before allocating: a hostile header cannot ask for more than is there.
            let (p, o2) = product.multipliedReportingOverflow(by: d)
            overflow = overflow || o2 || p > size
            product = overflow ? product : p
        }
        let available = size - headerSize
        guard !overflow, product == available else {
            let declared = overflow ? shape.map(String.init).joined(separator: "×") : String(product)
            throw IDXError(file: name, .dataSizeMismatch(declared: declared, available: available))
        }
        self.shape = shape
        values = [UInt8](bytes[(start + headerSize)...])
    }
}
