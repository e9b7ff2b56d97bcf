// The simplest tokenizer: one id per byte (0...255) plus `<|endoftext|>` as id 256.
// Lets the model and trainer work before a BPE vocabulary exists (nanoGPT's char-level setup, on bytes).

/// Byte-level tokenizer: ids 0–255 are bytes, 256 is `<|endoftext|>`.
public struct ByteTokenizer: Tokenizer {
    public static let endOfTextText = "<|endoftext|>"
    public init() {}
    public var vocabularySize: Int { 257 }
    public var endOfTextID: Int? { 256 }

    public func encode(_ text: String) -> [Int] {
        text.utf8.map { Int($0) }
    }

    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count)
        for id in ids {
            if id >= 0 && id < 256 {
                bytes.append(UInt8(id))
            } else if id == 256 {
                bytes.append(contentsOf: Array(Self.endOfTextText.utf8))
            } else {
                bytes.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD for ids outside the vocabulary
            }
        }
        return bytes
    }
}
