// relu and reshape: hand-derived values, and the hand-written backward against central finite
// differences (inputs kept ≥ 0.05 away from ReLU's kink, where a difference quotient is meaningless).
import Testing
import QuillTensor
import TestSupport

@Suite("ReLU and reshape")
struct ReLUReshapeTests {
    @Test func reluValues() {
        let x = Tensor(shape: [2, 3], scalars: [-2, 0, 3, 0.5, -0.25, 7])
        #expect(relu(x).scalars == [0, 0, 3, 0.5, 0, 7])
    }

    @Test func reluGradientIsTheStepFunction() {
        // Values ±(0.05 + k·0.1), none near 0: the gradient is 1 where positive, 0 elsewhere.
        var rng = RandomGenerator(seed: 31)
        let values: [Float] = (0..<40).map { i in (i % 2 == 0 ? 1 : -1) * (0.05 + Float(rng.next() % 30) * 0.1) }
        let x = Tensor(shape: [4, 10], scalars: values)
        let bad = GradientCheck.mismatches(inputs: [x]) { relu(x) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
        x.grad = nil
        let tape = GradientTape()
        let y = tape.record { relu(x) }
        tape.backward(from: y, gradient: Tensor(shape: [4, 10], scalars: [Float](repeating: 1, count: 40)))
        #expect(x.grad!.scalars == values.map { $0 > 0 ? 1 : 0 })
    }

    @Test func reshapeKeepsValuesAndRoutesGradients() {
        let x = GradientCheck.random([2, 3, 2, 2], seed: 32)
        let y = reshape(x, [2, 12])
        #expect(y.shape == [2, 12] && y.scalars == x.scalars)
        let w = GradientCheck.random([12, 4], seed: 33)
        let bad = GradientCheck.mismatches(inputs: [x, w]) { matmul(reshape(x, [2, 12]), w, layout: .inputByOutput) }
        #expect(bad.isEmpty, "\(bad.prefix(5))")
    }
}
