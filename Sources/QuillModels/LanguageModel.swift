// The small protocol generation needs from any causal language model: logits for new tokens
// given a KV cache. GPT-2 and Llama-family models conform.
import QuillTensor

public protocol LanguageModel: AnyObject {
    var vocabularySize: Int { get }
    var contextLength: Int { get }
    /// A fresh, empty cache sized for this model's context.
    func makeCache() -> KVCache
    /// A fresh, empty cache for the whole context with rows stored as `type`.
    func makeCache(type: KVCacheType) -> KVCache
    /// A fresh, empty cache for at most `capacity` positions (clamped to 1...contextLength): what a
    /// request needs rather than the declared context (SmolLM2 declares 8192, Llama 3 131072).
    func makeCache(capacity: Int, type: KVCacheType) -> KVCache
    /// Runs `tokens` at positions cache.length ..< cache.length + tokens.count, appends their keys
    /// and values to `cache`, and returns logits: (1, V) for the last token, or (n, V) for every
    /// token when `allLogits` is true. Throws on out-of-vocabulary ids or context overflow.
    func forward(_ tokens: [Int], cache: KVCache, allLogits: Bool) throws -> Tensor
}

extension LanguageModel {
    /// The cache size used when a caller gives none: the declared context, at most 4096 positions.
    public var defaultCacheCapacity: Int { min(contextLength, 4096) }

    /// Default for models without their own: `makeCache()`'s shape, rows stored as `type`.
    public func makeCache(type: KVCacheType) -> KVCache {
        let c = makeCache()
        return c.type == type ? c : KVCache(layers: c.layerCount, capacity: c.capacity, width: c.width, heads: c.heads, type: type)
    }

    /// Default for models without their own: `makeCache()`'s shape for at most `capacity` positions.
    public func makeCache(capacity: Int, type: KVCacheType) -> KVCache {
        let c = makeCache()
        return KVCache(layers: c.layerCount, capacity: min(max(1, capacity), c.capacity), width: c.width, heads: c.heads, type: type)
    }

    public func forward(_ tokens: [Int], cache: KVCache) throws -> Tensor {
        try forward(tokens, cache: cache, allLogits: false)
    }

    /// Validates ids against the vocabulary and the context window.
    public func checkTokens(_ tokens: [Int], startingAt position: Int) throws {
        for id in tokens where id < 0 || id >= vocabularySize {
            throw ModelError.tokenOutOfRange(id: id, vocabularySize: vocabularySize)
        }
        if position + tokens.count > contextLength {
            throw ModelError.contextOverflow(needed: position + tokens.count, contextLength: contextLength)
        }
    }
}
