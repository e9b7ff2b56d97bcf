// conv2d, max/avg pooling and batch norm against torch.nn.functional (float64 reference, fixture
// written by Scripts/reference/conv_reference.py): outputs and the gradients of L = Σ output·r for
// inputs, weights and biases; batch norm's running averages after a training step.
// Tolerance: |quill − torch| ≤ 1e-5 + 1e-4·|torch| per element (expectClose).
import Foundation
import Testing
import QuillTensor
import TestSupport

@Suite("Image ops vs PyTorch")
struct ConvReferenceTests {
    static let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/conv_reference.safetensors")

    @Test(arguments: ["plain", "strided", "mixed", "pointwise"])
    func conv2dMatchesTorch(name: String) throws {
        let all = try Fixtures.tensors(Self.url), p = "conv.\(name)."
        let g = try Fixtures.integers(Self.url, p + "geometry")
        let x = all[p + "x"]!, w = all[p + "weight"]!, b = all[p + "bias"]
        for t in [x, w, b].compactMap({ $0 }) { t.requiresGrad = true }
        let tape = GradientTape()
        let y = tape.record {
            conv2d(x, weight: w, bias: b, stride: Size2D(g[0], g[1]), padding: Size2D(g[2], g[3]), dilation: Size2D(g[4], g[5]))
        }
        #expect(y.shape == all[p + "output"]!.shape)
        expectClose(y, all[p + "output"]!, p + "output")
        tape.backward(from: y, gradient: all[p + "r"]!)
        expectClose(x.grad!, all[p + "grad.x"]!, p + "grad.x")
        expectClose(w.grad!, all[p + "grad.weight"]!, p + "grad.weight")
        if let b { expectClose(b.grad!, all[p + "grad.bias"]!, p + "grad.bias") }
    }

    @Test(arguments: ["max2", "max3", "avg2", "avg3pad", "avg3inside"])
    func poolingMatchesTorch(name: String) throws {
        let all = try Fixtures.tensors(Self.url), p = "pool.\(name)."
        let g = try Fixtures.integers(Self.url, p + "geometry")
        let x = all[p + "x"]!
        x.requiresGrad = true
        let kernel = Size2D(g[0], g[1]), stride = Size2D(g[2], g[3]), padding = Size2D(g[4], g[5])
        let tape = GradientTape()
        let y = tape.record {
            name.hasPrefix("max") ? maxPool2d(x, kernel: kernel, stride: stride, padding: padding)
                : avgPool2d(x, kernel: kernel, stride: stride, padding: padding, countPadding: g[6] == 1)
        }
        #expect(y.shape == all[p + "output"]!.shape)
        expectClose(y, all[p + "output"]!, p + "output")
        tape.backward(from: y, gradient: all[p + "r"]!)
        expectClose(x.grad!, all[p + "grad.x"]!, p + "grad.x")
    }

    @Test(arguments: [true, false])
    func batchNormMatchesTorch(training: Bool) throws {
        let all = try Fixtures.tensors(Self.url), p = "batchnorm.\(training ? "train" : "eval")."
        let x = all[p + "x"]!, gamma = all[p + "weight"]!, beta = all[p + "bias"]!
        let mean = all[p + "running_mean"]!.copy(), variance = all[p + "running_var"]!.copy()
        for t in [x, gamma, beta] { t.requiresGrad = true }
        let tape = GradientTape()
        let y = tape.record {
            batchNorm2d(x, weight: gamma, bias: beta, runningMean: mean, runningVariance: variance, training: training)
        }
        expectClose(y, all[p + "output"]!, p + "output")
        expectClose(mean, all[p + "running_mean_after"]!, p + "running_mean")
        expectClose(variance, all[p + "running_var_after"]!, p + "running_var")
        tape.backward(from: y, gradient: all[p + "r"]!)
        expectClose(x.grad!, all[p + "grad.x"]!, p + "grad.x")
        expectClose(gamma.grad!, all[p + "grad.weight"]!, p + "grad.weight")
        expectClose(beta.grad!, all[p + "grad.bias"]!, p + "grad.bias")
    }
}
