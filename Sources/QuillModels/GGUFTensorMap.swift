// Tensor names and layouts between Quill's Hugging Face checkpoints and llama.cpp's GGUF files, as
// llama.cpp's convert_hf_to_gguf.py and gguf-py's tensor_mapping.py write them: GPT-2 Conv1D weights
// are transposed to (out, in); Llama (not Qwen2) q/k rows are permuted from rotate_half to interleaved RoPE.
import QuillTensor

/// How one checkpoint tensor becomes one GGUF tensor.
struct GGUFTensorMapping {
    enum Transform {
        /// Same values, same row-major shape.
        case identity
        /// A 2-D (in, out) Conv1D weight stored as (out, in).
        case transpose
        /// Rows grouped by `heads` heads: HF's half-split pairs (j, j + hs/2) become adjacent (2j, 2j + 1).
        case interleaveRoPE(heads: Int)
    }

    /// The GGUF tensor name (`blk.0.attn_q.weight`).
    let gguf: String
    /// The Quill / Hugging Face parameter name (`model.layers.0.self_attn.q_proj.weight`).
    let quill: String
    let transform: Transform

    /// The GGUF shape (row-major, outermost first) of a checkpoint tensor of shape `shape`.
    func ggufShape(_ shape: [Int]) -> [Int] {
        if case .transpose = transform, shape.count == 2 { return [shape[1], shape[0]] }
        return shape
    }

    /// Checkpoint values (row-major `shape`) → GGUF values.
    func toGGUF(_ values: [Float], shape: [Int]) -> [Float] {
        switch transform {
        case .identity: return values
        case .transpose: return shape.count == 2 ? Self.transpose(values, rows: shape[0], columns: shape[1]) : values
        case .interleaveRoPE(let heads): return Self.permuteRows(values, shape: shape, heads: heads, toInterleaved: true)
        }
    }

    /// GGUF values (row-major `ggufShape(shape)`) → checkpoint values of shape `shape`.
    func fromGGUF(_ values: [Float], shape: [Int]) -> [Float] {
        switch transform {
        case .identity: return values
        case .transpose: return shape.count == 2 ? Self.transpose(values, rows: shape[1], columns: shape[0]) : values
        case .interleaveRoPE(let heads): return Self.permuteRows(values, shape: shape, heads: heads, toInterleaved: false)
        }
    }

    static func transpose(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = x[r * columns + c] } }
        return out
    }

    /// The permutation of llama.cpp's `LlamaModel.permute`: within each head of hs rows, row s·hs/2 + j
    /// (HF) ↔ row 2j + s (GGUF), for s ∈ {0, 1}. Applies to weights (rows of `in`) and biases (rows of 1).
    static func permuteRows(_ x: [Float], shape: [Int], heads: Int, toInterleaved: Bool) -> [Float] {
        let rows = shape.first ?? 1, width = rows == 0 ? 0 : x.count / rows
        let hs = rows / max(1, heads), half = hs / 2
        var out = [Float](repeating: 0, count: x.count)
        for h in 0..<heads {
            for s in 0..<2 {
                for j in 0..<half {
                    let hf = h * hs + s * half + j, gg = h * hs + 2 * j + s
                    let (from, to) = toInterleaved ? (hf, gg) : (gg, hf)
                    for c in 0..<width { out[to * width + c] = x[from * width + c] }
                }
            }
        }
        return out
    }
}

enum GGUFTensorMap {
    /// GPT-2: names from Quill's `GPT.namedParameters`, with the biases a bias-free model lacks.
    static func gpt2(_ c: GPTConfig) -> [GGUFTensorMapping] {
        var maps = [GGUFTensorMapping(gguf: "token_embd.weight", quill: "wte.weight", transform: .identity),
                    GGUFTensorMapping(gguf: "position_embd.weight", quill: "wpe.weight", transform: .identity)]
        let parts: [(String, String, Bool)] = [("ln_1", "attn_norm", false), ("attn.c_attn", "attn_qkv", true),
                                               ("attn.c_proj", "attn_output", true), ("ln_2", "ffn_norm", false),
                                               ("mlp.c_fc", "ffn_up", true), ("mlp.c_proj", "ffn_down", true)]
        for i in 0..<c.nLayer {
            for (hf, gg, isLinear) in parts {
                maps.append(.init(gguf: "blk.\(i).\(gg).weight", quill: "h.\(i).\(hf).weight", transform: isLinear ? .transpose : .identity))
                maps.append(.init(gguf: "blk.\(i).\(gg).bias", quill: "h.\(i).\(hf).bias", transform: .identity))
            }
        }
        maps.append(.init(gguf: "output_norm.weight", quill: "ln_f.weight", transform: .identity))
        maps.append(.init(gguf: "output_norm.bias", quill: "ln_f.bias", transform: .identity))
        return maps
    }

    /// Llama / Mistral (architecture "llama", q/k permuted) and Qwen2 (architecture "qwen2", not permuted).
    static func llama(_ c: LlamaConfig) -> [GGUFTensorMapping] {
        let permute = c.modelType != "qwen2"
        var maps = [GGUFTensorMapping(gguf: "token_embd.weight", quill: "model.embed_tokens.weight", transform: .identity)]
        let parts: [(String, String, GGUFTensorMapping.Transform)] = [
            ("input_layernorm", "attn_norm", .identity),
            ("self_attn.q_proj", "attn_q", permute ? .interleaveRoPE(heads: c.headCount) : .identity),
            ("self_attn.k_proj", "attn_k", permute ? .interleaveRoPE(heads: c.kvHeadCount) : .identity),
            ("self_attn.v_proj", "attn_v", .identity), ("self_attn.o_proj", "attn_output", .identity),
            ("post_attention_layernorm", "ffn_norm", .identity), ("mlp.gate_proj", "ffn_gate", .identity),
            ("mlp.up_proj", "ffn_up", .identity), ("mlp.down_proj", "ffn_down", .identity),
        ]
        for i in 0..<c.layerCount {
            for (hf, gg, transform) in parts {
                for suffix in ["weight", "bias"] {
                    maps.append(.init(gguf: "blk.\(i).\(gg).\(suffix)", quill: "model.layers.\(i).\(hf).\(suffix)", transform: transform))
                }
            }
        }
        maps.append(.init(gguf: "output_norm.weight", quill: "model.norm.weight", transform: .identity))
        maps.append(.init(gguf: "output.weight", quill: "lm_head.weight", transform: .identity))
        return maps
    }
}
