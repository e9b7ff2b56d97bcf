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
    let H = s.H, BH = s.stateCount, step = B * 3 * H
    let xT = timeMajor(x, s)                                                  // (T·B, I)
    // b_hr and b_hz add to the gates as b_ir and b_iz do, so they join the input projection; b_hn
    // stays with h·W_hnᵀ, which the reset gate scales.
    let bias = Tensor(zeros: [3 * H])
    for b in [biasIH, biasHH].compactMap({ $0 }) { qk_add_inplace(bias.data, b.data, b === biasHH ? 2 * H : 3 * H) }
    let gates = projectInputs(xT, weightIH, biases: [bias], s)                // (T, B, 3H)
    let hn = TensorStorage(uninitializedCount: s.rows * H)                    // (T, B, H) h·W_hnᵀ + b_hn
    let hs = TensorStorage(uninitializedCount: (T + 1) * BH)                  // (T+1, B, H): h0, h_1 … h_T
    let hp = TensorStorage(uninitializedCount: step)                          // (B, 3H) this step's h·W_hhᵀ
    let biasN = biasHH.map { UnsafePointer($0.data + 2 * H) }
    let forwardWeight = packRecurrentWeight(weightHH, s, forward: true)
    loadState(hs.pointer, h0, s)
    for t in 0..<T {
        forEachUnitBlock(s) { j0, j1 in
            recurrentProduct(hp.pointer, hs.pointer + t * BH, forwardWeight, s, j0, j1, accumulate: false)
            qk_gru_step_forward(gates.pointer + t * step, hn.pointer + t * BH, hs.pointer + (t + 1) * BH, hp.pointer,
                                biasN, hs.pointer + t * BH, B, H, j0, j1)
        }
    }
    let y = batchMajorOutput(hs.pointer + BH, like: x, s)                     // (B, T, H)
    let hidden = stateTensor(hs.pointer + T * BH, s)

    GradientTape.recordIfNeeded(inputs: [x, weightIH, weightHH, biasIH, biasHH, h0], output: y) {
        let dyT = y.grad.map { timeMajor($0, s) }                             // (T, B, H) or none
        let dInputs = TensorStorage(uninitializedCount: s.rows * 3 * H)      // (T, B, 3H) d(x·W_ihᵀ + b_ih)
        let dHidden = TensorStorage(uninitializedCount: s.rows * 3 * H)      // (T, B, 3H) d(h·W_hhᵀ + b_hh)
        let dh = stateBuffer(hidden.grad, s)                                  // (B, H) dh_t
        let direct = TensorStorage(uninitializedCount: BH)                    // (B, H) dh_t·z_t, for dh_{t-1}
        let backwardWeight = packRecurrentWeight(weightHH, s, forward: false)
        for t in stride(from: T - 1, through: 0, by: -1) {
            forEachUnitBlock(s) { j0, j1 in
                if t < T - 1 {   // dh_t = dy_t + dh_{t+1}·z_{t+1} + dHidden_{t+1}·W_hh
                    for b in 0..<B { (dh.pointer + b * H + j0).update(from: direct.pointer + b * H + j0, count: j1 - j0) }
                    recurrentProductBackward(dh.pointer, dHidden.pointer + (t + 1) * step, backwardWeight, s, j0, j1, accumulate: true)
                }
                qk_gru_step_backward(dInputs.pointer + t * step, dHidden.pointer + t * step, direct.pointer,
                                     dyT.map { $0.pointer + t * BH }, dh.pointer, gates.pointer + t * step,
                                     hn.pointer + t * BH, hs.pointer + t * BH, B, H, j0, j1)
            }
        }
        accumulateRecurrentGradients(dInputs: dInputs.pointer, dHidden: dHidden.pointer, xT: xT, hPrev: hs.pointer,
                                     x: x, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, s)
        initialStateGradient(h0, direct, dHidden.pointer, weightHH, s, accumulate: true)
    }
    markStates(y, hidden)
    return RecurrentOutput(output: y, hidden: hidden, cell: nil, cellSequence: nil)
}
