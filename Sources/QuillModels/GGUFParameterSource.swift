// Parameters of a GPT-2 / Llama-family model built straight from a GGUF file's tensors (names and
// layouts from GGUFTensorMap). An F32 tensor whose layout is the model's is borrowed from the mapping;
// every matmul weight in a type the kernels run (F32, F16, Q8_0, Q4_0/1, Q5_0/1, IQ4_NL, Q2_K…Q6_K)
// becomes a WeightMatrix view for inference (Llama's interleaved q/k rows included, through an output
// order), and its float copy (a transpose, permutation or dequantize) waits in PendingParameters.
import Foundation
import QuillFormats
import QuillNN
import QuillTensor

/// Builds one model's parameters from `file`, collecting the inference matrices and the owed fills.
final class GGUFParameterSource {
    let file: GGUFFile
    private let byQuill: [String: GGUFTensorMapping]
    /// Quill names of the weights applied as matrices (Linear weights; not the embedding table).
    private let matmuls: Set<String>
    private let embeddingName: String
    let weights: InferenceWeights
    private(set) var fills: [() -> Void] = []
    private(set) var embeddingRows: WeightMatrix?
    /// The first error met while building (the factory cannot throw).
    private(set) var failure: Error?

    init(file: GGUFFile, maps: [GGUFTensorMapping], matmuls: Set<String>, embedding: String) {
        self.file = file
        byQuill = Dictionary(maps.map { ($0.quill, $0) }, uniquingKeysWith: { a, _ in a })
        self.matmuls = matmuls
        embeddingName = embedding
        let embeddingType = file.tensor(named: "token_embd.weight").flatMap { WeightType(rawValue: $0.type.rawValue) }
        weights = InferenceWeights(type: embeddingType ?? .f32)
    }

    /// The factory to build the model with.
    var factory: ParameterFactory {
        { [self] name, shape in
            guard failure == nil else { return placeholder(shape) }
            do { return try tensor(name, shape) } catch { failure = error; return placeholder(shape) }
        }
    }

    /// Hands the owed fills and the embedding rows to `pending`, or throws the first build error.
    func finish(into pending: PendingParameters) throws {
        if let failure { throw failure }
        for fill in fills { pending.add(fill) }
        if let embeddingRows { pending.setEmbeddingRows(embeddingRows) }
    }

    /// `name`'s GGUF tensor as a WeightMatrix view (nil for types the kernels do not run); output i
    /// reads stored row outputOrder[i] when given.
    func matrix(_ entry: GGUFTensor, outputOrder: [Int]? = nil) throws -> WeightMatrix? {
        guard entry.shape.count == 2, let type = WeightType(rawValue: entry.type.rawValue),
              entry.shape[1] % type.blockSize == 0 else { return nil }
        return try entry.withUnsafeBytes { raw in
            try WeightMatrix(borrowing: raw.baseAddress!, byteCount: raw.count, type: type, outputs: entry.shape[0],
                             inputs: entry.shape[1], owner: file, name: entry.name, outputOrder: outputOrder)
        }
    }

    /// Model row → GGUF row for llama.cpp's RoPE interleave (GGUFTensorMapping.permuteRows): within each
    /// head of hs rows, model row s·hs/2 + j is stored at 2j + s.
    static func interleavedOrder(rows: Int, heads: Int) -> [Int] {
        let hs = rows / max(1, heads), half = hs / 2
        var order = Array(0..<rows)
        for h in 0..<heads { for s in 0..<2 { for j in 0..<half { order[h * hs + s * half + j] = h * hs + 2 * j + s } } }
        return order
    }

