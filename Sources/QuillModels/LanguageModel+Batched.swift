// Several independent sequences in one forward pass (the step of continuous batching, as in vLLM or
// llama.cpp's server): every sequence's new tokens go through the matrix products together, and each
// attends only to its own KV cache. Models without a batched path fall back to one forward each.
import QuillTensor

/// A model with a real batched forward pass (one set of matrix products for all sequences).
public protocol BatchedLanguageModel: LanguageModel {
    /// Runs `batch[s]` at positions caches[s].length ..< +count for every sequence s, appends their
    /// keys and values to `caches[s]`, and returns (B, V) logits: row s for the last token of `batch[s]`.
    /// Sequences may mix prompt prefills (many tokens) with decode steps (one token).
    func forward(batch: [[Int]], caches: [KVCache]) throws -> Tensor
}

extension LanguageModel {
    /// (B, V) logits for the last token of each sequence: the model's batched pass when it has one,
    /// otherwise one ``forward(_:cache:allLogits:)`` per sequence.
    public func forwardBatch(_ batch: [[Int]], caches: [KVCache]) throws -> Tensor {
        if let batched = self as? any BatchedLanguageModel { return try batched.forward(batch: batch, caches: caches) }
        try checkBatch(batch, caches: caches)
        let V = vocabularySize
        let out = Tensor(zeros: [batch.count, V])
        for (s, tokens) in batch.enumerated() {
            let row = try forward(tokens, cache: caches[s])
            (out.data + s * V).update(from: row.data, count: V)
        }
        return out
    }

    /// Checks every sequence before any cache is written, so a bad request fails the whole step cleanly.
    public func checkBatch(_ batch: [[Int]], caches: [KVCache]) throws {
        precondition(batch.count == caches.count && !batch.isEmpty, "forwardBatch: need one cache per sequence")
        precondition(Set(caches.map(ObjectIdentifier.init)).count == caches.count, "forwardBatch: a cache appears twice")
        for (tokens, cache) in zip(batch, caches) {
            precondition(!tokens.isEmpty, "forwardBatch: a sequence has no tokens")
            try checkTokens(tokens, startingAt: cache.length)
            if cache.length + tokens.count > cache.capacity {
                throw ModelError.contextOverflow(needed: cache.length + tokens.count, contextLength: cache.capacity)
            }
        }
    }
}
