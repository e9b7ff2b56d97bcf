// AdamW (Loshchilov & Hutter 2019): Adam moments with decoupled weight decay, applied only to
// matrices (≥ 2-D) — never to biases, norms' gains or 1-D tensors, as nanoGPT/GPT-2 training do.
// Moments are plain tensors so checkpoints can save and restore them exactly.
import CQuillKernels
import Foundation
import QuillTensor

public final class AdamW {
    public struct Hyperparameters: Codable, Equatable, Sendable {
        public var beta1: Float = 0.9
        public var beta2: Float = 0.95
        public var epsilon: Float = 1e-8
        public var weightDecay: Float = 0.1
        public init(beta1: Float = 0.9, beta2: Float = 0.95, epsilon: Float = 1e-8, weightDecay: Float = 0.1) {
            self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
        }
    }

    public let hyperparameters: Hyperparameters
    public let parameters: [(name: String, tensor: Tensor)]
    /// First and second moments, one per parameter, same order.
    public let firstMoments: [Tensor]
    public let secondMoments: [Tensor]
    /// Number of updates applied so far (for bias correction).
    public var step: Int = 0

    public init(parameters: [(name: String, tensor: Tensor)], hyperparameters: Hyperparameters = .init()) {
        self.parameters = parameters
        self.hyperparameters = hyperparameters
        firstMoments = parameters.map { Tensor(zeros: $0.tensor.shape, name: "m." + $0.name) }
        secondMoments = parameters.map { Tensor(zeros: $0.tensor.shape, name: "v." + $0.name) }
    }

    /// Whether weight decay applies to a parameter: matrices yes, vectors (biases, gains) no.
    public static func decays(_ tensor: Tensor) -> Bool { tensor.shape.count >= 2 }

    /// Applies one update with learning rate `lr` using each parameter's current gradient times
    /// `gradientScale` (pass a clipping factor here instead of rescaling the gradients first).
    public func update(learningRate lr: Float, gradientScale: Float = 1) {
        step += 1
        let h = hyperparameters
        let bc1 = 1 - powf(h.beta1, Float(step)), bc2 = 1 - powf(h.beta2, Float(step))
        for (i, p) in parameters.enumerated() {
            guard let g = p.tensor.grad else { continue }
            let wd = Self.decays(p.tensor) ? h.weightDecay : 0
            let t = p.tensor, m = firstMoments[i], v = secondMoments[i]
            Parallel.forEachChunk(t.count, minimumChunk: 1 << 15) { r in
                let o = r.lowerBound
                qk_adamw_update(t.data + o, g.data + o, m.data + o, v.data + o, r.count, lr,
                                h.beta1, h.beta2, h.epsilon, wd, bc1, bc2, gradientScale)
            }
        }
    }
}

