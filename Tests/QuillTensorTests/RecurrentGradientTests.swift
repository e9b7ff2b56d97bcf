// Hand-written backward through time of the RNN / LSTM / GRU sequence ops against central finite
// differences (TestSupport's GradientCheck), from each output separately — every step's hidden state,
// the final hidden state and the LSTM's final cell — with and without biases and initial states,
// and through a two-layer stack.
import Testing
import QuillTensor
import TestSupport

@Suite("Recurrent op gradients vs finite differences")
struct RecurrentGradientTests {
    enum Which: String, CaseIterable { case output, hidden, cell }
    static let cells = ["rnn", "lstm", "gru"]

    /// One layer of `cell` over x (B, T, I) with H units; `full` adds biases and initial states.
    struct Layer {
        let cell: String, B: Int, T: Int, I: Int, H: Int, full: Bool
        let x: Tensor, wih: Tensor, whh: Tensor, bih: Tensor?, bhh: Tensor?, h0: Tensor?, c0: Tensor?

        init(_ cell: String, B: Int = 2, T: Int = 4, I: Int = 3, H: Int = 3, full: Bool, seed: UInt64) {
            let G = cell == "lstm" ? 4 : cell == "gru" ? 3 : 1
            self.cell = cell; self.B = B; self.T = T; self.I = I; self.H = H; self.full = full
            x = GradientCheck.random([B, T, I], seed: seed)
            wih = GradientCheck.random([G * H, I], std: 0.6, seed: seed + 1)
            whh = GradientCheck.random([G * H, H], std: 0.6, seed: seed + 2)
            bih = full ? GradientCheck.random([G * H], std: 0.5, seed: seed + 3) : nil
            bhh = full ? GradientCheck.random([G * H], std: 0.5, seed: seed + 4) : nil
            h0 = full ? GradientCheck.random([B, H], std: 0.7, seed: seed + 5) : nil
            c0 = full && cell == "lstm" ? GradientCheck.random([B, H], std: 0.7, seed: seed + 6) : nil
        }

        var inputs: [Tensor] { [x, wih, whh, bih, bhh, h0, c0].compactMap { $0 } }

        func run(_ x: Tensor) -> RecurrentOutput {
            switch cell {
            case "rnn": return rnnSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, initialHidden: h0, batch: B, time: T)
            case "gru": return gruSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh, initialHidden: h0, batch: B, time: T)
            default: return lstmSequence(x, weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh,
                                         initialHidden: h0, initialCell: c0, batch: B, time: T)
            }
        }
    }

    static let cases: [(String, Which, Bool)] = cells.flatMap { c in
        Which.allCases.filter { $0 != .cell || c == "lstm" }.flatMap { w in [(c, w, true), (c, w, false)] }
    }

    @Test(arguments: cases)
    func singleLayer(cell: String, which: Which, full: Bool) {
        let layer = Layer(cell, full: full, seed: 60)
        let bad = GradientCheck.mismatches(inputs: layer.inputs) {
            let r = layer.run(layer.x)
            switch which {
            case .output: return r.output
            case .hidden: return r.hidden
            case .cell: return r.cell!
            }
        }
        #expect(bad.isEmpty, "\(cell) \(which) full=\(full): \(bad.prefix(5))")
    }

    @Test(arguments: cells)
    func twoLayerStack(cell: String) {
        // Layer 2 reads layer 1's outputs, as a multi-layer nn.LSTM does; gradients reach layer 1's weights.
        let first = Layer(cell, B: 2, T: 3, I: 2, H: 3, full: true, seed: 70)
        let second = Layer(cell, B: 2, T: 3, I: 3, H: 2, full: true, seed: 80)
        let bad = GradientCheck.mismatches(inputs: first.inputs + second.inputs.dropFirst()) {
            second.run(first.run(first.x).output).output
        }
        #expect(bad.isEmpty, "\(cell) stack: \(bad.prefix(5))")
    }

    @Test(arguments: cells)
    func unitBlocksAcrossWorkersMatchOneWorker(cell: String) {
        // Wide enough that each step's 32-unit panels split across 4 workers; values and every
        // gradient must match the one-worker run (checked against PyTorch) to float rounding.
        let layer = Layer(cell, B: 11, T: 3, I: 5, H: 100, full: true, seed: 95)   // 4 panels, the last 4 wide
        func run(threads: Int) -> [[Float]] {
            Parallel.withThreadCount(threads) {
                for t in layer.inputs { t.requiresGrad = true; t.grad = nil }
                let tape = GradientTape()
                let r = tape.record { layer.run(layer.x) }
                r.hidden.ensureGrad().fill(0.5)
                r.cell?.ensureGrad().fill(-0.25)
                tape.backward(from: r.output, gradient: GradientCheck.random(r.output.shape, seed: 96))
                return [r.output.scalars, r.hidden.scalars] + layer.inputs.map { $0.grad!.scalars }
            }
        }
        let one = run(threads: 1), four = run(threads: 4)
        for (k, (a, b)) in zip(one, four).enumerated() {
            #expect(Fixtures.maxAbsoluteDifference(a, b) <= 1e-5, "\(cell) tensor \(k)")
        }
    }

    @Test func rowsLayoutMatchesBatchTimeLayout() {
        // (B·T, I) rows give the same values as (B, T, I), shaped (B·T, H).
        let layer = Layer("gru", full: true, seed: 90)
        let rows = Tensor(shape: [layer.B * layer.T, layer.I], scalars: layer.x.scalars)
        let a = layer.run(layer.x), b = layer.run(rows)
        #expect(b.output.shape == [layer.B * layer.T, layer.H])
        #expect(a.output.scalars == b.output.scalars)
    }
}
