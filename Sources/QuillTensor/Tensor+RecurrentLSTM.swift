// Long short-term memory over a whole sequence (Hochreiter & Schmidhuber 1997, with the forget gate
// of Gers et al. 2000) exactly as torch.nn.LSTM computes it: gates i, f, g, o from
// x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh; c' = σf·c + σi·tanh g; h' = σo·tanh c'. One coarse op: the input
// projection of all steps is one BLAS product, each step adds only h·W_hhᵀ; backward through time is
// written by hand from the gate activations the forward keeps.
import CQuillKernels

/// An LSTM layer over x (B, T, I) — or (B·T, I) rows — from (h0, c0) (zeros when nil), returning every
/// hidden state (B, T, H) and the final (h, c). Weights as nn.LSTM's weight_ih_l0 (4H, I), weight_hh_l0
/// (4H, H), bias_ih_l0 and bias_hh_l0 (4H). Gradients reach x, weights, biases, h0 and c0, from the
/// output and from the final states. `keepCellSequence` also returns c after every step (no gradient).
public func lstmSequence(_ x: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor? = nil, biasHH: Tensor? = nil,
                         initialHidden h0: Tensor? = nil, initialCell c0: Tensor? = nil,
                         batch B: Int, time T: Int, keepCellSequence: Bool = false) -> RecurrentOutput {
    let s = RecurrentShape("lstmSequence", gates: 4, x: x, weightIH: weightIH, weightHH: weightHH,
                           biasIH: biasIH, biasHH: biasHH, states: [h0, c0], batch: B, time: T)
    let H = s.H, BH = s.stateCount, step = B * 4 * H
    let xT = timeMajor(x, s)                                                  // (T·B, I)
    let gates = projectInputs(xT, weightIH, biases: [biasIH, biasHH], s)      // (T, B, 4H) pre-activations
    let hs = TensorStorage(uninitializedCount: (T + 1) * BH)                  // (T+1, B, H): h0, h_1 … h_T
    let cs = TensorStorage(uninitializedCount: (T + 1) * BH)                  // (T+1, B, H): c0, c_1 … c_T
    let tanhC = TensorStorage(uninitializedCount: T * BH)                     // (T, B, H)
    let forwardWeight = packRecurrentWeight(weightHH, s, forward: true)
    loadState(hs.pointer, h0, s)
    loadState(cs.pointer, c0, s)
    for t in 0..<T {
        let g = gates.pointer + t * step
        forEachUnitBlock(s) { j0, j1 in
            recurrentProduct(g, hs.pointer + t * BH, forwardWeight, s, j0, j1, accumulate: true)     // += h_{t-1}·W_hhᵀ
            qk_lstm_step_forward(g, cs.pointer + (t + 1) * BH, tanhC.pointer + t * BH, hs.pointer + (t + 1) * BH,
                                 cs.pointer + t * BH, B, H, j0, j1)
        }
    }
    let y = batchMajorOutput(hs.pointer + BH, like: x, s)                     // (B, T, H)
    let hidden = stateTensor(hs.pointer + T * BH, s), cell = stateTensor(cs.pointer + T * BH, s)
    let cellSequence = keepCellSequence ? batchMajorOutput(cs.pointer + BH, like: x, s) : nil

    GradientTape.recordIfNeeded(inputs: [x, weightIH, weightHH, biasIH, biasHH, h0, c0], output: y) {
        let dyT = y.grad.map { timeMajor($0, s) }                             // (T, B, H) or none
        let dGates = TensorStorage(uninitializedCount: s.rows * 4 * H)       // (T, B, 4H)
        let dh = stateBuffer(hidden.grad, s), dc = stateBuffer(cell.grad, s) // (B, H) each
        let backwardWeight = packRecurrentWeight(weightHH, s, forward: false)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let dg = dGates.pointer + t * step
            forEachUnitBlock(s) { j0, j1 in
                // dh_t = dy_t + dGates_{t+1}·W_hh (the final state's gradient at t = T−1)
                if t < T - 1 { recurrentProductBackward(dh.pointer, dg + step, backwardWeight, s, j0, j1, accumulate: false) }
                qk_lstm_step_backward(dg, dc.pointer, dyT.map { $0.pointer + t * BH }, dh.pointer,
                                      gates.pointer + t * step, cs.pointer + t * BH, tanhC.pointer + t * BH, B, H, j0, j1)
            }
        }
        accumulateRecurrentGradients(dInputs: dGates.pointer, dHidden: dGates.pointer, xT: xT, hPrev: hs.pointer,
                                     x: x, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, s)
        initialStateGradient(h0, dh, dGates.pointer, weightHH, s, accumulate: false)
        accumulateStateGradient(c0, dc.pointer, s)
    }
    markStates(y, hidden, cell)
    return RecurrentOutput(output: y, hidden: hidden, cell: cell, cellSequence: cellSequence)
}
