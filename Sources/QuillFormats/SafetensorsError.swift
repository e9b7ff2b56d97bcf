// The typed error of the safetensors reader and writer. Every message names the file and, where
// there is one, the tensor, and says what is wrong in terms a user can act on.

/// A safetensors file (or sharded index) that cannot be read or written.
///
/// ``description`` reads like
/// `model.safetensors: tensor 'h.3.mlp.c_fc.weight' declares 2359296 bytes but the file ends at 1048576`.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// The file name (last path component) the problem is in.
    public let file: String
    /// The tensor the problem is about, when there is one.
    public let tensor: String?
    /// What is wrong.
    public let reason: Reason

    /// The kinds of problems, for callers that want to branch on them.
    public enum Reason: Equatable, Sendable {
        case cannotOpen(String)
        case truncatedHeaderLength(fileSize: Int)
        case headerTooLarge(length: UInt64, limit: Int)
        case headerPastEndOfFile(length: UInt64, fileSize: Int)
        case invalidJSON(String)
        case invalidHeader(String)
        case invalidEntry(String)
        case unknownDType(String)
        case invalidShape(String)
        case byteCountMismatch(declared: Int, expected: Int)
        case pastEndOfData(end: Int, dataSize: Int)
        case overlap(other: String)
        case gap(start: Int, expected: Int)
        case trailingBytes(dataEnd: Int, dataSize: Int)
        case notFound
        case notConvertible(SafetensorsDType)
        case duplicateName
        case invalidIndex(String)
        case writeFailed(String)
    }

    public init(file: String, tensor: String? = nil, _ reason: Reason) {
        self.file = file
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        let subject = tensor.map { "\(file): tensor '\($0)'" } ?? file
        switch reason {
        case let .cannotOpen(why): return "\(file): cannot open: \(why)"
        case let .truncatedHeaderLength(size):
            return "\(file): file is \(size) bytes, too short for the 8-byte header length"
        case let .headerTooLarge(length, limit):
            return "\(file): header length \(length) exceeds the \(limit)-byte limit"
        case let .headerPastEndOfFile(length, size):
            return "\(file): header length \(length) runs past the end of the \(size)-byte file"
        case let .invalidJSON(why): return "\(file): header is not valid JSON: \(why)"
        case let .invalidHeader(why): return "\(file): invalid header: \(why)"
        case let .invalidEntry(why): return "\(subject) \(why)"
        case let .unknownDType(name): return "\(subject) has unknown dtype '\(name)'"
        case let .invalidShape(why): return "\(subject) has an invalid shape: \(why)"
        case let .byteCountMismatch(declared, expected):
            return "\(subject) declares \(declared) bytes but its dtype and shape need \(expected)"
        case let .pastEndOfData(end, dataSize):
            return "\(subject) declares data up to byte \(end) but the data section ends at \(dataSize)"
        case let .overlap(other): return "\(subject) overlaps tensor '\(other)'"
        case let .gap(start, expected):
            return "\(subject) starts at data byte \(start), leaving a hole after byte \(expected)"
        case let .trailingBytes(end, size):
            return "\(file): tensors end at data byte \(end) but the data section has \(size) bytes"
        case .notFound: return "\(subject) not found"
        case let .notConvertible(dtype): return "\(subject) has dtype \(dtype.rawValue), which cannot convert to Float"
        case .duplicateName: return "\(subject) appears twice"
        case let .invalidIndex(why): return "\(file): invalid sharded index: \(why)"
        case let .writeFailed(why): return "\(subject): write failed: \(why)"
        }
    }
}
