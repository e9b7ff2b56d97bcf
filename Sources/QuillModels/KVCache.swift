// Per-layer key/value cache for autoregressive decoding: preallocated once for a capacity (the
// context, or less), reused across requests via `reset()`, rows appended as tokens are processed so
// each new token attends without recomputing the past. Rows are stored as F32 or IEEE F16 (halving
// the cache, as llama.cpp's `--cache-type-k/v f16`); every write is checked against the capacity.
// Head-major layout (layer → head → position → hs, as vLLM's paged blocks keep a head's keys
// together): one head's keys are one contiguous stream, so decode attention reads sequentially
// instead of one 4 KB-strided row per position (3× faster for F32 at 900 positions, TLB-bound before).
import CQuillKernels
import QuillTensor

/// The element type of a KV cache's rows.
public enum KVCacheType: String, CaseIterable, Sendable, Codable {
    case f32, f16

    public var bytesPerElement: Int { self == .f32 ? 4 : 2 }
}

public final class KVCache {
    /// Maximum number of positions the cache holds.
    public let capacity: Int
    /// Elements per position per layer (C for GPT-2; kvHeads·headSize for GQA models).
    public let width: Int
    /// Key/value heads per layer; each holds width / heads elements per position.
    public let heads: Int
    /// How rows are stored.
    public let type: KVCacheType
    /// keys[l], values[l]: (heads, capacity, headSize) elements of `type`. For `.f32` the storage's
    /// floats are the elements; for `.f16` its bytes hold the halves (read them through `keyHalves`).
    public let keys: [TensorStorage]
    public let values: [TensorStorage]
    /// Positions filled so far.
    public internal(set) var length: Int = 0

    public var layerCount: Int { keys.count }
    public var headSize: Int { width / heads }

    public init(layers: Int, capacity: Int, width: Int, heads: Int = 1, type: KVCacheType = .f32) {
        precondition(layers >= 0 && capacity >= 0 && width >= 0, "KVCache: negative shape")
        precondition(heads >= 1 && width % heads == 0, "KVCache: width \(width) is not a multiple of \(heads) heads")
        self.capacity = capacity
        self.width = width
        self.heads = heads
        self.type = type
        let floats = (capacity * width * type.bytesPerElement + 3) / 4     // (capacity, width) elements
        // Fresh anonymous pages: a cache costs nothing until positions are written (contexts reach 128k).
        keys = (0..<layers).map { _ in TensorStorage(lazyZerosCount: floats) }
        values = (0..<layers).map { _ in TensorStorage(lazyZerosCount: floats) }
    }

    /// Most bytes of address space one cache reserves (its pages are only committed as positions are
    /// written). Far above a real model's full context (Llama 3 8B at 128k positions in F32: 34 GB), it
    /// keeps a file that declares an absurd context from asking the kernel for terabytes.
    public static let maximumReservedBytes = 1 << 36

    /// Positions a cache of this shape can hold within `maximumReservedBytes` (at least 1).
    public static func affordableCapacity(layers: Int, width: Int, type: KVCacheType) -> Int {
        max(1, maximumReservedBytes / max(1, 2 * layers * width * type.bytesPerElement))
    }

    /// Bytes the cache holds for all layers, keys and values.
    public var byteCount: Int { 2 * layerCount * capacity * width * type.bytesPerElement }

    /// Forgets every position (buffers are kept for reuse across requests).
    public func reset() { length = 0 }

    /// Drops positions after `newLength` (e.g. to rewind a shared prompt prefix).
    public func truncate(to newLength: Int) {
        precondition(newLength >= 0 && newLength <= length, "KVCache.truncate: \(newLength) not in 0...\(length)")
        length = newLength
    }

    /// Marks `n` more positions as filled (after a model wrote them).
    public func advance(by n: Int) {
        precondition(n >= 0 && length + n <= capacity, "KVCache overflow: model must check context first")
        length += n
    }

    /// Layer `l`'s keys (values) as halves; only for `.f16` caches.
    func keyHalves(_ l: Int) -> UnsafeMutablePointer<UInt16> { halves(keys[l]) }
    func valueHalves(_ l: Int) -> UnsafeMutablePointer<UInt16> { halves(values[l]) }

    private func halves(_ s: TensorStorage) -> UnsafeMutablePointer<UInt16> {
        precondition(type == .f16, "KVCache: f16 view of a \(type) cache")
        return UnsafeMutableRawPointer(s.pointer).assumingMemoryBound(to: UInt16.self)
    }

    /// Element offset of (head h, position p) within a layer.
    func offset(head h: Int, position p: Int) -> Int { (h * capacity + p) * headSize }

    /// Writes `rows` rows of `width` floats (heads side by side, as projections produce them) into
    /// layer `l` at positions position..<position+rows, converting to the cache's type. Row r of the
    /// keys is read at keys + r·stride (same for values), so GPT-2's fused (n, 3C) qkv rows are stored
    /// without a copy. Traps rather than write past the end.
    public func store(layer l: Int, at position: Int, rows: Int, keys k: UnsafePointer<Float>,
                      values v: UnsafePointer<Float>, stride: Int) {
        precondition(position >= 0 && rows >= 0 && position + rows <= capacity,
                     "KVCache.store: positions \(position)..<\(position + rows) outside capacity \(capacity)")
        precondition(l >= 0 && l < layerCount && stride >= width, "KVCache.store: bad layer or stride")
        let hs = headSize
        for h in 0..<heads {
            let at = offset(head: h, position: position)                  // (rows, hs) contiguous
            switch type {
            case .f32:
                for r in 0..<rows {
                    (keys[l].pointer + at + r * hs).update(from: k + r * stride + h * hs, count: hs)
                    (values[l].pointer + at + r * hs).update(from: v + r * stride + h * hs, count: hs)
                }
            case .f16:
                qk_fp32_to_fp16_rows(keyHalves(l) + at, hs, k + h * hs, stride, rows, hs, Int32(QK_ISA_BEST))
                qk_fp32_to_fp16_rows(valueHalves(l) + at, hs, v + h * hs, stride, rows, hs, Int32(QK_ISA_BEST))
            }
        }
    }
}
