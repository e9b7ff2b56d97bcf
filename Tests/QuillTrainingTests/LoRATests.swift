// The LoRA op against PEFT: Scripts/reference/lora_linear_reference.py runs PEFT's LoRA Linear
// (r 3, alpha 6, plain and rsLoRA) with fixed nonzero A and B; Quill's Linear with a LoRAAdapter must
// give the same outputs and gradients of x, lora_A and lora_B (float32; tolerance below). The new
// `scaled` op's backward is checked by finite differences, and a fresh adapter (B = 0) changes nothing.
import Foundation
import Testing
import QuillFormats
import QuillNN
import QuillTensor
import TestSupport

@Suite("LoRA")
struct LoRATests {
    static let reference = Fixtures.repositoryRoot
        .appendingPathComponent("Tests/QuillTrainingTests/Fixtures/lora_linear/reference.safetensors")
    /// Largest absolute difference (values are O(1–10)).
    static let tolerance: Float = 1e-4

    @Test(arguments: ["plain", "rs"])
    func forwardAndBackwardMatchPEFT(tag: String) throws {
        let t = try Fixtures.tensors(Self.reference)
        let w = t["w"]!, x = t["x"]!
        let linear = Linear(inputs: 5, outputs: 6, bias: true, layout: .outputByInput, name: "proj") { name, _ in
            name == "proj.weight" ? Tensor(shape: w.shape, scalars: w.scalars) : Tensor(shape: [6], scalars: t["bias"]!.scalars)
        }
        var rng = RandomGenerator(seed: 1)
        let adapter = LoRAAdapter(inputs: 5, outputs: 6, rank: 3, alpha: 6, rsLoRA: tag == "rs", module: "proj", rng: &rng)
        for i in 0..<adapter.a.count { adapter.a.data[i] = t["a"]!.scalars[i] }
        for i in 0..<adapter.b.count { adapter.b.data[i] = t["b"]!.scalars[i] }
        linear.adapter = adapter
        linear.weight.requiresGrad = false
        let input = Tensor(shape: x.shape, scalars: x.scalars)
        input.requiresGrad = true
        let tape = GradientTape()
        let y = tape.record { linear(input) }
        tape.backward(from: y, gradient: Tensor(shape: y.shape, scalars: t["g"]!.scalars))
        let checks: [(String, [Float])] = [("y", y.scalars), ("dx", input.grad!.scalars),
                                           ("da", adapter.a.grad!.scalars), ("db", adapter.b.grad!.scalars)]
        for (name, got) in checks {
            let d = Fixtures.maxAbsoluteDifference(got, t["\(tag).\(name)"]!.scalars)
            #expect(d <= Self.tolerance, "\(tag) \(name): largest difference \(d)")
        }
        #expect(adapter.namedParameters.map(\.name) == ["proj.lora_A.weight", "proj.lora_B.weight"])
        #expect(linear.namedParameters.map(\.name) == ["proj.weight", "proj.bias"])
    }

    @Test func scaledBackwardMatchesFiniteDifferences() {
        let x = GradientCheck.random([3, 4], seed: 2)
        #expect(GradientCheck.mismatches(inputs: [x]) { scaled(x, by: -1.7) }.isEmpty)
    }

    @Test func freshAdapterChangesNothing() {
        let linear = Linear(inputs: 4, outputs: 3, bias: false, layout: .outputByInput, name: "q")
        var rng = RandomGenerator(seed: 4)
        linear.weight.fillNormal(std: 1, rng: &rng)
        let x = GradientCheck.random([2, 4], seed: 3)
        let before = linear(x).scalars
        linear.adapter = LoRAAdapter(inputs: 4, outputs: 3, rank: 2, alpha: 16, module: "q", rng: &rng)
        #expect(linear(x).scalars == before)
        #expect(linear.adapter!.a.scalars.allSatisfy { abs($0) <= 0.5 } && linear.adapter!.a.scalars.contains { $0 != 0 })
        #expect(linear.adapter!.scaling == 8)
    }
}
