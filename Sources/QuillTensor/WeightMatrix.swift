// An inference weight matrix kept in its storage format (F32, F16, or GGUF's Q8_0 / Q4_0 blocks) and
// used directly by the kernels: rows are output features, each row K elements in ggml's block
// layout, so a matrix can point straight into an mmapped GGUF tensor without copying.
import CQuillKernels

/// Element storage of a ``WeightMatrix``; raw values are ggml's type ids (as in GGUF files).
public enum WeightType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q8_0 = 8

    /// Parses "f32", "F16", "q8_0", "Q4_0".
    public init?(name: String) {
        guard let t = Self.allCases.first(where: { $0.description.lowercased() == name.lowercased() }) else { return nil }
        self = t
    }

    public var description: String {
        switch self { case .f32: "F32"; case .f16: "F16"; case .q4_0: "Q4_0"; case .q8_0: "Q8_0" }
    }

    /// Elements per block: 32 for the block formats, 1 otherwise.
    public var blockSize: Int { self == .q8_0 || self == .q4_0 ? 32 : 1 }

    /// Bytes for one row of `inputs` elements (a whole number of blocks).
    public func rowBytes(_ inputs: Int) -> Int { qk_row_bytes(Int32(rawValue), inputs) }
}

/// Errors from building a ``WeightMatrix`` over caller-supplied data.
public struct WeightMatrixError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A (outputs, inputs) weight matrix in F32, F16, Q8_0 or Q4_0, applied as y = x · Wᵀ (+ b).
///
/// ```swift
/// let w = try WeightMatrix(tensor: linear.weight, layout: .inputByOutput, type: .q8_0)
/// let y = w.apply(x, bias: linear.bias)         // x: (n, inputs) → y: (n, outputs)
/// ```
public final class WeightMatrix: @unchecked Sendable {
    public let type: WeightType
    /// Rows: output features (N).
    public let outputs: Int
    /// Elements per row: input features (K).
    public let inputs: Int
    /// Row r starts at base + r · rowBytes.
    public let base: UnsafeRawPointer
    public let rowBytes: Int
    /// Keeps borrowed memory (an mmapped file) alive; nil when this matrix owns `base`.
    private let owner: AnyObject?

    /// Encodes a float weight (either layout) as `type`, transposing Conv1D (in, out) weights to rows
    /// of outputs. Q8_0/Q4_0 blocks are bit-identical to ggml's reference quantizers.
    public init(tensor: Tensor, layout: WeightLayout, type: WeightType) throws(WeightMatrixError) {
        guard tensor.shape.count == 2 else { throw WeightMatrixError("\(tensor.name ?? "weight"): need a 2-D tensor, got \(tensor.shape)") }
        let (N, K) = layout == .outputByInput ? (tensor.shape[0], tensor.shape[1]) : (tensor.shape[1], tensor.shape[0])
        try Self.check(type: type, inputs: K, name: tensor.name)
        self.type = type
        outputs = N
        inputs = K
        rowBytes = type.rowBytes(K)
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(1, N * rowBytes), alignment: 64)
        var rows = tensor.data
        var transposed: Tensor?
        if layout == .inputByOutput {   // (K, N) → (N, K)
            let t = Tensor(zeros: [N, K])
            Parallel.forEachChunk(N, minimumChunk: 64) { r in
                for n in r { for k in 0..<K { t.data[n * K + k] = tensor.data[k * N + n] } }
            }
            transposed = t
            rows = t.data
        }
        let rb = rowBytes
        Parallel.forEachChunk(N, minimumChunk: 64) { r in
            qk_quantize_rows(bytes + r.lowerBound * rb, rows + r.lowerBound * K, Int32(type.rawValue), r.count, K)
        }
        withExtendedLifetime(transposed) {}
        base = UnsafeRawPointer(bytes)
        owner = nil
    }

    /// A view of `outputs` rows of `inputs` elements already in `type`'s layout at `base` (for example a
    /// GGUF tensor in an mmapped file); `owner` is retained for as long as the matrix lives.
    public init(borrowing base: UnsafeRawPointer, byteCount: Int, type: WeightType, outputs: Int, inputs: Int,
                owner: AnyObject, name: String? = nil) throws(WeightMatrixError) {
        try Self.check(type: type, inputs: inputs, name: name)
        let rb = type.rowBytes(inputs)
        guard outputs > 0, byteCount >= outputs * rb else {
            throw WeightMatrixError("\(name ?? "weight"): \(outputs)×\(inputs) \(type) needs \(outputs * rb) bytes, got \(byteCount)")
        }
        self.type = type
        self.outputs = outputs
        self.inputs = inputs
        self.base = base
        rowBytes = rb
        self.owner = owner
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }

    private static func check(type: WeightType, inputs: Int, name: String?) throws(WeightMatrixError) {
        guard inputs > 0, inputs % type.blockSize == 0 else {
            throw WeightMatrixError("\(name ?? "weight"): \(type) needs rows of a multiple of \(type.blockSize) elements, got \(inputs)")
        }
    }

    /// Bytes of weight data.
    public var byteCount: Int { outputs * rowBytes }

    /// Rows lo..<hi decoded to floats, (hi − lo, inputs) written at `out`.
    public func dequantizeRows(_ rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        qk_dequantize_rows(out, base + rows.lowerBound * rowBytes, Int32(type.rawValue), rows.count, inputs)
    }

    /// The whole matrix as floats, (outputs, inputs).
    public func dequantized() -> Tensor {
        let t = Tensor(zeros: [outputs, inputs])
        dequantizeRows(0..<outputs, into: t.data)
        return t
    }
}
