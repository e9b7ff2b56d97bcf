// Copying a KV cache's filled positions into another (beam search forks a beam's history; a server
// can fork a shared prompt prefix). Only the `length` filled rows of each layer are copied.

extension KVCache {
    /// A new cache with the same shape holding the same filled positions.
    public func copy() -> KVCache {
        let c = KVCache(layers: keys.count, capacity: capacity, width: width)
        c.copy(from: self)
        return c
    }

    /// Overwrites this cache with `source`'s filled positions, reusing this cache's buffers.
    public func copy(from source: KVCache) {
        precondition(source.keys.count == keys.count && source.width == width && source.length <= capacity,
                     "KVCache.copy: caches of different shapes")
        guard source !== self else { return }
        let n = source.length * width
        for l in keys.indices {
            keys[l].pointer.update(from: source.keys[l].pointer, count: n)
            values[l].pointer.update(from: source.values[l].pointer, count: n)
        }
        length = source.length
    }
}
