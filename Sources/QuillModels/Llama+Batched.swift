// The Llama family's batched inference pass: B sequences' new tokens concatenated into (N, C) rows
// through every projection at once, RoPE at each row's own position, and grouped-query attention
// per (sequence, head) against that sequence's cache; 2–8 rows go through the few-row kernels.
// Legend: B sequences, N total new tokens, NH query heads, KVH kv heads, hs head size.
import CQuillKernels
import QuillNN
import QuillTensor

extension Llama: BatchedLanguageModel {
    public func forward(batch: [[Int]], caches: [KVCache]) throws -> Tensor {
        try checkBatch(batch, caches: caches)
        precondition(caches.allSatisfy { $0.width == config.kvHeadCount * config.headSize && $0.heads == config.kvHeadCount }, "Llama.forward: cache from another model")
        let layout = BatchLayout(batch, caches: caches)
        let positions = layout.positions
        let frequencies = config.ropeFrequencies(length: positions.max()! + 1)
        var x = pending.embed(batch.flatMap { $0.map { Int32($0) } }, table: embedTokens)     // (N, C)
        for (l, layer) in layers.enumerated() {
            // The layer's own steps (LlamaLayer.callAsFunction) with every projection through batchedLinear.
            let h = layer.inputNorm(x)                                                         // (N, C)
            let q = rope(batchedLinear(layer.query, h, inferenceWeights, layout), positions: positions, heads: config.headCount,
                         headSize: config.headSize, frequencies: frequencies)
            let k = rope(batchedLinear(layer.key, h, inferenceWeights, layout), positions: positions, heads: config.kvHeadCount,
                         headSize: config.headSize, frequencies: frequencies)
            let a = batchedAttention(q, k, batchedLinear(layer.value, h, inferenceWeights, layout), layer: l, caches: caches, layout: layout)
            let r = add(x, batchedLinear(layer.output, a, inferenceWeights, layout))
            let m = layer.postAttentionNorm(r)
            let gated = swiGLU(batchedLinear(layer.gate, m, inferenceWeights, layout), batchedLinear(layer.up, m, inferenceWeights, layout))
            x = add(r, batchedLinear(layer.down, gated, inferenceWeights, layout))
        }
        for (s, cache) in caches.enumerated() { cache.advance(by: layout.counts[s]) }
        let last = layout.lastRows(of: x)                                                          // (B, C)
        if let head = inferenceWeights?.matrices["head"] { return decodeRows(rowByRow(last) { norm($0) }, head) }   // (B, V)
        return batchedHead(norm(last), weight: lmHead?.weight ?? embedTokens.weight)               // (B, V)
    }

    /// Appends each sequence's k, v rows (KVH·hs wide) to its cache at layer `l`, then attends its
    /// queries to its own prefix. → (N, NH·hs)
    private func batchedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, layer l: Int, caches: [KVCache],
                                  layout: BatchLayout) -> Tensor {
        let NH = config.headCount, hs = config.headSize, KC = config.kvHeadCount * hs, group = NH / config.kvHeadCount
        for (s, cache) in caches.enumerated() {
            let from = layout.starts[s] * KC
            cache.store(layer: l, at: layout.positions0[s], rows: layout.counts[s], keys: k.data + from,
                        values: v.data + from, stride: KC)
        }
        let a = Tensor(zeros: [layout.totalRows, NH * hs])
        let longest = zip(layout.positions0, layout.counts).map { $0 + $1 }.max()!
        Parallel.forEachChunk(caches.count * NH) { pairs in
            let scratch = TensorStorage(count: longest)
            for pair in pairs {
                let s = pair / NH, h = pair % NH, r = layout.starts[s]
                caches[s].attend(layer: l, head: h / group, queries: q.data + r * NH * hs + h * hs,
                                 ldq: NH * hs, count: layout.counts[s], start: layout.positions0[s],
                                 out: a.data + r * NH * hs + h * hs, ldo: NH * hs, scratch: scratch.pointer)
            }
        }
        return a
    }
}
