// Float parameters an inference load has not filled yet. A GGUF model runs its matmuls on WeightMatrix
// views into the mapped file, so the float copies (GPT-2's transposed Conv1D weights, dequantized
// tables) are only built when something reads them: training, re-quantizing, export, namedParameters.
import Foundation
import QuillNN
import QuillTensor

/// The fills still owed to a model's float parameters, and the rows that stand in for a pending
/// token-embedding table meanwhile.
final class PendingParameters: @unchecked Sendable {
    private let lock = NSLock()
    private var fills: [() -> Void] = []
    /// The token embedding in its stored format, read row by row while its float table is pending.
    private var embeddingRows: WeightMatrix?

    /// Registers `fill`, which writes every element of a parameter whose storage is still a placeholder.
    func add(_ fill: @escaping () -> Void) {
        lock.withLock { fills.append(fill) }
    }

    /// Lets `embed` read token rows from `rows` (V, C) until the float table is materialized.
    func setEmbeddingRows(_ rows: WeightMatrix) {
        lock.withLock { embeddingRows = rows }
    }

    var isEmpty: Bool { lock.withLock { fills.isEmpty } }

    /// Runs every owed fill once (in parallel: each writes its own tensor).
    func materialize() {
        lock.withLock {
            guard !fills.isEmpty else { return }
            let work = fills
            Parallel.forEachChunk(work.count, minimumChunk: 1) { r in for i in r { work[i]() } }
            fills = []
            embeddingRows = nil
        }
    }

    /// (n, C) embeddings of `ids`: from the float table, or dequantized rows while it is pending.
    func embed(_ ids: [Int32], table: Embedding) -> Tensor {
        guard let rows = lock.withLock({ embeddingRows }) else { return table(ids) }
        let C = rows.inputs
        let out = Tensor(shape: [ids.count, C], storage: TensorStorage(uninitializedCount: ids.count * C))
        for (i, id) in ids.enumerated() {
            let r = Int(id)
            precondition(r >= 0 && r < rows.outputs, "embedding: id \(r) outside 0..<\(rows.outputs)")
            rows.dequantizeRows(r..<r + 1, into: out.data + i * C)
        }
        return out
    }
}

extension GPT {
    /// Fills any float parameters an inference load left pending (a no-op otherwise). namedParameters,
    /// the training forward, `quantize(to:)` and export call it; call it before reading `wte.weight`
    /// or a Linear's weight directly on a model from `GGUFCheckpoint.load(url:forInference: true)`.
    public func materialize() { pending.materialize() }

    /// Whether every float parameter holds its value (false after an inference load, until `materialize()`).
    public var isMaterialized: Bool { pending.isEmpty }
}

extension Llama {
    /// Fills any float parameters an inference load left pending (a no-op otherwise); see GPT's.
    public func materialize() { pending.materialize() }

    /// Whether every float parameter holds its value (false after an inference load, until `materialize()`).
    public var isMaterialized: Bool { pending.isEmpty }
}
