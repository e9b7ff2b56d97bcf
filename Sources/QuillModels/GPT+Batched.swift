// GPT-2's batched inference pass: the new tokens of B sequences concatenated into (N, C) rows go
// through every matrix product at once (weights read once per step instead of once per sequence),
// while attention runs per (sequence, head) against that sequence's own cache. A decode step of 2–8
// sequences goes through the few-row kernels (fewRowMatmul) rather than sgemm.
// Legend: B sequences, N total new tokens, C channels, V vocabulary, NH heads, hs = C / NH.
import CQuillKernels
import QuillNN
import QuillTensor

extension GPT: BatchedLanguageModel {
    public func forward(batch: [[Int]], caches: [KVCache]) throws -> Tensor {
        try checkBatch(batch, caches: caches)
        precondition(caches.allSatisfy { $0.width == config.nEmbd && $0.heads == config.nHead && $0.layerCount == config.nLayer }, "GPT.forward: cache from another model")
        let layout = BatchLayout(batch, caches: caches)
        let B = batch.count, C = config.nEmbd, NH = config.nHead, hs = C / NH
        let ids = batch.flatMap { $0.map { Int32($0) } }
        var x = add(pending.embed(ids, table: wte), wpe(layout.positions.map { Int32($0) }))                  // (N, C)
        let longest = zip(layout.positions0, layout.counts).map { $0 + $1 }.max()!
        for (l, block) in blocks.enumerated() {
            let qkv = batchedLinear(block.attnQKV, block.ln1(x), inferenceWeights, layout)                   // (N, 3C)
            for s in 0..<B {                                                            // append k, v rows
                let rows = qkv.data + layout.starts[s] * 3 * C
                caches[s].store(layer: l, at: layout.positions0[s], rows: layout.counts[s], keys: rows + C,
                                values: rows + 2 * C, stride: 3 * C)
            }
            let a = Tensor(zeros: [layout.totalRows, C])                                // (N, C)
            Parallel.forEachChunk(B * NH) { pairs in
                let scratch = TensorStorage(count: longest)
                for pair in pairs {
                    let s = pair / NH, h = pair % NH, r = layout.starts[s]
                    caches[s].attend(layer: l, head: h, queries: qkv.data + r * 3 * C + h * hs,
                                     ldq: 3 * C, count: layout.counts[s], start: layout.positions0[s],
                                     out: a.data + r * C + h * hs, ldo: C, scratch: scratch.pointer)
                }
            }
            x = add(x, batchedLinear(block.attnProj, a, inferenceWeights, layout))
            x = add(x, batchedLinear(block.mlpProj, gelu(batchedLinear(block.mlpFC, block.ln2(x), inferenceWeights, layout)), inferenceWeights, layout))
        }
        for (s, cache) in caches.enumerated() { cache.advance(by: layout.counts[s]) }
        let last = lnF(layout.lastRows(of: x))                                                     // (B, C)
        if let head = inferenceWeights?.matrices["wte.weight"] { return decodeRows(last, head) }              // (B, V)
        return batchedHead(last, weight: wte.weight)
    }
}
