// RMSNorm as a layer (Llama's input_layernorm / post_attention_layernorm / model.norm): a learned
// gain, no bias, initialised to ones. The op and its backward live in QuillTensor's Tensor+RMSNorm.
import QuillTensor

/// Root-mean-square normalisation with a learned per-feature gain.
public final class RMSNorm: Module {
    public let weight: Tensor
    public let epsilon: Float
    private let prefix: String

    /// `name` is the checkpoint prefix, e.g. "model.layers.0.input_layernorm".
    public init(_ features: Int, epsilon: Float = 1e-6, name prefix: String, parameters make: ParameterFactory? = nil) {
        self.prefix = prefix
        self.epsilon = epsilon
        weight = makeParameter(make, prefix + ".weight", [features]) {
            let ones = Tensor(zeros: [features], requiresGrad: true, name: prefix + ".weight")
            ones.fill(1)
            return ones
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        rmsNorm(x, weight: weight, epsilon: epsilon)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { [(prefix + ".weight", weight)] }
}
