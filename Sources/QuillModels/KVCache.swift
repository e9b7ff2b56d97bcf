// Per-layer key/value cache for autoregressive decoding: preallocated for the whole context,
// rows appended as tokens are processed, so each new token attends without recomputing the past.
import QuillTensor

public final class KVCache {
    /// Maximum number of positions the cache holds.
    public let capacity: Int
    /// Floats per position per layer (C for GPT-2; kvHeads·headSize for GQA models).
    public let width: Int
    /// keys[l], values[l]: (capacity, width) row-major.
    public let keys: [TensorStorage]
    public let values: [TensorStorage]
    /// Positions filled so far.
    public internal(set) var length: Int = 0

    public init(layers: Int, capacity: Int, width: Int) {
        self.capacity = capacity
        self.width = width
        // Fresh anonymous pages: a cache costs nothing until positions are written (contexts reach 128k).
        keys = (0..<layers).map { _ in TensorStorage(lazyZerosCount: capacity * width) }
        values = (0..<layers).map { _ in TensorStorage(lazyZerosCount: capacity * width) }
    }

    /// Forgets every position (buffers are kept for reuse across requests).
    public func reset() { length = 0 }

    /// Drops positions after `newLength` (e.g. to rewind a shared prompt prefix).
    public func truncate(to newLength: Int) {
        precondition(newLength >= 0 && newLength <= length, "KVCache.truncate: \(newLength) not in 0...\(length)")
        length = newLength
    }

    /// Marks `n` more positions as filled (after a model wrote them).
    public func advance(by n: Int) {
        precondition(length + n <= capacity, "KVCache overflow: model must check context first")
        length += n
    }
}
