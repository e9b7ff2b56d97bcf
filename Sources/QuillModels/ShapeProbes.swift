// A config's sizes against the tensors a checkpoint actually holds, before the model is built: a few
// probe tensors per architecture (embedding tables, the first layer's projections, the last layer),
// one list used by the safetensors and the GGUF loaders alike.
/// The shapes a config implies for a few of a checkpoint's tensors (the embedding tables, the first
/// layer's projections, the last layer), checked against the tensors actually present before the model
/// is built, so a config that disagrees with its weights is a typed error naming the field rather than
/// an allocation of the config's sizes.
struct ShapeProbes {
    struct Probe {
        /// Quill / Hugging Face parameter name and its shape in the model's layout.
        let name: String, shape: [Int]
        /// The config fields behind the shape (for the error message).
        let fields: [String]
    }

    var probes: [Probe] = []
    /// Layer count, its field, and the name of one tensor every layer i has.
    var layers: (count: Int, field: String, tensor: (Int) -> String)?

    mutating func expect(_ name: String, _ shape: [Int], _ fields: String...) {
        probes.append(Probe(name: name, shape: shape, fields: fields))
    }

    /// What a checkpoint holds for a probe: the tensor's name in the file, the shape the probe implies
    /// in the file's layout, and the shape found.
    struct Found {
        let name: String, expected: [Int], shape: [Int]
    }

    /// Checks every probe through `lookup` (the file's tensor for a parameter name and model-layout
    /// shape, nil when absent); `field` renames a config field for the file's format (GGUF keys);
    /// `source` names the file. Layers are probed by presence only.
    func check(source: String, field: (String) -> String = { $0 }, lookup: (_ name: String, _ shape: [Int]) -> Found?) throws {
        for p in probes {
            let fields = p.fields.map(field).joined(separator: ", ")
            guard let found = lookup(p.name, p.shape) else {
                throw ModelError.configMismatch(field: fields, detail: "\(source) has no tensor '\(p.name)'")
            }
            guard found.shape == found.expected else {
                throw ModelError.configMismatch(
                    field: fields, detail: "\(source): tensor '\(found.name)' has shape \(found.shape) but the config implies \(found.expected)")
            }
        }
        if let (count, name, tensor) = layers {
            guard lookup(tensor(count - 1), []) != nil else {
                throw ModelError.configMismatch(field: field(name), detail: "\(field(name)) is \(count) but \(source) has no tensor for layer \(count - 1) ('\(tensor(count - 1))')")
            }
            guard lookup(tensor(count), []) == nil else {
                throw ModelError.configMismatch(field: field(name), detail: "\(field(name)) is \(count) but \(source) also holds layer \(count) ('\(tensor(count))')")
            }
        }
    }
}
