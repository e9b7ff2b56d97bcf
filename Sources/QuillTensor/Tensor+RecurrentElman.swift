// The Elman recurrent network over a whole sequence (Elman 1990) as torch.nn.RNN computes it with its
// default tanh: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh). The input projection of all steps is one
// BLAS product, each step adds h·W_hhᵀ; backward through time is by hand from the kept states.
import CQuillKernels

/// A tanh RNN layer over x (B, T, I) — or (B·T, I) rows — from h0 (zeros when nil), returning every
/// hidden state (B, T, H) and the final h. Weights as nn.RNN's weight_ih_l0 (H, I), weight_hh_l0 (H, H),
/// bias_ih_l0 and bias_hh_l0 (H). Gradients reach x, weights, biases and h0.
public func rnnSequence(_ x: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor? = nil, biasHH: Tensor? = nil,
                        initialHidden h0: Tensor? = nil, batch B: Int, time T: Int) -> RecurrentOutput {
    let s = RecurrentShape("rnnSequence", gates: 1, x: x, weightIH: weightIH, weightHH: weightHH,
                           biasIH: biasIH, biasHH: biasHH, states: [h0], batch: B, time: T)
    let H = s.H, BH = s.stateCount
    let xT = timeMajor(x, s)                                                  // (T·B, I)
    let pre = projectInputs(xT, weightIH, biases: [biasIH, biasHH], s)        // (T, B, H) pre-activations
    let hs = TensorStorage(uninitializedCount: (T + 1) * BH)                  // (T+1, B, H): h0, h_1 … h_T
    let forwardWeight = packRecurrentWeight(weightHH, s, forward: true)
    loadState(hs.pointer, h0, s)
    for t in 0..<T {
        let a = pre.pointer + t * BH
        forEachUnitBlock(s) { j0, j1 in
            recurrentProduct(a, hs.pointer + t * BH, forwardWeight, s, j0, j1, accumulate: true)     // += h_{t-1}·W_hhᵀ
            qk_rnn_step_forward(hs.pointer + (t + 1) * BH, a, B, H, j0, j1)
        }
    }
    let y = batchMajorOutput(hs.pointer + BH, like: x, s)                     // (B, T, H)
    let hidden = stateTensor(hs.pointer + T * BH, s)

    GradientTape.recordIfNeeded(inputs: [x, weightIH, weightHH, biasIH, biasHH, h0], output: y) {
        let dyT = y.grad.map { timeMajor($0, s) }                             // (T, B, H) or none
        let dPre = TensorStorage(uninitializedCount: s.rows * H)             // (T, B, H)
        let dh = stateBuffer(hidden.grad, s)                                  // (B, H)
        let backwardWeight = packRecurrentWeight(weightHH, s, forward: false)
        for t in stride(from: T - 1, through: 0, by: -1) {
            let da = dPre.pointer + t * BH
            forEachUnitBlock(s) { j0, j1 in
                if t < T - 1 { recurrentProductBackward(dh.pointer, da + BH, backwardWeight, s, j0, j1, accumulate: false) }
                qk_rnn_step_backward(da, hs.pointer + (t + 1) * BH, dyT.map { $0.pointer + t * BH }, dh.pointer, B, H, j0, j1)
            }
        }
        accumulateRecurrentGradients(dInputs: dPre.pointer, dHidden: dPre.pointer, xT: xT, hPrev: hs.pointer,
                                     x: x, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, s)
        initialStateGradient(h0, dh, dPre.pointer, weightHH, s, accumulate: false)
    }
    markStates(y, hidden)
    return RecurrentOutput(output: y, hidden: hidden, cell: nil, cellSequence: nil)
}
