// One forward pass as a layer body sees it: where each row sits, how a Linear runs and how attention
// runs. Training (float weights, on the tape), an encoder over padded rows, cached single-sequence and
// batched inference differ only here, so each architecture writes its layer body once (GPTBlock,
// LlamaLayer, BERTLayer) and new weight formats plug in at one place (`linear`).
// Legend: N rows (B·T for full sequences; every sequence's new tokens in inference), B sequences,
// NH query heads, KVH kv heads, hs head size, C = NH·hs.
import CQuillKernels
import QuillNN
import QuillTensor

struct ForwardPass {
    enum Kind {
        /// B rows of T tokens, each from position 0 and attending within its own row (causally, or to its
        /// first `lengths[b]` tokens for an encoder): float weights, recorded on the tape when one is active.
        case full(batch: Int, time: Int, causal: Bool, lengths: [Int]?)
        /// The new tokens of each sequence, placed by `layout`, appended to that sequence's cache and
        /// attending to its whole prefix; matrices from `weights` where it has them. No tape.
        case cached(caches: [KVCache], layout: BatchLayout, weights: InferenceWeights?)
    }

    let kind: Kind
    /// Each row's position in its own sequence (N).
    let positions: [Int]
    /// RoPE inverse frequencies (hs/2) per sequence (one table for full rows); empty without RoPE.
    private let frequencies: [[Double]]
    /// Whether every sequence turns by the same table (all but dynamic NTK scaling).
    private let sharedFrequencies: Bool

    /// B rows of T tokens from position 0 (training, or an encoder with `lengths`).
    init(batch B: Int, time T: Int, causal: Bool = true, lengths: [Int]? = nil, ropeFrequencies: ((Int) -> [Double])? = nil) {
        kind = .full(batch: B, time: T, causal: causal, lengths: lengths)
        positions = (0..<B).flatMap { _ in 0..<T }
        frequencies = ropeFrequencies.map { [$0(T)] } ?? []
        sharedFrequencies = true
    }

    /// `batch[s]` at positions caches[s].length ..< +count for every sequence s (one sequence for a
    /// single-sequence forward). Dynamic NTK tables follow each sequence's own length, as it gets alone.
    init(batch: [[Int]], caches: [KVCache], weights: InferenceWeights?, ropeFrequencies: ((Int) -> [Double])? = nil) {
        let layout = BatchLayout(batch, caches: caches)
        kind = .cached(caches: caches, layout: layout, weights: weights)
        positions = layout.positions
        let tables = ropeFrequencies.map { f in layout.counts.indices.map { f(layout.positions0[$0] + layout.counts[$0]) } } ?? []
        frequencies = tables
        sharedFrequencies = tables.dropFirst().allSatisfy { $0 == tables[0] }
    }

    // MARK: Projections

    /// linear(x): the float op (on the tape) for full rows; in inference the stored-format matrix when
    /// there is one, each sequence's rows through the kernels they take alone (see `cachedLinear`).
    func linear(_ l: Linear, _ x: Tensor) -> Tensor {
        switch kind {
        case .full: return l(x)
        case .cached(_, let layout, let weights): return cachedLinear(l, x, weights, layout)
        }
    }

    /// x (N, C) final hidden states (already normed) → (N, V) logits through the head: `weight` (V, C),
    /// or its stored-format `matrix` in inference. `lastRows` marks one row per sequence (decode-style
    /// rows, through the one-row kernels), as opposed to every row of a single prompt.
    func logits(_ x: Tensor, weight: Tensor, matrix: WeightMatrix?, lastRows: Bool) -> Tensor {
        guard case .cached = kind else { return matmul(x, weight, layout: .outputByInput) }
        if let matrix { return lastRows ? decodeRows(x, matrix) : matrix.apply(x) }
        return lastRows && (2...fewRowMatmulMaximumRows).contains(x.rows)
            ? fewRowMatmul(x, weight, layout: .outputByInput) : matmul(x, weight, layout: .outputByInput)
    }

