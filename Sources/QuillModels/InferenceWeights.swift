// The inference-time matrices of a model in a chosen storage format (F32, F16, Q8_0, Q4_0): each
// Linear's weight and the LM head as a WeightMatrix, keyed by the float weight's checkpoint name.
// Training never reads them; embeddings, norms and biases stay float.
import QuillNN
import QuillTensor

public final class InferenceWeights {
    /// The format the matrices were converted to (a GGUF file may mix formats; this is the main one).
    public let type: WeightType
    /// Checkpoint name of the float weight ("h.0.attn.c_attn.weight", "lm_head.weight") → matrix.
    public private(set) var matrices: [String: WeightMatrix] = [:]

    public init(type: WeightType) { self.type = type }

    /// Adds the matrix standing in for the float weight `name`.
    public func set(_ name: String, _ matrix: WeightMatrix) { matrices[name] = matrix }

    /// Converts `linear`'s weight (either layout) and registers it under the weight's name. Rows that
    /// are not whole 32-blocks (e.g. an intermediate size of 80) fall back to F16, as llama.cpp falls
    /// back to another type for such tensors.
    public func add(_ linear: Linear) throws(WeightMatrixError) {
        let name = linear.weight.name ?? ""
        matrices[name] = try Self.convert(linear.weight, layout: linear.layout, type: type)
    }

    static func convert(_ w: Tensor, layout: WeightLayout, type: WeightType) throws(WeightMatrixError) -> WeightMatrix {
        let inputs = layout == .outputByInput ? w.shape[1] : w.shape[0]
        let usable = type.fallback(forInputs: inputs)
        return try WeightMatrix(tensor: w, layout: layout, type: usable)
    }

    /// linear(x) through the stored matrix when there is one, else through the float weight.
    func apply(_ linear: Linear, _ x: Tensor) -> Tensor {
        guard let name = linear.weight.name, let w = matrices[name] else { return linear(x) }
        return w.apply(x, bias: linear.bias)
    }

    /// Bytes held by the matrices.
    public var byteCount: Int { matrices.values.reduce(0) { $0 + $1.byteCount } }

    /// The formats actually held, most common first: "Q4_1 ×210, Q8_0 ×1" (a GGUF file may mix them,
    /// so `type` alone can name a format only the embedding uses).
    public var formatSummary: String {
        let counts = Dictionary(grouping: matrices.values, by: { "\($0.type)" }).mapValues(\.count)
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }
}

/// `linear(x)`, using `weights`' matrix for it when present.
func infer(_ linear: Linear, _ x: Tensor, _ weights: InferenceWeights?) -> Tensor {
    weights?.apply(linear, x) ?? linear(x)
}

extension GPT {
    /// Switches inference (`forward`) to `type` weights for every block matrix and the tied LM head;
    /// nil goes back to the float weights. Training is unaffected.
    public func quantize(to type: WeightType?) throws(WeightMatrixError) {
        materialize()
        guard let type else { inferenceWeights = nil; return }
        let weights = InferenceWeights(type: type)
        for b in blocks { for l in [b.attnQKV, b.attnProj, b.mlpFC, b.mlpProj] { try weights.add(l) } }
        weights.set("wte.weight", try InferenceWeights.convert(wte.weight, layout: .outputByInput, type: type))
        inferenceWeights = weights
    }
}

extension Llama {
    /// Switches inference (`forward`) to `type` weights for every projection and the LM head (tied or
    /// not); nil goes back to the float weights. Training is unaffected.
    public func quantize(to type: WeightType?) throws(WeightMatrixError) {
        materialize()
        guard let type else { inferenceWeights = nil; return }
        let weights = InferenceWeights(type: type)
        for l in layers { for p in [l.query, l.key, l.value, l.output, l.gate, l.up, l.down] { try weights.add(p) } }
        let head = lmHead?.weight ?? embedTokens.weight
        weights.set("head", try InferenceWeights.convert(head, layout: .outputByInput, type: type))
        inferenceWeights = weights
    }
}

/// A language model whose inference matmuls can run on stored-format weights.
public protocol QuantizableLanguageModel: LanguageModel {
    /// The current inference matrices (nil: the float weights).
    var inferenceWeights: InferenceWeights? { get }
    /// Converts the inference matrices to `type` (nil: back to float).
    func quantize(to type: WeightType?) throws(WeightMatrixError)
}

extension GPT: QuantizableLanguageModel {}
extension Llama: QuantizableLanguageModel {}
