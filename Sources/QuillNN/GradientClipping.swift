// Global-norm gradient clipping (Pascanu et al. 2013): if ‖g‖₂ over all parameters exceeds
// maxNorm, every gradient is scaled by maxNorm/‖g‖₂. The norm is accumulated in Double.
import CQuillKernels
import QuillTensor

public enum GradientClipping {
    /// The global L2 norm of all gradients.
    public static func globalNorm(_ tensors: [Tensor]) -> Float {
        var sum = 0.0
        for t in tensors { if let g = t.grad { sum += qk_sum_squares(g.data, g.count) } }
        return Float(sum.squareRoot())
    }

    /// The factor that brings a gradient of norm `norm` within `maxNorm` (1 when it already is).
    public static func scale(forNorm norm: Float, maxNorm: Float) -> Float {
        maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1
    }

    /// Scales gradients so their global norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clip(_ tensors: [Tensor], maxNorm: Float) -> Float {
        let norm = globalNorm(tensors)
        let s = scale(forNorm: norm, maxNorm: maxNorm)
        if s != 1 {
            for t in tensors { if let g = t.grad { qk_scale(g.data, s, g.count) } }
        }
        return norm
    }
}
