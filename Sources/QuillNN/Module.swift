// The Module protocol: anything with named parameters (names are checkpoint keys, kept exactly as
// the format has them, e.g. "h.0.attn.c_attn.weight"), plus the basic layers built on the ops.
import QuillTensor

/// A layer or model that owns parameters.
public protocol Module: AnyObject {
    /// Every trainable tensor with its checkpoint name, in a stable order.
    var namedParameters: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    /// Total number of scalar parameters.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }

    /// Clears every parameter's gradient to zero (keeping the buffers).
    public func zeroGradients() {
        for (_, t) in namedParameters { t.grad?.storage.zero() }
    }

    /// Parameter lookup by checkpoint name.
    public func parameter(named name: String) -> Tensor? {
        namedParameters.first { $0.name == name }?.tensor
    }
}

/// Supplies a layer's parameters as it is built: (checkpoint name, shape) → a tensor of exactly that
/// shape (e.g. borrowed from a mapped checkpoint), or nil for the layer's own initial value. Loaders
/// use it so that no zero-filled buffer is allocated only to be overwritten.
public typealias ParameterFactory = (_ name: String, _ shape: [Int]) -> Tensor?

/// The factory's tensor for `name` (checked against `shape`, marked trainable), else `fallback()`.
func makeParameter(_ make: ParameterFactory?, _ name: String, _ shape: [Int], trainable: Bool = true,
                   fallback: () -> Tensor) -> Tensor {
    guard let t = make?(name, shape) else { return fallback() }
    precondition(t.shape == shape, "\(name): factory gave shape \(t.shape), expected \(shape)")
    t.requiresGrad = trainable
    t.name = name
    return t
}

/// y = x·W + b with a chosen weight layout (Conv1D (in, out) or Linear (out, in)).
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let layout: WeightLayout
    /// A LoRA adapter added to the output (training; not part of `namedParameters`).
    public var adapter: LoRAAdapter?
    private let prefix: String

    public init(inputs: Int, outputs: Int, bias: Bool = true, layout: WeightLayout, name prefix: String,
                parameters make: ParameterFactory? = nil) {
        self.layout = layout
        self.prefix = prefix
        let shape = layout == .inputByOutput ? [inputs, outputs] : [outputs, inputs]
        weight = makeParameter(make, prefix + ".weight", shape) { Tensor(zeros: shape, requiresGrad: true, name: prefix + ".weight") }
        self.bias = !bias ? nil : makeParameter(make, prefix + ".bias", [outputs]) {
            Tensor(zeros: [outputs], requiresGrad: true, name: prefix + ".bias")
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = matmul(x, weight, bias: bias, layout: layout)
        guard let adapter else { return y }
        return add(y, adapter(x))
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [(prefix + ".weight", weight)] + (bias.map { [(prefix + ".bias", $0)] } ?? [])
    }
}

/// Layer normalisation with learned gain and (optionally) bias.
public final class LayerNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let hasBias: Bool
    public let epsilon: Float
    private let prefix: String

    public init(_ features: Int, bias: Bool = true, epsilon: Float = 1e-5, name prefix: String,
                parameters make: ParameterFactory? = nil) {
        self.prefix = prefix
        self.epsilon = epsilon
        hasBias = bias
        weight = makeParameter(make, prefix + ".weight", [features]) {
            let ones = Tensor(zeros: [features], requiresGrad: true, name: prefix + ".weight")
            ones.fill(1)
            return ones
        }
        // Without a bias the op still takes a zero vector; it is not a parameter and stays zero.
        self.bias = !bias ? Tensor(zeros: [features], requiresGrad: false, name: prefix + ".bias")
            : makeParameter(make, prefix + ".bias", [features]) { Tensor(zeros: [features], requiresGrad: true, name: prefix + ".bias") }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        layerNorm(x, weight: weight, bias: bias, epsilon: epsilon)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [(prefix + ".weight", weight)] + (hasBias ? [(prefix + ".bias", bias)] : [])
    }
}

/// A lookup table of `count` rows of `dimension` floats.
public final class Embedding: Module {
    public let weight: Tensor
    private let prefix: String

    public init(count: Int, dimension: Int, name prefix: String, parameters make: ParameterFactory? = nil) {
        self.prefix = prefix
        weight = makeParameter(make, prefix + ".weight", [count, dimension]) {
            Tensor(zeros: [count, dimension], requiresGrad: true, name: prefix + ".weight")
        }
    }

    public func callAsFunction(_ ids: [Int32]) -> Tensor { embedding(ids, table: weight) }

    public var namedParameters: [(name: String, tensor: Tensor)] { [(prefix + ".weight", weight)] }
}