    /// The rows the head needs: all of them (full rows, or every token's logits of one sequence), else
    /// the last row of each sequence: (N, C) → (N or B, C).
    func headRows(_ x: Tensor, allLogits: Bool) -> Tensor {
        guard case .cached(_, let layout, _) = kind, !allLogits else { return x }
        return layout.lastRows(of: x)
    }

    /// Marks every sequence's new rows as filled (after the last layer wrote them).
    func advanceCaches() {
        guard case .cached(let caches, let layout, _) = kind else { return }
        for (s, cache) in caches.enumerated() { cache.advance(by: layout.counts[s]) }
    }

    // MARK: Positions

    /// Rotary embedding of x (N, heads·hs), each row turned by its position.
    func rope(_ x: Tensor, heads: Int, headSize: Int) -> Tensor {
        precondition(!frequencies.isEmpty, "ForwardPass.rope: the pass was built without RoPE frequencies")
        if sharedFrequencies {
            return QuillTensor.rope(x, positions: positions, heads: heads, headSize: headSize, frequencies: frequencies[0])
        }
        guard case .cached(_, let layout, _) = kind else { preconditionFailure("full rows share one table") }
        let out = Tensor(zeros: x.shape)
        for s in layout.counts.indices {
            let rows = layout.rows(of: x, sequence: s)
            let turned = QuillTensor.rope(rows, positions: Array(layout.positions0[s]..<layout.positions0[s] + layout.counts[s]),
                                          heads: heads, headSize: headSize, frequencies: frequencies[s])
            layout.write(turned, sequence: s, into: out)
        }
        return out
    }

    // MARK: Attention

    /// Grouped-query attention of q (N, NH·hs) over k, v (N, KVH·hs) → (N, NH·hs). In inference each
    /// sequence's k, v rows are appended to its cache first; query head h reads kv head h / (NH/KVH).
    func attention(layer l: Int, query q: Tensor, key k: Tensor, value v: Tensor, heads NH: Int, kvHeads KVH: Int) -> Tensor {
        switch kind {
        case .full(let B, let T, let causal, let lengths):
            return groupedQueryAttention(query: q, key: k, value: v, batch: B, time: T, heads: NH, kvHeads: KVH,
                                         causal: causal, lengths: lengths)
        case .cached(let caches, let layout, _):
            store(layer: l, keys: k.data, values: v.data, stride: k.lastDimension, caches, layout)
            let a = Tensor(zeros: [q.rows, q.lastDimension])
            attendCached(layer: l, queries: q.data, ldq: q.lastDimension, into: a, heads: NH, kvHeads: KVH,
                         sequences: Array(caches.indices), caches, layout)
            return a
        }
    }

    /// Causal multi-head attention over GPT-2's fused qkv rows (N, 3C) → (N, C). In inference a prompt
    /// from an empty cache attends in one pass through the training op's per-head products; later
    /// chunks and decode steps read the cache.
    func attention(layer l: Int, qkv: Tensor, heads NH: Int) -> Tensor {
        let C = qkv.lastDimension / 3
        switch kind {
        case .full(let B, let T, _, _):
            return causalSelfAttention(qkv, batch: B, time: T, heads: NH)
        case .cached(let caches, let layout, _):
            store(layer: l, keys: qkv.data + C, values: qkv.data + 2 * C, stride: 3 * C, caches, layout)
            let whole = caches.indices.filter { layout.positions0[$0] == 0 && layout.counts[$0] >= WeightMatrix.gemmRowThreshold }
            if whole.count == caches.count && caches.count == 1 {
                return causalSelfAttention(qkv, batch: 1, time: qkv.rows, heads: NH)
            }
            let a = Tensor(zeros: [qkv.rows, C])
            for s in whole {
                let y = causalSelfAttention(layout.rows(of: qkv, sequence: s), batch: 1, time: layout.counts[s], heads: NH)
                layout.write(y, sequence: s, into: a)
            }
            let fromCache = caches.indices.filter { !whole.contains($0) }
            attendCached(layer: l, queries: qkv.data, ldq: 3 * C, into: a, heads: NH, kvHeads: NH,
                         sequences: fromCache, caches, layout)
            return a
        }
    }

