// Which type each tensor of a GGUF file gets when it is re-quantized: one type for every quantizable
// tensor ("pure"), or one of llama.cpp's mixtures (Q4_K_M, Q5_K_M, Q6_K), whose per-tensor choices
// follow src/llama-quant.cpp's llama_tensor_get_type for llama-family models (no importance matrix,
// no overrides), including its fallbacks for rows that are not whole blocks.

/// What `quill quantize --type` asks for.
public enum GGUFQuantizationTarget: Equatable, Sendable, CustomStringConvertible {
    /// Every quantizable tensor in `type` (llama-quantize --pure), falling back where a row does not fit.
    case uniform(GGMLType)
    /// llama.cpp's Q4_K_M: Q4_K, with attn_v and ffn_down in Q6_K on some layers, the output in Q6_K.
    case q4_K_M
    /// llama.cpp's Q5_K_M: Q5_K, with the same Q6_K promotions as Q4_K_M.
    case q5_K_M
    /// llama.cpp's Q6_K file type: Q6_K throughout (the output rule keeps it Q6_K).
    case q6_K

    /// Parses a `--type` value: a mixture name (q4_k_m, q5_k_m, q6_k) or a type name (q8_0, q4_k, f16…).
    public init?(name: String) {
        switch name.lowercased() {
        case "q4_k_m": self = .q4_K_M
        case "q5_k_m": self = .q5_K_M
        case "q6_k": self = .q6_K
        default:
            guard let t = GGMLType.allCases.first(where: { $0.name.lowercased() == name.lowercased() }),
                  t == .f32 || t == .f16 || t == .bf16 || GGUFQuantization.blockTypes.contains(t) else { return nil }
            self = .uniform(t)
        }
    }

    /// The names `init(name:)` accepts, for help and error messages.
    public static var names: [String] {
        ["f32", "f16", "bf16"] + GGUFQuantization.blockTypes.map { $0.name.lowercased() } + ["q4_k_m", "q5_k_m"]
    }

    public var description: String {
        switch self {
        case .uniform(let t): t.name
        case .q4_K_M: "Q4_K_M"
        case .q5_K_M: "Q5_K_M"
        case .q6_K: "Q6_K"
        }
    }

    /// The type most tensors get (llama_ftype_get_default_type).
    public var defaultType: GGMLType {
        switch self {
        case .uniform(let t): t
        case .q4_K_M: .q4_K
        case .q5_K_M: .q5_K
        case .q6_K: .q6_K
        }
    }

    /// llama.cpp's `general.file_type` (LLAMA_FTYPE_*).
    public var fileType: UInt32 {
        switch self {
        case .q4_K_M: 15
        case .q5_K_M: 17
        case .q6_K: 18
        case .uniform(let t):
            switch t {
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
            case .bf16: 32
            default: 0
            }
        }
    }
}

/// Per-tensor types for re-quantizing one file. llama.cpp decides them in its loader's tensor order
/// (by layer number, then name: not the file's order, which is often blk.0, blk.1, blk.10, …), and its
/// layer counters advance per attn_v / ffn_down tensor in that order; so does this plan.
///
/// ```swift
/// let plan = GGUFQuantizationPlan(file: file, target: .q4_K_M)
/// for info in file.tensors { let type = plan.type(for: info) ?? info.type /* nil: copied as is */ }
/// ```
public struct GGUFQuantizationPlan {
    public let target: GGUFQuantizationTarget
    let layerCount: Int, expertCount: Int, isLlama70B: Bool, tiedEmbeddings: Bool, attentionVCount: Int
    var attentionV = 0, ffnDown = 0
    private var types: [String: GGMLType] = [:]

    public init(file: GGUFFile, target: GGUFQuantizationTarget) {
        self.target = target
        let arch = file.architecture ?? "llama"
        func int(_ key: String) -> Int? { file.metadata["\(arch).\(key)"]?.intValue }
        layerCount = int("block_count") ?? 0
        expertCount = max(1, int("expert_count") ?? 1)
        // llama.cpp's LLM_TYPE_70B for the llama architecture: 80 layers with grouped-query attention.
        let heads = int("attention.head_count") ?? 0, kvHeads = int("attention.head_count_kv") ?? heads
        isLlama70B = arch == "llama" && layerCount == 80 && heads != kvHeads
        tiedEmbeddings = file.tensor(named: "output.weight") == nil
        attentionVCount = file.tensors.filter { Self.category($0.name).isAttentionV }.count
        for info in file.tensors.sorted(by: { Self.loaderOrder($0.name, $1.name) }) {
            if let type = decide(info) { types[info.name] = type }
        }
    }

