// Copying a KV cache's filled positions into another (beam search forks a beam's history; a server
// can fork a shared prompt prefix). Only the `length` filled rows of each layer are copied, in the
// cache's own element type.
import Foundation

extension KVCache {
    /// A new cache with the same shape and type holding the same filled positions.
    public func copy() -> KVCache {
        let c = KVCache(layers: keys.count, capacity: capacity, width: width, type: type)
        c.copy(from: self)
        return c
    }

    /// Overwrites this cache with `source`'s filled positions, reusing this cache's buffers.
    public func copy(from source: KVCache) {
        precondition(source.keys.count == keys.count && source.width == width && source.type == type
                     && source.length <= capacity, "KVCache.copy: caches of different shapes or types")
        guard source !== self else { return }
        let bytes = source.length * width * type.bytesPerElement
        for l in keys.indices {
            memcpy(keys[l].pointer, source.keys[l].pointer, bytes)
            memcpy(values[l].pointer, source.values[l].pointer, bytes)
        }
        length = source.length
    }
}
