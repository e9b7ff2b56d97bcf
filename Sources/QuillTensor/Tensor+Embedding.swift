// Embedding gather (token and position tables), forward and scatter-add backward.

/// Rows of `table` (V, C) picked by `ids` → (ids.count, C). Ids are validated by callers
/// (models check them against the vocabulary and throw); here they are a programmer error.
public func embedding(_ ids: [Int32], table: Tensor) -> Tensor {
    let V = table.shape[0], C = table.lastDimension
    let y = Tensor(zeros: [ids.count, C])
    for (i, id) in ids.enumerated() {
        precondition(id >= 0 && Int(id) < V, "embedding: id \(id) outside table of \(V) rows")
        (y.data + i * C).update(from: table.data + Int(id) * C, count: C)
    }
    GradientTape.recordIfNeeded(inputs: [table], output: y) {
        guard let dy = y.grad else { return }
        let dt = table.ensureGrad()
        // Split over channels so threads never write the same element, even for repeated ids.
        Parallel.forEachChunk(C, minimumChunk: 64) { cols in
            for (i, id) in ids.enumerated() {
                let src = dy.data + i * C, dst = dt.data + Int(id) * C
                for j in cols { dst[j] += src[j] }
            }
        }
    }
    return y
}
