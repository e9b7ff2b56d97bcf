// LoRA on a Llama-family model: adapters on the projections named by PEFT's short names (q_proj,
// k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj) in every layer, the base frozen (its
// parameters stop taking gradients, so only the adapters train), and the adapters written in PEFT's
// format: adapter_config.json + adapter_model.safetensors with keys
// base_model.model.<module>.lora_A.weight / lora_B.weight, which PEFT's from_pretrained loads.
import Foundation
import QuillFormats
import QuillNN
import QuillTensor

public struct LoRAConfig: Equatable, Sendable {
    public static let modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    public var rank: Int
    public var alpha: Float
    public var targets: [String]
    public var rsLoRA: Bool

    public init(rank: Int = 8, alpha: Float = 16, targets: [String] = ["q_proj", "v_proj"], rsLoRA: Bool = false) {
        self.rank = rank; self.alpha = alpha; self.targets = targets; self.rsLoRA = rsLoRA
    }

    public func validate() throws {
        guard rank >= 1 else { throw ModelError.invalidConfig("LoRA rank must be ≥ 1, got \(rank)") }
        guard alpha > 0 else { throw ModelError.invalidConfig("LoRA alpha must be positive, got \(alpha)") }
        guard !targets.isEmpty else { throw ModelError.invalidConfig("LoRA needs at least one target module") }
        if let bad = targets.first(where: { !Self.modules.contains($0) }) {
            throw ModelError.invalidConfig("LoRA target '\(bad)' is not a module; expected some of \(Self.modules.joined(separator: ", "))")
        }
    }
}

extension Llama {
    /// Attaches fresh adapters (A from `seed`, B zero) to every layer's `config.targets` and freezes
    /// every base parameter. Returns the adapters in layer, then target, order.
    public func attachLoRA(_ config: LoRAConfig, seed: UInt64) throws -> [LoRAAdapter] {
        try config.validate()
        var rng = RandomGenerator(seed: seed)
        for (_, t) in namedParameters { t.requiresGrad = false; t.grad = nil }
        var adapters: [LoRAAdapter] = []
        for (i, layer) in layers.enumerated() {
            let byName: [String: (Linear, String)] = [
                "q_proj": (layer.query, "self_attn"), "k_proj": (layer.key, "self_attn"), "v_proj": (layer.value, "self_attn"),
                "o_proj": (layer.output, "self_attn"), "gate_proj": (layer.gate, "mlp"), "up_proj": (layer.up, "mlp"),
                "down_proj": (layer.down, "mlp"),
            ]
            for target in config.targets {
                guard let (linear, block) = byName[target] else { continue }
                let shape = linear.weight.shape        // (out, in)
                let adapter = LoRAAdapter(inputs: shape[1], outputs: shape[0], rank: config.rank, alpha: config.alpha,
                                          rsLoRA: config.rsLoRA, module: "model.layers.\(i).\(block).\(target)", rng: &rng)
                linear.adapter = adapter
                adapters.append(adapter)
            }
        }
        return adapters
    }
}

public enum LoRAFiles {
    /// Writes `adapters` in PEFT's format into `directory` (created if needed).
    public static func save(_ adapters: [LoRAAdapter], config: LoRAConfig, baseModel: String, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let entries = adapters.flatMap { a in
            a.namedParameters.map { SafetensorsWriter.Entry(name: "base_model.model." + $0.name, shape: $0.tensor.shape, floats: $0.tensor.scalars) }
        }
        try SafetensorsWriter.write(tensors: entries, metadata: ["format": "pt"],
                                    to: directory.appendingPathComponent("adapter_model.safetensors"))
        let json = JSONValue.object([
            ("peft_type", .string("LORA")), ("task_type", .string("CAUSAL_LM")),
            ("base_model_name_or_path", .string(baseModel)), ("r", .int(Int64(config.rank))),
            ("lora_alpha", .double(Double(config.alpha))), ("lora_dropout", .double(0)),
            ("target_modules", .array(config.targets.map { .string($0) })), ("use_rslora", .bool(config.rsLoRA)),
            ("bias", .string("none")), ("fan_in_fan_out", .bool(false)), ("inference_mode", .bool(true)),
        ])
        try Data(json.jsonText.utf8).write(to: directory.appendingPathComponent("adapter_config.json"), options: .atomic)
    }
}
