// What the recurrent sequence ops share (Tensor+RecurrentElman/LSTM/GRU.swift): the result type, the
// shape checks, the batch-major ↔ time-major reorderings and the input projection of all T steps in
// one product. Weights are laid out as torch.nn.RNN / LSTM / GRU keep them (weight_ih_l0 ...).
// Legend: B batch, T time, I input features, H hidden units, G gates (1 RNN, 3 GRU, 4 LSTM).
import CQuillKernels

/// The result of a recurrent op over a whole sequence.
public struct RecurrentOutput {
    /// The hidden state after every step: the input's leading dimensions + [H], (B, T, H) or (B·T, H).
    public let output: Tensor
    /// The hidden state after the last step, (B, H).
    public let hidden: Tensor
    /// The LSTM cell state after the last step, (B, H); nil for RNN and GRU.
    public let cell: Tensor?
    /// The LSTM cell state after every step, (B, T, H), when the caller asked for it (an inference
    /// cache keeps it per position). No gradient flows through it.
    public let cellSequence: Tensor?
}

/// Checked sizes of one recurrent op call.
struct RecurrentShape {
    let B: Int, T: Int, I: Int, H: Int, G: Int
    var rows: Int { B * T }
    var stateCount: Int { B * H }

    /// Traps (programmer error: models validate what users control) unless every tensor fits.
    init(_ op: String, gates G: Int, x: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?,
         states: [Tensor?], batch B: Int, time T: Int) {
        precondition(B >= 1 && T >= 1, "\(op): batch \(B) and time \(T) must be positive")
        precondition(x.rows == B * T, "\(op): input \(x.shape) does not hold B·T = \(B * T) rows")
        precondition(weightHH.shape.count == 2 && weightHH.shape[0] % G == 0, "\(op): weight_hh \(weightHH.shape) is not (\(G)·H, H)")
        let H = weightHH.shape[0] / G, I = x.lastDimension
        precondition(weightHH.shape == [G * H, H], "\(op): weight_hh \(weightHH.shape) is not (\(G)·H, H)")
        precondition(weightIH.shape == [G * H, I], "\(op): weight_ih \(weightIH.shape) is not (\(G * H), \(I))")
        for b in [biasIH, biasHH] { precondition(b == nil || b!.count == G * H, "\(op): a bias is not \(G * H) long") }
        for s in states { precondition(s == nil || s!.count == B * H, "\(op): an initial state is not (B, H) = (\(B), \(H))") }
        self.B = B; self.T = T; self.I = I; self.H = H; self.G = G
    }

    /// 32-unit panels of the hidden state.
    var panels: Int { (H + 31) / 32 }
    /// Panels per worker in a step: enough multiply-adds (B·G·H·32 per panel) to beat a region's start.
    var panelsPerChunk: Int { max(1, (1 << 16) / max(1, B * G * H * 32)) }
}

/// src (outer, inner, W) → dst (inner, outer, W): batch-major (B, T, W) to time-major (T, B, W) and back.
func reorderRows(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, outer: Int, inner: Int, width W: Int,
                 accumulate: Bool = false) {
    for o in 0..<outer {
        for i in 0..<inner {
            let from = src + (o * inner + i) * W, to = dst + (i * outer + o) * W
            if accumulate { qk_add_inplace(to, from, W) } else { to.update(from: from, count: W) }
        }
    }
}

/// A tensor's values reordered from (B, T, W) to (T, B, W).
func timeMajor(_ t: Tensor, _ s: RecurrentShape) -> TensorStorage {
    let W = t.lastDimension
    let out = TensorStorage(uninitializedCount: s.rows * W)
    reorderRows(out.pointer, t.data, outer: s.B, inner: s.T, width: W)
    return out
}

/// A (T, B, H) block of time-major states as a new batch-major tensor shaped like the input + [H].
func batchMajorOutput(_ src: UnsafePointer<Float>, like x: Tensor, _ s: RecurrentShape) -> Tensor {
    let y = Tensor(shape: Array(x.shape.dropLast()) + [s.H], storage: TensorStorage(uninitializedCount: s.rows * s.H))
    reorderRows(y.data, src, outer: s.T, inner: s.B, width: s.H)
    return y
}

