// Finite-difference gradient checks for any op built on the tape: compares the hand-written
// backward with central differences of L = Σ f(inputs) · r for a fixed random r, with L
// accumulated in Double so float32 rounding in the sum does not swamp the difference.
import QuillTensor

public struct GradientMismatch: CustomStringConvertible {
    public let input: Int
    public let index: Int
    public let analytic: Float
    public let numeric: Float
    public var description: String { "input \(input)[\(index)]: analytic \(analytic) vs numeric \(numeric)" }
}

public enum GradientCheck {
    /// Returns every element whose analytic gradient differs from the central difference by more
    /// than `absoluteTolerance + relativeTolerance · max(|a|, |n|)`. Empty means the check passed.
    public static func mismatches(inputs: [Tensor], epsilon: Float = 1e-2,
                                  absoluteTolerance: Float = 2e-3, relativeTolerance: Float = 1e-2,
                                  seed: UInt64 = 1234, _ f: () -> Tensor) -> [GradientMismatch] {
        for t in inputs { t.requiresGrad = true; t.grad = nil }
        let tape = GradientTape()
        let y = tape.record(f)
        var rng = RandomGenerator(seed: seed)
        let r = Tensor(zeros: y.shape)
        r.fillNormal(std: 1, rng: &rng)
        tape.backward(from: y, gradient: r)

        func objective() -> Double {
            let out = f()
            var s = 0.0
            for i in 0..<out.count { s += Double(out.data[i]) * Double(r.data[i]) }
            return s
        }
        var bad: [GradientMismatch] = []
        for (k, t) in inputs.enumerated() {
            let analytic = t.grad?.scalars ?? [Float](repeating: 0, count: t.count)
            for i in 0..<t.count {
                let saved = t.data[i]
                t.data[i] = saved + epsilon
                let plus = objective()
                t.data[i] = saved - epsilon
                let minus = objective()
                t.data[i] = saved
                let numeric = Float((plus - minus) / Double(2 * epsilon))
                let a = analytic[i]
                if abs(a - numeric) > absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric)) {
                    bad.append(GradientMismatch(input: k, index: i, analytic: a, numeric: numeric))
                }
            }
        }
        return bad
    }

    /// A tensor of the given shape filled with N(0, std²) draws.
    public static func random(_ shape: [Int], std: Float = 1, seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let t = Tensor(zeros: shape)
        t.fillNormal(std: std, rng: &rng)
        return t
    }
}