    private func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        guard let map = byQuill[name] else { throw ModelError.missingTensor(name) }
        guard let entry = file.tensor(named: map.gguf) else { throw ModelError.missingTensor("\(map.gguf) (\(file.fileName))") }
        let expected = map.ggufShape(shape)
        guard entry.shape == expected else {
            throw ModelError.shapeMismatch(name: "\(map.gguf) (\(file.fileName))", expected: expected, found: entry.shape)
        }
        var deferred = false
        switch map.transform {
        case .identity:
            if matmuls.contains(name), let m = try matrix(entry) { weights.set(name, m); deferred = true }
            if let borrowed = Tensor(borrowing: entry) { return borrowed }       // F32 in the model's layout
            if name == embeddingName, let rows = try matrix(entry) { embeddingRows = rows; deferred = true }
        case .transpose:
            if matmuls.contains(name), let m = try matrix(entry) { weights.set(name, m); deferred = true }
        case .interleaveRoPE(let heads):
            // llama.cpp's q/k row order differs from the model's: a stored-format matrix runs in place and
            // writes each output to its model row, its float copy permuted when filled; F32 ones are copied
            // now (a permuted float weight, applied by BLAS as the borrowed F32 ones are).
            let order = Self.interleavedOrder(rows: entry.shape[0], heads: heads)
            if matmuls.contains(name), entry.type != .f32, entry.shape[0] % max(1, 2 * heads) == 0,
               let m = try matrix(entry, outputOrder: order) {
                weights.set(name, m); deferred = true
            }
        }
        if deferred {
            let t = Tensor(shape: shape, storage: TensorStorage(lazyZerosCount: shape.reduce(1, *)))
            fills.append { Self.fill(t, from: entry, map) }
            return t
        }
        let t = Tensor(uninitialized: shape)
        try Self.copy(t, from: entry, map)
        return t
    }

    /// Writes `entry`'s values, in the model's layout, into `t` (shapes already checked).
    static func copy(_ t: Tensor, from entry: GGUFTensor, _ map: GGUFTensorMapping) throws {
        let values = map.fromGGUF(try entry.dequantize(), shape: t.shape)
        values.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }
    }

    /// `copy` for a deferred fill, whose tensor type the kernels already accepted (so it decodes).
    static func fill(_ t: Tensor, from entry: GGUFTensor, _ map: GGUFTensorMapping) {
        do { try copy(t, from: entry, map) } catch { fatalError("materializing \(entry.name): \(error)") }
    }
}

extension GGUFCheckpoint {
    /// GPT-2 from `file` with borrowed / deferred parameters and its matrices and head set for inference.
    static func inferenceGPT(_ file: GGUFFile) throws -> GPT {
        let config = try GGUFHyperparameters(file: file).gpt2Config()
        let matmuls = Set((0..<config.nLayer).flatMap { i in
            ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"].map { "h.\(i).\($0).weight" }
        })
        let source = GGUFParameterSource(file: file, maps: GGUFTensorMap.gpt2(config), matmuls: matmuls, embedding: "wte.weight")
        let model = try GPT(config: config, seed: nil, parameters: source.factory)
        try source.finish(into: model.pending)
        // The tied head: llama.cpp's output.weight when the file has one, else the embedding rows.
        let head = try file.tensor(named: "output.weight") ?? file.requireTensor(named: "token_embd.weight")
        if let m = try source.matrix(head) { source.weights.set("wte.weight", m) }
        model.inferenceWeights = source.weights
        return model
    }

    /// A Llama-family model from `file`, as `inferenceGPT` does for GPT-2.
    static func inferenceLlama(_ file: GGUFFile) throws -> Llama {
        let config = try GGUFHyperparameters(file: file).llamaConfig()
        let names = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                     "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
        let matmuls = Set((0..<config.layerCount).flatMap { i in names.map { "model.layers.\(i).\($0).weight" } } + ["lm_head.weight"])
        let source = GGUFParameterSource(file: file, maps: GGUFTensorMap.llama(config), matmuls: matmuls,
                                         embedding: "model.embed_tokens.weight")
        let model = try Llama(config: config, seed: nil, parameters: source.factory)
        try source.finish(into: model.pending)
        if let head = source.weights.matrices["lm_head.weight"] {
            source.weights.set("head", head)
        } else if model.lmHead == nil, let m = try source.matrix(try file.requireTensor(named: "token_embd.weight")) {
            source.weights.set("head", m)
        }
        model.inferenceWeights = source.weights
        return model
    }
}
