// An inference weight matrix kept in its storage format (F32, F16, or one of GGUF's block formats:
// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL and the k-quants Q2_K … Q6_K) and used directly by the
// kernels: rows are output features, each row K elements in ggml's block layout, so a matrix can point
// straight into an mmapped GGUF tensor without copying.
import CQuillKernels

/// Element storage of a ``WeightMatrix``; raw values are ggml's type ids (as in GGUF files).
public enum WeightType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, iq4_NL = 20

    /// Parses "f32", "F16", "q8_0", "Q4_K", "iq4_nl" (case-insensitive).
    public init?(name: String) {
        guard let t = Self.allCases.first(where: { $0.description.lowercased() == name.lowercased() }) else { return nil }
        self = t
    }

    /// The name llama.cpp prints ("Q4_K", "IQ4_NL").
    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .iq4_NL: "IQ4_NL"
        }
    }

    /// Elements per block: 32 for Q8_0 … IQ4_NL, 256 for the k-quants, 1 for F32 / F16.
    public var blockSize: Int { qk_block_elements(Int32(rawValue)) }

    /// Whether products quantize the activation (every block format) rather than reading floats.
    public var isQuantized: Bool { blockSize > 1 }

    /// Whether this is one of the 256-element k-quants (Q8_K activations, k-quant GEMM).
    public var isKQuant: Bool { blockSize == 256 }

    /// Bytes for one row of `inputs` elements (a whole number of blocks).
    public func rowBytes(_ inputs: Int) -> Int { qk_row_bytes(Int32(rawValue), inputs) }

    /// The type llama.cpp's quantizer uses instead when a row of this type's input count is not a
    /// whole number of blocks (`tensor_type_fallback`: Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0,
    /// Q2_K / Q3_K → Q4_0; F16 when even that does not fit).
    public func fallback(forInputs inputs: Int) -> WeightType {
        guard inputs % blockSize != 0 else { return self }
        let next: WeightType
        switch self {
        case .q4_K: next = .q5_0
        case .q5_K: next = .q5_1
        case .q6_K: next = .q8_0
        case .q2_K, .q3_K: next = .q4_0
        default: next = .f16
        }
        return inputs % next.blockSize == 0 ? next : .f16
    }

    /// llama.cpp's `general.file_type` (LLAMA_FTYPE_*) for a file mostly in this type; the k-quants
    /// map to their plain ("_S") file types.
    public var llamaFileType: UInt32 {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q5_1: 9
        case .q2_K: 10
        case .q3_K: 11
        case .q4_K: 14
        case .q5_K: 16
        case .q6_K: 18
        case .iq4_NL: 25
        }
    }
}

/// Errors from building a ``WeightMatrix`` over caller-supplied data.
public struct WeightMatrixError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A (outputs, inputs) weight matrix in F32, F16 or a GGUF block format, applied as y = x · Wᵀ (+ b).
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
    /// Output i is stored row outputOrder[i] (nil: row i). llama.cpp stores Llama's q/k rows interleaved
    /// for its RoPE; this lets them run in place, the products writing each output to its model row.
    public let outputOrder: [Int]?

    /// Encodes a float weight (either layout) as `type`, transposing Conv1D (in, out) weights to rows
    /// of outputs. Blocks are bit-identical to ggml's reference quantizers (qk_quantize_rows).
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
        outputOrder = nil
    }

    /// A view of `outputs` rows of `inputs` elements already in `type`'s layout at `base` (for example a
    /// GGUF tensor in an mmapped file); `owner` is retained for as long as the matrix lives.
    public init(borrowing base: UnsafeRawPointer, byteCount: Int, type: WeightType, outputs: Int, inputs: Int,
                owner: AnyObject, name: String? = nil, outputOrder: [Int]? = nil) throws(WeightMatrixError) {
        if let order = outputOrder {
            var seen = [Bool](repeating: false, count: outputs)
            for r in order where r >= 0 && r < outputs { seen[r] = true }
            guard order.count == outputs, !seen.contains(false) else {
                throw WeightMatrixError("\(name ?? "weight"): output order is not a permutation of its \(outputs) rows")
            }
        }
        self.outputOrder = outputOrder
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
        guard type.blockSize > 0, inputs > 0, inputs % type.blockSize == 0 else {
            throw WeightMatrixError("\(name ?? "weight"): \(type) needs rows of a multiple of \(type.blockSize) elements, got \(inputs)")
        }
    }

    /// Bytes of weight data.
    public var byteCount: Int { outputs * rowBytes }

    /// Rows lo..<hi (in output order) decoded to floats, (hi − lo, inputs) written at `out`.
    public func dequantizeRows(_ rows: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        guard let order = outputOrder else {
            qk_dequantize_rows(out, base + rows.lowerBound * rowBytes, Int32(type.rawValue), rows.count, inputs)
            return
        }
        for (i, r) in rows.enumerated() {
            qk_dequantize_rows(out + i * inputs, base + order[r] * rowBytes, Int32(type.rawValue), 1, inputs)
        }
    }

    /// The whole matrix as floats, (outputs, inputs).
    public func dequantized() -> Tensor {
        let t = Tensor(zeros: [outputs, inputs])
        dequantizeRows(0..<outputs, into: t.data)
        return t
    }
}
