// The recurrent sequence ops against torch.nn.RNN / LSTM / GRU (float64 reference, fixture written by
// Scripts/reference/recurrent_reference.py): outputs, final states and every gradient — inputs,
// weights, biases, initial states — of L = Σ output·r + Σ h_T·r_h (+ Σ c_T·r_c).
// Tolerance: |quill − torch| ≤ 1e-5 + 1e-4·|torch| per element (float32 against float64).
import Foundation
import Testing
import QuillTensor
import TestSupport

@Suite("Recurrent ops vs PyTorch")
struct RecurrentReferenceTests {
    static let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/recurrent_reference.safetensors")
    static let cases = ["rnn", "lstm", "gru"].flatMap { cell in ["full", "bare", "single"].map { (cell, $0) } }

    @Test(arguments: cases)
    func matchesTorch(cell: String, name: String) throws {
        let all = try Fixtures.tensors(Self.url)
        let p = "\(cell).\(name)."
        func t(_ key: String) -> Tensor? { all[p + key] }
        let shape = try Fixtures.integers(Self.url, p + "shape")
        let (B, T) = (shape[0], shape[1])
        let x = t("x")!, wih = t("weight_ih")!, whh = t("weight_hh")!, bih = t("bias_ih"), bhh = t("bias_hh")
        let h0 = t("h0"), c0 = t("c0")
        let inputs = [x, wih, whh, bih, bhh, h0, c0].compactMap { $0 }
        for input in inputs { input.requiresGrad = true }

        let tape = GradientTape()
        let result = tape.record { () -> RecurrentOutput in
            switch cell {
            case "rnn": return rnnSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, initialHidden: h0, batch: B, time: T)
            case "gru": return gruSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, initialHidden: h0, batch: B, time: T)
            default: return lstmSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh,
                                         initialHidden: h0, initialCell: c0, batch: B, time: T)
            }
        }
        expectClose(result.output, t("output")!, "\(p)output")
        expectClose(result.hidden, t("hidden")!, "\(p)hidden")
        if let cell = result.cell { expectClose(cell, t("cell")!, "\(p)cell") }
        #expect((result.cell == nil) == (t("cell") == nil))
        #expect(result.output.shape == [B, T, wih.shape[0] / (cell == "lstm" ? 4 : cell == "gru" ? 3 : 1)])

        // Seed the final states' gradients, then backward from the output with r_output.
        result.hidden.ensureGrad().data.update(from: t("r_hidden")!.data, count: result.hidden.count)
        if let c = result.cell { c.ensureGrad().data.update(from: t("r_cell")!.data, count: c.count) }
        tape.backward(from: result.output, gradient: t("r_output")!)
        let named: [(String, Tensor?)] = [("x", x), ("weight_ih", wih), ("weight_hh", whh), ("bias_ih", bih),
                                          ("bias_hh", bhh), ("h0", h0), ("c0", c0)]
        for (key, tensor) in named {
            guard let tensor else { continue }
            guard let grad = tensor.grad else { Issue.record("\(p)\(key) got no gradient"); continue }
            expectClose(grad, t("grad." + key)!, "\(p)grad.\(key)")
        }
    }

    @Test func truncatedBackpropagationCarriesStateWithoutGradient() {
        // Two windows with the state carried across (copied: no gradient) equal one long window forward.
        let B = 2, I = 3, H = 4
        let x = GradientCheck.random([B, 6, I], seed: 7), wih = GradientCheck.random([4 * H, I], std: 0.5, seed: 8)
        let whh = GradientCheck.random([4 * H, H], std: 0.5, seed: 9)
        let whole = lstmSequence(x, weightIH: wih, weightHH: whh, batch: B, time: 6)
        let first = Tensor(zeros: [B, 3, I]), second = Tensor(zeros: [B, 3, I])
        for b in 0..<B {
            first.data.advanced(by: b * 3 * I).update(from: x.data + b * 6 * I, count: 3 * I)
            second.data.advanced(by: b * 3 * I).update(from: x.data + b * 6 * I + 3 * I, count: 3 * I)
        }
        let a = lstmSequence(first, weightIH: wih, weightHH: whh, batch: B, time: 3)
        let tape = GradientTape()
        whh.requiresGrad = true
        let b = tape.record {
            lstmSequence(second, weightIH: wih, weightHH: whh, initialHidden: a.hidden.copy(), initialCell: a.cell!.copy(),
                         batch: B, time: 3)
        }
        expectClose(b.hidden, whole.hidden, "carried hidden")
        expectClose(b.cell!, whole.cell!, "carried cell")
        tape.backward(from: b.output, gradient: GradientCheck.random([B, 3, H], seed: 10))
        #expect(whh.grad != nil && a.hidden.grad == nil, "the carried state is a constant of the second window")
    }
}

/// Expects |a − e| ≤ 1e-5 + 1e-4·|e| element by element (a float32 op against a float64 reference).
func expectClose(_ actual: Tensor, _ expected: Tensor, _ label: String, absolute: Float = 1e-5, relative: Float = 1e-4) {
    #expect(actual.count == expected.count, "\(label): \(actual.shape) vs \(expected.shape)")
    guard actual.count == expected.count else { return }
    var worst: (Int, Float, Float)?
    var worstExcess: Float = 0
    for i in 0..<actual.count {
        let a = actual.data[i], e = expected.data[i]
        let excess = abs(a - e) - (absolute + relative * abs(e))
        if excess > worstExcess || a.isNaN { worstExcess = max(excess, worstExcess); worst = (i, a, e) }
    }
    #expect(worst == nil, "\(label)[\(worst?.0 ?? 0)]: quill \(worst?.1 ?? 0) vs reference \(worst?.2 ?? 0)")
}
