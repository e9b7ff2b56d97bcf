// The KV caches of finished sequences, kept with the tokens whose rows they hold, so that a new prompt
// starting with the same tokens skips recomputing them (multi-turn chat re-sends the whole history;
// many requests share a system prompt). Same idea as llama.cpp's server slot cache and vLLM's prefix
// caching, at the granularity of whole caches: the longest shared prefix wins, least recently used
// entries are evicted first, and every cache is allocated once and recycled.
import QuillModels

struct PrefixCache {
    /// Finished caches kept for reuse (0 turns prefix reuse off).
    let capacity: Int
    /// Caches in use plus kept: never more than this are allocated.
    let limit: Int
    private let make: () -> KVCache
    /// Kept caches with the tokens their first `cache.length` rows hold; least recently used first.
    private var entries: [(tokens: [Int], cache: KVCache)] = []
    /// Allocated caches holding nothing worth keeping.
    private var free: [KVCache] = []
    private(set) var allocated = 0

    init(capacity: Int, limit: Int, make: @escaping () -> KVCache) {
        self.capacity = max(0, capacity)
        self.limit = max(1, limit)
        self.make = make
    }

    var count: Int { entries.count }

    /// A cache for `prompt` and how many of its first tokens it already holds: the entry sharing the
    /// longest prefix, truncated to it (at most prompt.count − 1 tokens, since the last prompt token
    /// must run to give the next token's logits); otherwise an empty cache.
    mutating func acquire(for prompt: [Int]) -> (cache: KVCache, reused: Int) {
        var best: Int?, bestLength = 0
        for (i, e) in entries.enumerated() {
            let n = min(Self.sharedPrefix(e.tokens, prompt), prompt.count - 1)
            if n >= bestLength && n > 0 { best = i; bestLength = n }           // ties: the most recent
        }
        guard let best else { return (empty(), 0) }
        if Self.sharedPrefix(entries[best].tokens, prompt) == entries[best].tokens.count || !canGetAnother(besides: best) {
            // The prompt extends the whole entry (the next turn of that conversation): adopt it; the
            // sequence's own, longer cache comes back when it finishes.
            let cache = entries.remove(at: best).cache
            cache.truncate(to: bestLength)
            return (cache, bestLength)
        }
        // The prompt diverges inside the entry (a shared system prompt, another branch): copy the rows
        // and keep the entry for the next request that shares them.
        let source = entries[best].cache
        entries.append(entries.remove(at: best))                              // now most recently used
        let cache = empty(sparing: source)
        cache.copy(from: source)
        cache.truncate(to: bestLength)
        return (cache, bestLength)
    }

    /// Takes back a finished sequence's cache holding `tokens` (nil when its rows no longer match its
    /// tokens, e.g. after a context shift, or it holds nothing).
    mutating func release(_ cache: KVCache, holding tokens: [Int]?) {
        guard capacity > 0, let tokens, !tokens.isEmpty, tokens.count == cache.length else {
            cache.reset(); free.append(cache); return
        }
        // Entries this one extends hold nothing more: drop them.
        while let i = entries.firstIndex(where: { $0.tokens.count <= tokens.count && Self.sharedPrefix($0.tokens, tokens) == $0.tokens.count }) {
            let old = entries.remove(at: i).cache
            old.reset(); free.append(old)
        }
        entries.append((tokens, cache))
        while entries.count > capacity {
            let old = entries.removeFirst().cache
            old.reset(); free.append(old)
        }
    }

    private func canGetAnother(besides index: Int) -> Bool {
        !free.isEmpty || allocated < limit || entries.indices.contains { $0 != index }
    }

    /// An empty cache: a free one, a new one while under the limit, else the least recently used
    /// entry's (never `sparing`'s).
    private mutating func empty(sparing: KVCache? = nil) -> KVCache {
        if let cache = free.popLast() { cache.reset(); return cache }
        if allocated < limit || entries.isEmpty {
            allocated += 1
            return make()
        }
        let i = entries.firstIndex { $0.cache !== sparing } ?? 0
        let cache = entries.remove(at: i).cache
        cache.reset()
        return cache
    }

    static func sharedPrefix(_ a: [Int], _ b: [Int]) -> Int {
        var n = 0
        let m = min(a.count, b.count)
        while n < m && a[n] == b[n] { n += 1 }
        return n
    }
}
