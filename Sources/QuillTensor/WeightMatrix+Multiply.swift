// y = x · Wᵀ (+ b) for a WeightMatrix. Decode (a few rows of x): matrix × vector with rows split
// over the workers, the block formats quantizing x first (per 32-block, or to Q8_K for the k-quants).
// Prefill (many rows): the int8 GEMMs (WeightMatrix+Int8Gemm.swift), else BLAS sgemm on the F32 rows
// directly or on F32 panels dequantized from the stored blocks per worker.
import CQuillKernels

/// Which kernel family runs a product; `.best` picks the fastest this CPU supports.
public enum KernelISA: Int32, Sendable, CaseIterable {
    case best = -1, scalar = 0, avx2 = 1, avx512 = 2

    /// The level `.best` resolves to here.
    public static var available: KernelISA { KernelISA(rawValue: qk_quant_best_isa()) ?? .scalar }
}

/// A K-element activation quantized for a block format's kernels: per 32-block (q, d, corr; see
/// qk_quantize_activation), or for the k-quants as Q8_K super-blocks, whose bytes `q` points at
/// (qk_quantize_activation_q8k; d and corr unused).
public final class QuantizedActivation {
    public let count: Int
    public let q: UnsafeMutablePointer<Int8>
    public let d: UnsafeMutablePointer<Float>
    public let corr: UnsafeMutablePointer<Int32>

    /// x quantized per 32-block (the Q8_0 … IQ4_NL activation).
    public convenience init(_ x: UnsafePointer<Float>, count K: Int) { self.init(x, count: K, for: .q8_0) }

    /// x quantized as `type`'s kernels read it.
    public init(_ x: UnsafePointer<Float>, count K: Int, for type: WeightType) {
        count = K
        if type.isKQuant {
            q = UnsafeMutableRawPointer.allocate(byteCount: max(64, qk_activation_q8k_bytes(K)), alignment: 64)
                .bindMemory(to: Int8.self, capacity: qk_activation_q8k_bytes(K))
            d = .allocate(capacity: 1)
            corr = .allocate(capacity: 1)
            qk_quantize_activation_q8k(q, x, 1, K, KernelISA.best.rawValue)
        } else {
            q = .allocate(capacity: max(1, K))
            d = .allocate(capacity: max(1, K / 32))
            corr = .allocate(capacity: max(1, K / 32 * 8))
            qk_quantize_activation(q, d, corr, x, K)
        }
    }

    deinit {
        q.deallocate(); d.deallocate(); corr.deallocate()
    }
}

extension WeightMatrix {
    /// Rows of x at or above this count go through the sgemm (prefill) path.
    public static let gemmRowThreshold = 4
    /// Output rows dequantized per F32 panel in the prefill path (≈ 1.5 MB of panel at K = 768).
    static let panelRows = 512

    /// y = x · Wᵀ (+ bias): x (..., inputs) → y (..., outputs).
    public func apply(_ x: Tensor, bias: Tensor? = nil, isa: KernelISA = .best) -> Tensor {
        precondition(x.lastDimension == inputs, "WeightMatrix.apply: input has \(x.lastDimension) features, weight has \(inputs)")
        if let bias { precondition(bias.count == outputs, "WeightMatrix.apply: bias has \(bias.count) elements, need \(outputs)") }
        let M = x.rows, N = outputs, K = inputs
        let y = Tensor(zeros: Array(x.shape.dropLast()) + [N])
        if M < Self.gemmRowThreshold {
            for i in 0..<M { matvec(x.data + i * K, into: y.data + i * N, isa: isa) }
        } else {
            gemm(x.data, rows: M, into: y.data, isa: isa)
        }
        if let bias { for i in 0..<M { qk_add_inplace(y.data + i * N, bias.data, N) } }
        return y
    }

    /// y (outputs) = W · x (inputs), output rows split over the `Parallel` workers.
    public func matvec(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, isa: KernelISA = .best) {
        if outputOrder != nil {
            reordering(rows: 1, into: y) { stored in matvec(storedOrder: x, into: stored, isa: isa) }
        } else {
            matvec(storedOrder: x, into: y, isa: isa)
        }
    }

    /// `matvec` with outputs in stored row order.
    func matvec(storedOrder x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, isa: KernelISA) {
        let activation = type.isQuantized ? QuantizedActivation(x, count: inputs, for: type) : nil
        forEachWorkerRows { lo, hi in
            qk_matvec_rows(y + lo, base + lo * rowBytes, Int32(type.rawValue), hi - lo, inputs, x,
                           activation?.q, activation?.d, activation?.corr, isa.rawValue)
        }
        withExtendedLifetime(activation) {}
    }

    /// Calls `body(lo, hi)` for one contiguous range of output rows per worker (one worker for a
    /// matrix under 64 KB, where the split costs more than it saves).
    private func forEachWorkerRows(_ body: (Int, Int) -> Void) {
        let workers = byteCount < 1 << 16 ? 1 : Parallel.threadCount
        let per = (outputs + workers - 1) / workers
        Parallel.forEachChunk(workers) { chunk in
            for c in chunk {
                let lo = c * per, hi = min(outputs, lo + per)
                if lo < hi { body(lo, hi) }
            }
        }
    }

