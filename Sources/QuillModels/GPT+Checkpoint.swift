// Reads and writes GPT-2 as a Hugging Face model directory: config.json (HF keys) +
// model.safetensors (HF tensor names, Conv1D layout) + generation_config.json. Accepts the
// "transformer." prefix and ignores the tied lm_head and the attention-mask buffers HF may store.
import Foundation
import QuillFormats
import QuillTensor

extension GPT {
    /// Loads a GPT-2 model directory (or a sharded one through model.safetensors.index.json).
    public static func load(directory: URL) throws -> GPT {
        let config = try ConfigLoading.config(GPTConfig.self, in: directory)
        let failure = LoadFailure()
        let source = try WeightSource(directory: directory)
        try shapeProbes(config).check(source: source.name, lookup: source.probe(prefixes: ["transformer."]))
        // F32 tensors are used in place from the mapping (no copy); others are converted.
        let model = try GPT(config: config, seed: nil, parameters: source.parameters(prefixes: ["transformer."], failure: failure))
        try failure.check()
        return model
    }

    /// Tensors whose shapes `c` fixes, checked against a checkpoint before the model is built.
    static func shapeProbes(_ c: GPTConfig) -> ShapeProbes {
        var p = ShapeProbes()
        p.expect("wte.weight", [c.vocabularySize, c.nEmbd], "vocab_size", "n_embd")
        p.expect("wpe.weight", [c.contextLength, c.nEmbd], "n_positions", "n_embd")
        p.expect("h.0.attn.c_attn.weight", [c.nEmbd, 3 * c.nEmbd], "n_embd")
        p.expect("h.0.mlp.c_fc.weight", [c.nEmbd, 4 * c.nEmbd], "n_embd")
        p.layers = (c.nLayer, "n_layer", { "h.\($0).ln_1.weight" })
        return p
    }

    /// Writes config.json, generation_config.json and model.safetensors (atomically, each file via
    /// temp + rename) into `directory`, creating it if needed. `dtype` is F32, F16 or BF16.
    public func save(directory: URL, dtype: SafetensorsDType = .f32) throws {
        var generation: [String: Int] = [:]
        if let eos = config.eosTokenID { generation = ["eos_token_id": eos, "bos_token_id": eos] }
        try saveHuggingFaceDirectory(directory, config: config, generation: generation,
                                     parameters: namedParameters, dtype: dtype)
    }
}

/// Writes config.json, generation_config.json and model.safetensors (each atomically: temp file +
/// rename) into `directory`, creating it if needed: the part every HF-format model's `save` shares.
func saveHuggingFaceDirectory<Config: Encodable>(_ directory: URL, config: Config, generation: [String: Int],
                                                 parameters: [(name: String, tensor: Tensor)],
                                                 dtype: SafetensorsDType) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try writeAtomically(encoder.encode(config), to: directory.appendingPathComponent("config.json"))
    try writeAtomically(encoder.encode(generation), to: directory.appendingPathComponent("generation_config.json"))
    try SafetensorsWriter.write(tensors: parameters.map { $0.tensor.safetensorsEntry(name: $0.name, dtype: dtype) },
                                metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors"))
}

/// model.safetensors or a sharded model.safetensors.index.json, behind one lookup.
struct WeightSource {
    private let lookup: (String) -> SafetensorsTensor?
    /// The file (or index) the tensors come from, for messages.
    let name: String

    init(directory: URL) throws {
        let single = directory.appendingPathComponent("model.safetensors")
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        if FileManager.default.fileExists(atPath: single.path) {
            let file = try SafetensorsFile(url: single)
            lookup = { file.tensor(named: $0) }
            name = single.path
        } else if FileManager.default.fileExists(atPath: index.path) {
            let sharded = try ShardedSafetensors(indexURL: index)
            lookup = { sharded.tensor(named: $0) }
            name = index.path
        } else {
            throw ModelError.invalidConfig("\(directory.path) has neither model.safetensors nor model.safetensors.index.json")
        }
    }

    func tensor(named name: String) -> SafetensorsTensor? { lookup(name) }

    /// ShapeProbes' lookup over this checkpoint: each name tried as is, then with each prefix.
    func probe(prefixes: [String] = []) -> (String, [Int]) -> ShapeProbes.Found? {
        { name, shape in
            for candidate in [name] + prefixes.map({ $0 + name }) {
                if let t = self.lookup(candidate) { return ShapeProbes.Found(name: candidate, expected: shape, shape: t.shape) }
            }
            return nil
        }
    }
}