    /// llama_model_loader's weight_name_comparer: layer number ("blk.N.", −1 for none), then bytewise name.
    static func loaderOrder(_ a: String, _ b: String) -> Bool {
        let (la, lb) = (layerNumber(a) ?? -1, layerNumber(b) ?? -1)
        return la != lb ? la < lb : Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    /// The type `info` is written in, or nil to copy it unchanged.
    public func type(for info: GGUFTensorInfo) -> GGMLType? { types[info.name] }

    enum Category {
        case output, tokenEmbedding, attentionQKV, attentionKVB, attentionV, attentionK, attentionQ, attentionOutput
        case ffnUp, ffnGate, ffnDown, other
        var isAttentionV: Bool { self == .attentionV || self == .attentionQKV || self == .attentionKVB }
    }

    /// llama-quant.cpp's tensor_get_category.
    static func category(_ name: String) -> Category {
        if name == "output.weight" { return .output }
        if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { return .tokenEmbedding }
        let table: [(String, Category)] = [("attn_qkv.weight", .attentionQKV), ("attn_kv_b.weight", .attentionKVB),
                                           ("attn_v.weight", .attentionV), ("attn_k.weight", .attentionK),
                                           ("attn_q.weight", .attentionQ), ("attn_output.weight", .attentionOutput),
                                           ("ffn_up", .ffnUp), ("ffn_gate", .ffnGate), ("ffn_down", .ffnDown)]
        return table.first { name.contains($0.0) }?.1 ?? .other
    }

    /// llama-quant.cpp's tensor_allows_quantization for the tensor names llama-family files hold.
    static func allowsQuantization(_ info: GGUFTensorInfo) -> Bool {
        let name = info.name
        guard info.dimensions.count >= 2, name.hasSuffix("weight"), !name.contains("_norm.weight") else { return false }
        let excluded = ["ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj", "ssm_conv1d",
                        "shortconv.conv.weight", "time_mix_", "attn_rel_b.weight", ".position_embd", ".rel_pos",
                        ".patch_embd", ".patch_merger"]
        return !excluded.contains { name.contains($0) } && name != "position_embd.weight" && name != "token_types.weight"
    }

    /// llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between.
    static func useMoreBits(_ layer: Int, _ layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// llama_tensor_get_type for one tensor; called once per tensor, in loader order.
    private mutating func decide(_ info: GGUFTensorInfo) -> GGMLType? {
        guard Self.allowsQuantization(info) else { return nil }
        var type = target.defaultType
        guard GGUFQuantization.blockTypes.contains(type) else { return type }    // F32 / F16 / BF16: no rules
        if case .uniform = target {} else { type = mixtureType(type, info) }
        return Self.fallback(type, columns: info.dimensions[0])
    }

    private mutating func mixtureType(_ base: GGMLType, _ info: GGUFTensorInfo) -> GGMLType {
        let category = Self.category(info.name)
        let km = target == .q4_K_M || target == .q5_K_M
        var type = base
        if category == .output || (tiedEmbeddings && category == .tokenEmbedding) {
            if info.dimensions[0] % type.blockSize != 0 { type = .q8_0 } else if type != .q8_0 { type = .q6_K }
        } else if category.isAttentionV {
            if km && Self.useMoreBits(attentionV, attentionVCount) { type = .q6_K }
            if isLlama70B && (type == .q3_K || type == .q4_K) { type = .q5_K }
            if expertCount == 8 { type = .q8_0 }
            attentionV += 1
        } else if category == .attentionK {
            if expertCount == 8 { type = .q8_0 }
        } else if category == .ffnDown {
            var layer = ffnDown
            if expertCount > 1, let n = Self.layerNumber(info.name) { layer = n }
            if km && Self.useMoreBits(layer, layerCount) { type = .q6_K }
            ffnDown += 1
        } else if category == .attentionOutput {
            if expertCount == 8 && target == .q4_K_M { type = .q5_K }
        }   // (llama.cpp's separate attn_qkv rule is never reached: attn_qkv takes the attn_v branch)
        return type
    }

    /// "blk.N." → N.
    static func layerNumber(_ name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        return Int(name.dropFirst(4).prefix { $0.isNumber })
    }

    /// llama-quant.cpp's tensor_type_fallback: a type whose block does not divide the row length
    /// becomes the nearest 32-element type, or F16 when even that does not fit.
    public static func fallback(_ type: GGMLType, columns: Int) -> GGMLType {
        guard columns % type.blockSize != 0 else { return type }
        let next: GGMLType
        switch type {
        case .q2_K, .q3_K: next = .q4_0
        case .q4_K: next = .q5_0
        case .q5_K: next = .q5_1
        case .q6_K: next = .q8_0
        default: next = type
        }
        return columns % next.blockSize == 0 ? next : .f16
    }
}
