// Reverse-mode autograd: while a tape is recording, each op that touches a tensor needing
// gradients appends its hand-written backward closure; `backward(from:)` runs them in reverse.
// With no tape recording (inference), ops run the same kernels and record nothing.

/// Records backward steps of ops run inside `record { ... }`.
public final class GradientTape {
    private var steps: [() -> Void] = []
    /// The tape recording in the current task or thread, if any (task-local, so concurrent
    /// callers — tests, server requests — never see each other's tapes).
    @TaskLocal public static var current: GradientTape?

    public init() {}

    /// Runs `body` with this tape recording.
    public func record<R>(_ body: () throws -> R) rethrows -> R {
        try GradientTape.$current.withValue(self) { try body() }
    }

    /// Number of recorded backward steps.
    public var count: Int { steps.count }

    /// If a tape is recording and any input needs gradients, marks `output` as needing them
    /// and records `backward` (which reads `output.grad` and accumulates into the inputs' grads).
    public static func recordIfNeeded(inputs: [Tensor?], output: Tensor, backward: @escaping () -> Void) {
        guard let tape = current, inputs.contains(where: { $0?.requiresGrad == true }) else { return }
        output.requiresGrad = true
        tape.steps.append(backward)
    }

    /// Seeds d(loss) = `seed` (e.g. 1/accumulationSteps) and runs every step in reverse order.
    /// The tape is emptied afterwards, releasing saved activations.
    public func backward(from loss: Tensor, seed: Float = 1) {
        precondition(loss.count == 1, "backward(from:) needs a scalar loss, got shape \(loss.shape)")
        loss.ensureGrad().data[0] += seed
        for step in steps.reversed() { step() }
        steps.removeAll()
    }

    /// Backward from a non-scalar output: seeds `output.grad += gradient` (same shape) and runs
    /// every step in reverse. Used by gradient checks (loss = Σ output·gradient).
    public func backward(from output: Tensor, gradient: Tensor) {
        precondition(gradient.count == output.count, "backward: gradient shape \(gradient.shape) ≠ \(output.shape)")
        let g = output.ensureGrad()
        for i in 0..<g.count { g.data[i] += gradient.data[i] }
        for step in steps.reversed() { step() }
        steps.removeAll()
    }

    /// Drops recorded steps without running them.
    public func reset() { steps.removeAll() }
}