/// A (B, H) tensor holding a copy of `count` floats.
func stateTensor(_ src: UnsafePointer<Float>, _ s: RecurrentShape) -> Tensor {
    let t = Tensor(shape: [s.B, s.H], storage: TensorStorage(uninitializedCount: s.stateCount))
    t.data.update(from: src, count: s.stateCount)
    return t
}

/// xT (T·B, I) · W_ihᵀ + Σ biases → (T·B, G·H): every step's input projection in one BLAS product.
func projectInputs(_ xT: TensorStorage, _ weightIH: Tensor, biases: [Tensor?], _ s: RecurrentShape) -> TensorStorage {
    let N = s.G * s.H
    let present = biases.compactMap { $0 }
    var bias: TensorStorage?
    if !present.isEmpty {
        let sum = TensorStorage(count: N)
        for b in present { qk_add_inplace(sum.pointer, b.data, N) }
        bias = sum
    }
    let out = TensorStorage(uninitializedCount: s.rows * N)
    matmulForward(out.pointer, xT.pointer, weightIH.data, bias.map { UnsafePointer($0.pointer) },
                  M: s.rows, K: s.I, N: N, layout: .outputByInput)
    return out
}

/// Runs `body(j0, j1)` for blocks of hidden units (whole 32-unit panels) across the workers: one
/// parallel region per step, in which each worker runs its share of the step's product and then the
/// pointwise step on the same units, so a step costs one synchronisation.
func forEachUnitBlock(_ s: RecurrentShape, _ body: (Int, Int) -> Void) {
    Parallel.forEachChunk(s.panels, minimumChunk: s.panelsPerChunk) { r in
        body(r.lowerBound * recurrentPanel, min(s.H, r.upperBound * recurrentPanel))
    }
}

/// Units per packed panel (CQuillKernels/kernels_recurrent_gemm.c).
let recurrentPanel = 32

/// W_hh packed once per call for the per-step products: `forward` for h·W_hhᵀ (each gate's (H, H)
/// block as panels over its H outputs), `backward` for dGates·W_hh (panels over H outputs, K = G·H).
func packRecurrentWeight(_ weightHH: Tensor, _ s: RecurrentShape, forward: Bool) -> TensorStorage {
    let perGate = s.panels * s.H * recurrentPanel
    let panels = TensorStorage(uninitializedCount: s.G * perGate)
    if forward {
        for q in 0..<s.G {
            qk_recurrent_pack(panels.pointer + q * perGate, weightHH.data + q * s.H * s.H, s.H, 1, s.H, s.H)
        }
    } else {
        qk_recurrent_pack(panels.pointer, weightHH.data, s.H, 0, s.G * s.H, s.H)
    }
    return panels
}

/// out[:, q·H + j] (+)= hPrev (B, H) · W_hh[q·H + j, :]ᵀ for j in j0..<j1 and every gate q: a worker's
/// share of the product each step cannot hoist out of the loop (`packed` from packRecurrentWeight).
@inline(__always)
func recurrentProduct(_ out: UnsafeMutablePointer<Float>, _ hPrev: UnsafePointer<Float>, _ packed: TensorStorage,
                      _ s: RecurrentShape, _ j0: Int, _ j1: Int, accumulate: Bool) {
    let p0 = j0 / recurrentPanel, p1 = (j1 + recurrentPanel - 1) / recurrentPanel
    for q in 0..<s.G {
        qk_recurrent_gemm(out + q * s.H, s.G * s.H, hPrev, s.H, packed.pointer + q * s.panels * s.H * recurrentPanel,
                          s.B, s.H, s.H, p0, p1, accumulate ? 1 : 0)
    }
}

