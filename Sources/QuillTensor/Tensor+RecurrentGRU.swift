// Gated recurrent unit over a whole sequence (Cho et al. 2014) exactly as torch.nn.GRU computes it:
// r, z = σ(x·W_iᵀ + b_i + h·W_hᵀ + b_h) per gate, n = tanh(x·W_inᵀ + b_in + r·(h·W_hnᵀ + b_hn)) —
// the reset gate scales the recurrent term after its bias, as PyTorch (and cuDNN) do — and
// h' = (1 − z)·n + z·h. The input projection of all steps is one BLAS product; backward is by hand.
import CQuillKernels

/// A GRU layer over x (B, T, I) — or (B·T, I) rows — from h0 (zeros when nil), returning every hidden
/// state (B, T, H) and the final h. Weights as nn.GRU's weight_ih_l0 (3H, I), weight_hh_l0 (3H, H),
/// bias_ih_l0 and bias_hh_l0 (3H), gates r, z, n. Gradients reach x, weights, biases and h0.
public func gruSequence(_ x: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor? = nil, biasHH: Tensor? = nil,
                        initialHidden h0: Tensor? = nil, batch B: Int, time T: Int) -> RecurrentOutput {
    let s = RecurrentShape("gruSequence", gates: 3, x: x, weightIH: weightIH, weightHH: weightHH,
                           biasIH: biasIH, biasHH: biasHH, states: [h0], batch: B, time: T)
    let H = s.H, BH = s.stateCount, G3 = 3 * H
    let xT = timeMajor(x, s)                                                  // (T·B, I)
    let gates = projectInputs(xT, weightIH, biases: [biasIH], s)              // (T, B, 3H) x·W_ihᵀ + b_ih
    let hn = TensorStorage(uninitializedCount: s.rows * H)                    // (T, B, H) h·W_hnᵀ + b_hn
    let hs = TensorStorage(uninitializedCount: (T + 1) * BH)                  // (T+1, B, H): h0, h_1 … h_T
    let hp = TensorStorage(uninitializedCount: B * G3)                        // (B, 3H) this step's h·W_hhᵀ + b_hh
    loadState(hs.pointer, h0, s)
    for t in 0..<T {
        matmulForward(hp.pointer, hs.pointer + t * BH, weightHH.data, biasHH.map { UnsafePointer($0.data) },
                      M: B, K: H, N: G3, layout: .outputByInput)
        Parallel.forEachChunk(B, minimumChunk: s.rowsPerChunk) { r in
            let o = r.lowerBound * H
            qk_gru_step_forward(gates.pointer + (t * B + r.lowerBound) * G3, hn.pointer + t * BH + o,
                                hs.pointer + (t + 1) * BH + o, hp.pointer + r.lowerBound * G3,
                                hs.pointer + t * BH + o, r.count, H)
        }
    }
    let y = batchMajorOutput(hs.pointer + BH, like: x, s)                     // (B, T, H)
    let hidden = stateTensor(hs.pointer + T * BH, s)

    GradientTape.recordIfNeeded(inputs: [x, weightIH, weightHH, biasIH, biasHH, h0], output: y) {
        let dyT = y.grad.map { timeMajor($0, s) }                             // (T, B, H) or none
        let dInputs = TensorStorage(uninitializedCount: s.rows * G3)         // (T, B, 3H) d(x·W_ihᵀ + b_ih)
        let dHidden = TensorStorage(uninitializedCount: s.rows * G3)         // (T, B, 3H) d(h·W_hhᵀ + b_hh)
        var dhNext = stateBuffer(hidden.grad, s), dhPrev = TensorStorage(uninitializedCount: BH)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let at = t * B * G3
            Parallel.forEachChunk(B, minimumChunk: s.rowsPerChunk) { r in
                let o = r.lowerBound * H, g = at + r.lowerBound * G3
                qk_gru_step_backward(dInputs.pointer + g, dHidden.pointer + g, dhPrev.pointer + o,
                                     dyT.map { $0.pointer + t * BH + o }, dhNext.pointer + o, gates.pointer + g,
                                     hn.pointer + t * BH + o, hs.pointer + t * BH + o, r.count, H)
            }
            backpropagateRecurrentProduct(dhPrev.pointer, dHidden.pointer + at, weightHH, s, accumulate: true)
            swap(&dhNext, &dhPrev)                                              // dh_{t-1}
        }
        accumulateRecurrentGradients(dInputs: dInputs.pointer, dHidden: dHidden.pointer, xT: xT, hPrev: hs.pointer,
                                     x: x, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, s)
        accumulateStateGradient(h0, dhNext.pointer, s)
    }
    markStates(y, hidden)
    return RecurrentOutput(output: y, hidden: hidden, cell: nil, cellSequence: nil)
}
