// Several independent sequences in one forward pass (the step of continuous batching, as in vLLM or
// llama.cpp's server): every sequence's new tokens go through the matrix products together, and each
// attends only to its own KV cache. Models without a batched path fall back to one forward each.
import QuillNN
import CQuillKernels
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

/// Where each sequence's rows sit in the concatenated (N, ·) activations of a batched pass.
struct BatchLayout {
    /// First row of sequence s, its token count and its first position in its cache.
    let starts: [Int], counts: [Int], positions0: [Int]
    let totalRows: Int

    init(_ batch: [[Int]], caches: [KVCache]) {
        counts = batch.map(\.count)
        positions0 = caches.map(\.length)
        var starts: [Int] = [], n = 0
        for c in counts { starts.append(n); n += c }
        self.starts = starts
        totalRows = n
    }

    /// Every row's position in its own sequence.
    var positions: [Int] { zip(positions0, counts).flatMap { Array($0..<$0 + $1) } }

    /// The last row of each sequence: (N, C) → (B, C).
    func lastRows(of x: Tensor) -> Tensor {
        let C = x.lastDimension
        let out = Tensor(zeros: [counts.count, C])
        for s in counts.indices { (out.data + s * C).update(from: x.data + (starts[s] + counts[s] - 1) * C, count: C) }
        return out
    }
}

/// linear(x) in a batched pass: the stored-format matrix when the model was quantized (so batched and
/// single-sequence decoding use the same weights), else the few-row kernels for 2–8 rows, BLAS otherwise.
func batchedLinear(_ linear: Linear, _ x: Tensor, _ weights: InferenceWeights?, _ layout: BatchLayout) -> Tensor {
    if let weights, let name = linear.weight.name, let w = weights.matrices[name] {
        // Each sequence's rows go through the path they take alone, so a batched sequence gets exactly
        // its solo tokens: decode rows (fewer than gemmRowThreshold per sequence) through the one-row
        // kernels — all of them in one pass over the weights — and prompts through the prefill product.
        let K = x.lastDimension, N = w.outputs
        let out = Tensor(zeros: [x.rows, N])                                           // (rows, out)
        var oneRowInputs: [Int] = []
        for s in layout.counts.indices {
            let start = layout.starts[s], count = layout.counts[s]
            if count < WeightMatrix.gemmRowThreshold { oneRowInputs += start..<start + count; continue }
            let rows = Tensor(zeros: [count, K])
            rows.data.update(from: x.data + start * K, count: rows.count)
            let y = w.apply(rows, bias: linear.bias)
            (out.data + start * N).update(from: y.data, count: y.count)
        }
        if !oneRowInputs.isEmpty {
            w.matvec(many: oneRowInputs.map { UnsafePointer(x.data + $0 * K) }, into: oneRowInputs.map { out.data + $0 * N })
            if let bias = linear.bias { for r in oneRowInputs { qk_add_inplace(out.data + r * N, bias.data, N) } }
        }
        return out
    }
    return (2...fewRowMatmulMaximumRows).contains(x.rows)
        ? fewRowMatmul(x, linear.weight, bias: linear.bias, layout: linear.layout) : linear(x)
}

/// x (B, C) · headᵀ → (B, V) logits, with the few-row kernel for 2–8 rows.
func batchedHead(_ x: Tensor, weight: Tensor) -> Tensor {
    (2...fewRowMatmulMaximumRows).contains(x.rows)
        ? fewRowMatmul(x, weight, layout: .outputByInput) : matmul(x, weight, layout: .outputByInput)
}

/// x (R, C) · Wᵀ row by row through the one-row (decode) kernels, as each row gets alone, with the
/// weight streamed once for all rows: for stored-format heads, whose one-row path differs from prefill.
func decodeRows(_ x: Tensor, _ w: WeightMatrix) -> Tensor {
    let K = x.lastDimension, N = w.outputs
    let out = Tensor(zeros: [x.rows, N])                                               // (R, N)
    w.matvec(many: (0..<x.rows).map { UnsafePointer(x.data + $0 * K) }, into: (0..<x.rows).map { out.data + $0 * N })
    return out
}

/// f applied to each row of x (R, C) separately, stacked: each row gets exactly what it gets alone.
func rowByRow(_ x: Tensor, _ f: (Tensor) -> Tensor) -> Tensor {
    let C = x.lastDimension
    var out: Tensor?
    for r in 0..<x.rows {
        let row = Tensor(zeros: [1, C])
        row.data.update(from: x.data + r * C, count: C)
        let y = f(row)
        if out == nil { out = Tensor(zeros: [x.rows, y.lastDimension]) }
        (out!.data + r * y.lastDimension).update(from: y.data, count: y.count)
    }
    return out!
}
