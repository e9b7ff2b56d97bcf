// Where each sequence's rows sit in the concatenated (N, ·) activations of an inference pass (one
// sequence, or several advanced together as in continuous batching), and copies of those row blocks.
// Legend: B sequences, N total new tokens.
import QuillTensor

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

    /// Sequence s's rows of x (N, C) as (count, C): x itself when they are all of it, else a copy.
    func rows(of x: Tensor, sequence s: Int) -> Tensor {
        if counts[s] == x.rows { return x }
        let C = x.lastDimension
        let out = Tensor(zeros: [counts[s], C])
        out.data.update(from: x.data + starts[s] * C, count: counts[s] * C)
        return out
    }

    /// Writes y (count, C) over sequence s's rows of `out` (N, C).
    func write(_ y: Tensor, sequence s: Int, into out: Tensor) {
        precondition(y.rows == counts[s] && y.lastDimension == out.lastDimension, "BatchLayout.write: rows do not fit")
        (out.data + starts[s] * out.lastDimension).update(from: y.data, count: y.count)
    }

    /// The last row of each sequence: (N, C) → (B, C).
    func lastRows(of x: Tensor) -> Tensor {
        let C = x.lastDimension
        let out = Tensor(zeros: [counts.count, C])
        for s in counts.indices { (out.data + s * C).update(from: x.data + (starts[s] + counts[s] - 1) * C, count: C) }
        return out
    }
}
