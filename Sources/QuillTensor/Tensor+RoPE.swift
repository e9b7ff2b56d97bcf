// Rotary position embedding (Su et al. 2021, RoFormer) in Hugging Face's rotate_half layout: within
// each head, dimension i pairs with i + headSize/2 and the pair turns by position · frequencies[i].
// Scaling variants (linear, NTK, Llama 3) only change the frequency table, built by the caller.
import CQuillKernels
import Foundation

/// Rotates every head of every row of `x` (N, heads·headSize): row n, pair i turns by the angle
/// positions[n] · frequencies[i]. `frequencies` holds headSize/2 inverse frequencies. → (N, heads·headSize).
public func rope(_ x: Tensor, positions: [Int], heads: Int, headSize: Int, frequencies: [Double]) -> Tensor {
    let N = x.rows, half = headSize / 2
    precondition(x.lastDimension == heads * headSize && headSize % 2 == 0,
                 "rope: rows of \(x.lastDimension) are not \(heads) heads of an even size \(headSize)")
    precondition(positions.count == N, "rope: \(positions.count) positions for \(N) rows")
    precondition(frequencies.count == half, "rope: \(frequencies.count) frequencies, need headSize/2 = \(half)")
    let (cosines, sines) = rotationTables(positions: positions, frequencies: frequencies)  // (N, half) each
    let y = Tensor(zeros: x.shape)
    Parallel.forEachChunk(N, minimumChunk: 16) { r in
        let o = r.lowerBound
        qk_rope(y.data + o * x.lastDimension, x.data + o * x.lastDimension, cosines.pointer + o * half,
                sines.pointer + o * half, r.count, heads, headSize, 1, 0)
    }
    GradientTape.recordIfNeeded(inputs: [x], output: y) {
        guard let dy = y.grad else { return }
        let dx = x.ensureGrad()
        // A rotation's transpose is the rotation by the opposite angle.
        Parallel.forEachChunk(N, minimumChunk: 16) { r in
            let o = r.lowerBound
            qk_rope(dx.data + o * x.lastDimension, dy.data + o * x.lastDimension, cosines.pointer + o * half,
                    sines.pointer + o * half, r.count, heads, headSize, -1, 1)
        }
    }
    return y
}

/// cos and sin of positions[n] · frequencies[i], (N, half) each. Angles are formed in Double so
/// large positions keep their precision before the float32 rounding.
func rotationTables(positions: [Int], frequencies: [Double]) -> (TensorStorage, TensorStorage) {
    let half = frequencies.count
    let cosines = TensorStorage(count: positions.count * half)
    let sines = TensorStorage(count: positions.count * half)
    for (n, p) in positions.enumerated() {
        for i in 0..<half {
            let angle = Double(p) * frequencies[i]
            cosines.pointer[n * half + i] = Float(cos(angle))
            sines.pointer[n * half + i] = Float(sin(angle))
        }
    }
    return (cosines, sines)
}