    /// Appends each sequence's k, v rows (row r at keys + r·stride) to its cache at layer `l`.
    private func store(layer l: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, stride: Int,
                       _ caches: [KVCache], _ layout: BatchLayout) {
        for (s, cache) in caches.enumerated() {
            let from = layout.starts[s] * stride
            cache.store(layer: l, at: layout.positions0[s], rows: layout.counts[s], keys: k + from, values: v + from, stride: stride)
        }
    }

    /// Attends the query rows (stride ldq) of `sequences` to their own cached prefixes, one task per
    /// (sequence, head); writes head h of row r at a + r·(NH·hs) + h·hs. The rows must be stored.
    private func attendCached(layer l: Int, queries q: UnsafePointer<Float>, ldq: Int, into a: Tensor, heads NH: Int,
                              kvHeads KVH: Int, sequences: [Int], _ caches: [KVCache], _ layout: BatchLayout) {
        guard !sequences.isEmpty else { return }
        let ldo = a.lastDimension, hs = ldo / NH, group = NH / KVH
        let longest = sequences.map { layout.positions0[$0] + layout.counts[$0] }.max()!
        Parallel.forEachChunk(sequences.count * NH) { pairs in
            let scratch = TensorStorage(count: longest)
            for pair in pairs {
                let s = sequences[pair / NH], h = pair % NH, r = layout.starts[s]
                caches[s].attend(layer: l, head: h / group, queries: q + r * ldq + h * hs, ldq: ldq,
                                 count: layout.counts[s], start: layout.positions0[s],
                                 out: a.data + r * ldo + h * hs, ldo: ldo, scratch: scratch.pointer)
            }
        }
    }
}

/// linear(x) in inference. One sequence takes the single-sequence path (`infer`: the stored matrix's
/// matvec or prefill product, else BLAS). Several: through the stored matrix, each sequence's rows by
/// the path they take alone (decode rows together through the one-row kernels, prompts through the
/// prefill product), so a batched sequence gets exactly its solo values; float weights go through the
/// few-row kernels for 2–8 rows, BLAS otherwise.
func cachedLinear(_ linear: Linear, _ x: Tensor, _ weights: InferenceWeights?, _ layout: BatchLayout) -> Tensor {
    if layout.counts.count == 1 { return infer(linear, x, weights) }
    if let weights, let name = linear.weight.name, let w = weights.matrices[name] {
        let K = x.lastDimension, N = w.outputs
        let out = Tensor(zeros: [x.rows, N])                                           // (N rows, out)
        var oneRowInputs: [Int] = []
        for s in layout.counts.indices {
            let start = layout.starts[s], count = layout.counts[s]
            if count < WeightMatrix.gemmRowThreshold { oneRowInputs += start..<start + count; continue }
            layout.write(w.apply(layout.rows(of: x, sequence: s), bias: linear.bias), sequence: s, into: out)
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

/// x (R, C) · Wᵀ row by row through the one-row (decode) kernels, as each row gets alone, with the
/// weight streamed once for all rows: for stored-format heads, whose one-row path differs from prefill.
func decodeRows(_ x: Tensor, _ w: WeightMatrix) -> Tensor {
    let K = x.lastDimension, N = w.outputs
    let out = Tensor(zeros: [x.rows, N])                                               // (R, N)
    w.matvec(many: (0..<x.rows).map { UnsafePointer(x.data + $0 * K) }, into: (0..<x.rows).map { out.data + $0 * N })
    return out
}