/// dh[:, j0..<j1] (+)= dGates (B, G·H) · W_hh[:, j0..<j1]: the gradient reaching the previous state
/// through the recurrent product, for one worker's units (`packed` from packRecurrentWeight).
@inline(__always)
func recurrentProductBackward(_ dh: UnsafeMutablePointer<Float>, _ dGates: UnsafePointer<Float>, _ packed: TensorStorage,
                              _ s: RecurrentShape, _ j0: Int, _ j1: Int, accumulate: Bool) {
    let p0 = j0 / recurrentPanel, p1 = (j1 + recurrentPanel - 1) / recurrentPanel
    qk_recurrent_gemm(dh, s.H, dGates, s.G * s.H, packed.pointer, s.B, s.G * s.H, s.H, p0, p1, accumulate ? 1 : 0)
}

/// The gradient of the initial state, dh0 (B, H) = dGates_0 (B, G·H) · W_hh (+ dh0's direct part
/// already in `dh`), added to h0's gradient when it wants one.
func initialStateGradient(_ h0: Tensor?, _ dh: TensorStorage, _ dGates: UnsafePointer<Float>, _ weightHH: Tensor,
                          _ s: RecurrentShape, accumulate: Bool) {
    guard let h0, h0.requiresGrad else { return }
    BLAS.sgemm(transposeA: false, transposeB: false, m: s.B, n: s.H, k: s.G * s.H, a: dGates, lda: s.G * s.H,
               b: weightHH.data, ldb: s.H, beta: accumulate ? 1 : 0, c: dh.pointer, ldc: s.H)
    qk_add_inplace(h0.ensureGrad().data, dh.pointer, s.stateCount)
}

/// After the time loop of a backward pass: dW_ih, db_ih and dx from dInputs (T·B, G·H); dW_hh and db_hh
/// from dHidden (T·B, G·H) against hPrev (T·B, H), the state each step started from — a few large
/// products over all steps at once instead of T small ones.
func accumulateRecurrentGradients(dInputs: UnsafePointer<Float>, dHidden: UnsafePointer<Float>,
                                  xT: TensorStorage, hPrev: UnsafePointer<Float>, x: Tensor,
                                  weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?,
                                  _ s: RecurrentShape) {
    let N = s.G * s.H
    let dxT = x.requiresGrad ? TensorStorage(count: s.rows * s.I) : nil
    matmulBackward(dx: dxT?.pointer, dw: weightIH.requiresGrad ? weightIH.ensureGrad().data : nil,
                   db: biasIH?.requiresGrad == true ? biasIH!.ensureGrad().data : nil,
                   dy: dInputs, x: xT.pointer, w: weightIH.data, M: s.rows, K: s.I, N: N, layout: .outputByInput)
    matmulBackward(dx: nil, dw: weightHH.requiresGrad ? weightHH.ensureGrad().data : nil,
                   db: biasHH?.requiresGrad == true ? biasHH!.ensureGrad().data : nil,
                   dy: dHidden, x: hPrev, w: weightHH.data, M: s.rows, K: s.H, N: N, layout: .outputByInput)
    if let dxT { reorderRows(x.ensureGrad().data, dxT.pointer, outer: s.T, inner: s.B, width: s.I, accumulate: true) }
}

/// Adds a (B, H) state gradient into an initial state's gradient, when it wants one.
func accumulateStateGradient(_ state: Tensor?, _ gradient: UnsafePointer<Float>, _ s: RecurrentShape) {
    guard let state, state.requiresGrad else { return }
    qk_add_inplace(state.ensureGrad().data, gradient, s.stateCount)
}

/// A (B, H) buffer holding `t`'s values, or zeros when `t` is nil.
func stateBuffer(_ t: Tensor?, _ s: RecurrentShape) -> TensorStorage {
    let out = TensorStorage(count: s.stateCount)
    if let t { out.pointer.update(from: t.data, count: s.stateCount) }
    return out
}

/// Writes an initial state (B, H) into `slot`, or zeros when there is none.
func loadState(_ slot: UnsafeMutablePointer<Float>, _ t: Tensor?, _ s: RecurrentShape) {
    if let t { slot.update(from: t.data, count: s.stateCount) } else { slot.initialize(repeating: 0, count: s.stateCount) }
}

/// Marks the final-state tensors as carrying gradients when the op was recorded on the tape.
func markStates(_ output: Tensor, _ states: Tensor?...) {
    for s in states { s?.requiresGrad = output.requiresGrad }
}
