// Low-rank adaptation (Hu et al. 2021) as PEFT computes it: a frozen Linear's y = x·Wᵀ plus
// s·(x·Aᵀ)·Bᵀ, A (r, in) drawn as PEFT's kaiming_uniform(a=√5) (U(±1/√in)), B (out, r) zero so a fresh
// adapter changes nothing, s = alpha/r (or alpha/√r with rsLoRA). Parameter names are PEFT's
// (`<module>.lora_A.weight`, `<module>.lora_B.weight`). Dropout on the adapter's input is not here yet.
import QuillTensor

/// y = s · x, recorded on the tape (dx = s · dy).
public func scaled(_ x: Tensor, by s: Float) -> Tensor {
    let y = Tensor(zeros: x.shape)
    for i in 0..<x.count { y.data[i] = x.data[i] * s }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad, x.requiresGrad else { return }
        let dx = x.ensureGrad()
        for i in 0..<x.count { dx.data[i] += dy.data[i] * s }
    }
    return y
}

/// One LoRA adapter beside a Linear of `inputs` → `outputs`.
public final class LoRAAdapter: Module {
    public let a: Tensor      // lora_A.weight (r, in)
    public let b: Tensor      // lora_B.weight (out, r)
    public let rank: Int
    public let alpha: Float
    public let rsLoRA: Bool
    /// The module's name (e.g. model.layers.0.self_attn.q_proj).
    public let module: String

    public var scaling: Float { rsLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    public init(inputs: Int, outputs: Int, rank: Int, alpha: Float, rsLoRA: Bool = false, module: String,
                rng: inout RandomGenerator) {
        self.rank = rank; self.alpha = alpha; self.rsLoRA = rsLoRA; self.module = module
        a = Tensor(zeros: [rank, inputs], requiresGrad: true, name: module + ".lora_A.weight")
        let bound = 1 / Float(inputs).squareRoot()
        for i in 0..<a.count { a.data[i] = (rng.nextFloat() * 2 - 1) * bound }
        b = Tensor(zeros: [outputs, rank], requiresGrad: true, name: module + ".lora_B.weight")
    }

    /// s · (x·Aᵀ)·Bᵀ for x (N, in) → (N, out).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        scaled(matmul(matmul(x, a, layout: .outputByInput), b, layout: .outputByInput), by: scaling)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [(module + ".lora_A.weight", a), (module + ".lora_B.weight", b)]
    }
}