    /// ys[s] = W · xs[s] for the decode rows of a batch: each weight row is read from memory once for all
    /// activations (qk_matvec_rows_many), through the same per-row arithmetic as `matvec`, so every ys[s] is
    /// bit-identical to `matvec(xs[s])` alone.
    public func matvec(many xs: [UnsafePointer<Float>], into ys: [UnsafeMutablePointer<Float>], isa: KernelISA = .best) {
        precondition(xs.count == ys.count, "WeightMatrix.matvec(many:): \(xs.count) inputs, \(ys.count) outputs")
        if xs.count <= 1 {
            if let x = xs.first { matvec(x, into: ys[0], isa: isa) }
            return
        }
        if outputOrder != nil {
            let stored = TensorStorage(count: xs.count * outputs)
            matvec(many: xs, storedOrder: (0..<xs.count).map { stored.pointer + $0 * outputs }, isa: isa)
            for (s, y) in ys.enumerated() { reorder(stored.pointer + s * outputs, into: y) }
            return
        }
        matvec(many: xs, storedOrder: ys, isa: isa)
    }

    /// `matvec(many:)` with outputs in stored row order.
    func matvec(many xs: [UnsafePointer<Float>], storedOrder ys: [UnsafeMutablePointer<Float>], isa: KernelISA) {
        let activations = type.isQuantized ? xs.map { QuantizedActivation($0, count: inputs, for: type) } : nil
        let xp: [UnsafePointer<Float>?] = xs
        let aq: [UnsafePointer<Int8>?]? = activations?.map { UnsafePointer($0.q) }
        let ad: [UnsafePointer<Float>?]? = activations?.map { UnsafePointer($0.d) }
        let corr: [UnsafePointer<Int32>?]? = activations?.map { UnsafePointer($0.corr) }
        forEachWorkerRows { lo, hi in
            let yp: [UnsafeMutablePointer<Float>?] = ys.map { $0 + lo }
            qk_matvec_rows_many(yp, base + lo * rowBytes, Int32(type.rawValue), hi - lo, inputs, xp,
                                aq, ad, corr, xs.count, isa.rawValue)
        }
        withExtendedLifetime(activations) {}
    }

    /// y (M, outputs) = x (M, inputs) · Wᵀ, overwriting y: the int8 GEMM for the block formats where
    /// enabled (`int8GemmEnabled`), otherwise sgemm on F32 weights or on dequantized panels.
    public func gemm(_ x: UnsafePointer<Float>, rows M: Int, into y: UnsafeMutablePointer<Float>, isa: KernelISA = .best) {
        if outputOrder != nil {
            reordering(rows: M, into: y) { stored in
                if type.isQuantized && Self.int8GemmEnabled { int8Gemm(x, rows: M, into: stored, isa: isa) } else { sgemm(x, rows: M, into: stored) }
            }
        } else if type.isQuantized && Self.int8GemmEnabled {
            int8Gemm(x, rows: M, into: y, isa: isa)
        } else {
            sgemm(x, rows: M, into: y)
        }
    }

    /// y (M, outputs) = x (M, inputs) · Wᵀ through sgemm (dequantizing non-F32 weights), overwriting y;
    /// outputs in stored row order (`gemm` applies `outputOrder`).
    public func sgemm(_ x: UnsafePointer<Float>, rows M: Int, into y: UnsafeMutablePointer<Float>) {
        let N = outputs, K = inputs
        if type == .f32 {
            BLAS.sgemm(transposeA: false, transposeB: true, m: M, n: N, k: K, a: x, lda: K,
                       b: base.assumingMemoryBound(to: Float.self), ldb: K, beta: 0, c: y, ldc: N)
            return
        }
        // Each worker owns a range of output columns and reuses one F32 panel for its slices of rows.
        Parallel.forEachChunk(N, minimumChunk: 64) { cols in
            let rows = min(Self.panelRows, cols.count)
            let panel = TensorStorage(count: rows * K)
            var lo = cols.lowerBound
            while lo < cols.upperBound {
                let hi = min(cols.upperBound, lo + rows)
                qk_dequantize_rows(panel.pointer, base + lo * rowBytes, Int32(type.rawValue), hi - lo, K)   // (hi − lo, K)
                BLAS.sgemmSerial(transposeA: false, transposeB: true, m: M, n: hi - lo, k: K, a: x, lda: K,
                                 b: panel.pointer, ldb: K, beta: 0, c: y + lo, ldc: N)
                lo = hi
            }
        }
    }

    /// `body` writes M rows of outputs in stored order into scratch; y gets them in output order.
    func reordering(rows M: Int, into y: UnsafeMutablePointer<Float>, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let stored = TensorStorage(count: M * outputs)
        body(stored.pointer)
        for i in 0..<M { reorder(stored.pointer + i * outputs, into: y + i * outputs) }
    }

    /// y[r] = stored[outputOrder[r]] for one row of outputs.
    func reorder(_ stored: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        guard let order = outputOrder else { y.update(from: stored, count: outputs); return }
        for r in 0..<outputs { y[r] = stored[order[r]] }
    }
}
