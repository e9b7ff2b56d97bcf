// Convolution and batch-norm layers over the image ops, named as torch.nn.Conv2d / BatchNorm2d name
// their tensors ("conv1.weight", "bn1.running_mean"), so a state_dict maps one to one. Batch norm's
// running averages are buffers: saved and loaded with the weights, never given to an optimizer.
import QuillTensor

/// A module that also keeps non-trainable state a checkpoint must carry (batch norm's running averages).
public protocol BufferedModule: Module {
    /// Every non-trainable tensor with its checkpoint name, in a stable order.
    var namedBuffers: [(name: String, tensor: Tensor)] { get }
}

/// y = conv2d(x, W) + b with W (O, C, kh, kw), as torch.nn.Conv2d (groups = 1).
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Size2D, padding: Size2D
    private let prefix: String

    public init(inputChannels: Int, outputChannels: Int, kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0,
                bias: Bool = true, name prefix: String, parameters make: ParameterFactory? = nil) {
        self.prefix = prefix
        self.stride = stride
        self.padding = padding
        let shape = [outputChannels, inputChannels, kernel.height, kernel.width]
        weight = makeParameter(make, prefix + ".weight", shape) { Tensor(zeros: shape, requiresGrad: true, name: prefix + ".weight") }
        self.bias = !bias ? nil : makeParameter(make, prefix + ".bias", [outputChannels]) {
            Tensor(zeros: [outputChannels], requiresGrad: true, name: prefix + ".bias")
        }
    }

    /// x (N, C, H, W) → (N, O, Ho, Wo).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [(prefix + ".weight", weight)] + (bias.map { [(prefix + ".bias", $0)] } ?? [])
    }
}

/// Batch normalisation of (N, C, H, W) per channel, as torch.nn.BatchNorm2d (affine, tracked stats).
public final class BatchNorm2d: BufferedModule {
    public let weight: Tensor, bias: Tensor
    public let runningMean: Tensor, runningVariance: Tensor
    public let momentum: Float, epsilon: Float
    private let prefix: String

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, name prefix: String,
                parameters make: ParameterFactory? = nil) {
        self.prefix = prefix
        self.momentum = momentum
        self.epsilon = epsilon
        func filled(_ suffix: String, _ value: Float, trainable: Bool) -> Tensor {
            makeParameter(make, prefix + suffix, [channels], trainable: trainable) {
                let t = Tensor(zeros: [channels], requiresGrad: trainable, name: prefix + suffix)
                if value != 0 { t.fill(value) }
                return t
            }
        }
        weight = filled(".weight", 1, trainable: true)
        bias = filled(".bias", 0, trainable: true)
        runningMean = filled(".running_mean", 0, trainable: false)
        runningVariance = filled(".running_var", 1, trainable: false)
    }

    /// Batch statistics (and a running-average update) when `training`, the running averages otherwise.
    public func callAsFunction(_ x: Tensor, training: Bool) -> Tensor {
        batchNorm2d(x, weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                    training: training, momentum: momentum, epsilon: epsilon)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [(prefix + ".weight", weight), (prefix + ".bias", bias)]
    }

    public var namedBuffers: [(name: String, tensor: Tensor)] {
        [(prefix + ".running_mean", runningMean), (prefix + ".running_var", runningVariance)]
    }
}
