// Copying a KV cache's filled positions into another (beam search forks a beam's history; a server
// can fork a shared prompt prefix). Only the `length` filled rows of each (layer, head) are copied,
// in the cache's own element type; capacities may differ.
import Foundation

extension KVCache {
    /// A new cache with the same shape and type holding the same filled positions.
    public func copy() -> KVCache {
        let c = KVCache(layers: keys.count, capacity: capacity, width: width, heads: heads, type: type)
        c.copy(from: self)
        return c
    }

    /// Overwrites this cache with `source`'s filled positions, reusing this cache's buffers.
    public func copy(from source: KVCache) {
        precondition(source.keys.count == keys.count && source.width == width && source.heads == heads
                     && source.type == type && source.length <= capacity, "KVCache.copy: caches of different shapes or types")
        guard source !== self else { return }
        let e = type.bytesPerElement, bytes = source.length * headSize * e     // one head's filled rows
        for l in keys.indices {
            for h in 0..<heads {
                let from = source.offset(head: h, position: 0) * e, to = offset(head: h, position: 0) * e
                memcpy(UnsafeMutableRawPointer(keys[l].pointer) + to, UnsafeRawPointer(source.keys[l].pointer) + from, bytes)
                memcpy(UnsafeMutableRawPointer(values[l].pointer) + to, UnsafeRawPointer(source.values[l].pointer) + from, bytes)
            }
        }
        length = source.length
    }
}
