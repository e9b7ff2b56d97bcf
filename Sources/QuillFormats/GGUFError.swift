// The typed error of the GGUF reader, writer and quantizers. Messages name the file, the metadata
// key or tensor, the byte offset where parsing stopped, and what is wrong.

/// A GGUF file that cannot be read or written, or a tensor that cannot be (de)quantized.
public struct GGUFError: Error, CustomStringConvertible, Equatable {
    /// The file name (last path component), or "<memory>".
    public let file: String
    /// What is wrong, already phrased for a user, e.g. "tensor 'blk.0.attn_q.weight': offset 33 is not a multiple of the alignment 32".
    public let message: String
    /// Byte offset in the file where the problem was found, when known.
    public let offset: Int?

    public init(file: String, _ message: String, offset: Int? = nil) {
        self.file = file
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(file): \(message) (at byte \(offset))" }
        return "\(file): \(message)"
    }
}
