// LlamaConfig decoding from HF config.json text (Llama 3 / Mistral / Qwen2 quirks, typed errors)
// and the RoPE frequency tables of every supported rope_scaling kind.
import Foundation
import Testing
import QuillModels

@Suite("Llama config and RoPE tables")
struct LlamaConfigTests {
    static func decode(_ extra: String, type: String = "llama") throws -> LlamaConfig {
        let json = """
        {"model_type": "\(type)", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 80,
         "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 128\(extra)}
        """
        return try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
    }

    /// θ^(-2i/d) for θ = 10⁴, d = 8.
    static let standard = (0..<4).map { 1 / pow(10_000.0, Double(2 * $0) / 8) }

    @Test func defaultsFollowTransformers() throws {
        let c = try Self.decode("")
        #expect(c.kvHeadCount == 4 && c.headSize == 8 && c.ropeTheta == 10_000 && c.rmsNormEpsilon == 1e-6)
        #expect(!c.qkvBias && !c.outputBias && !c.tieWordEmbeddings && c.ropeScaling == nil)
        #expect(c.ropeFrequencies(length: 1) == Self.standard)
    }

    @Test func qwen2HasQKVBiasesAndIgnoresADisabledWindow() throws {
        let c = try Self.decode(#", "use_sliding_window": false, "sliding_window": 16"#, type: "qwen2")
        #expect(c.qkvBias && !c.outputBias && c.slidingWindow == nil && c.contextLength == 128)
    }

    @Test func mistralWindowCapsTheContext() throws {
        let c = try Self.decode(#", "sliding_window": 96, "num_key_value_heads": 2"#, type: "mistral")
        #expect(c.slidingWindow == 96 && c.contextLength == 96 && c.kvHeadCount == 2)
    }

    @Test func llama3ListsSeveralEndTokensAndAttentionBiasCoversOutput() throws {
        let c = try Self.decode(#", "eos_token_id": [5, 9], "attention_bias": true"#)
        #expect(c.eosTokenIDs == [5, 9] && c.qkvBias && c.outputBias)
    }

    @Test func scalingTables() throws {
        let linear = try Self.decode(#", "rope_scaling": {"type": "linear", "factor": 2.0}"#)
        #expect(linear.ropeFrequencies(length: 1) == Self.standard.map { $0 / 2 })
        let llama3 = try Self.decode(#", "head_dim": 8, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64}"#)
        // Values from the llama_scaled_llama3 fixture README (computed by transformers' formula).
        let expected = [1, 0.0130423, 0.00125, 0.000125]
        for (a, e) in zip(llama3.ropeFrequencies(length: 1), expected) { #expect(abs(a - e) < 1e-7 * max(1, e * 1e4)) }
        let dynamic = try Self.decode(#", "rope_scaling": {"type": "dynamic", "factor": 2.0}"#)
        #expect(dynamic.ropeFrequencies(length: 128) == dynamic.ropeFrequencies(length: 1))
        let base = 10_000 * pow(2.0 * 256 / 128 - 1, 8.0 / 6)
        #expect(dynamic.ropeFrequencies(length: 256) == (0..<4).map { 1 / pow(base, Double(2 * $0) / 8) })
        #expect(try Self.decode(#", "rope_scaling": {"rope_type": "default"}"#).ropeScaling == nil)
    }

    @Test func unsupportedSettingsAreTypedErrors() {
        #expect(throws: ModelError.unsupported("hidden_act 'gelu' (the Llama family here uses silu)")) {
            try Self.decode(#", "hidden_act": "gelu""#)
        }
        #expect(throws: ModelError.unsupported("rope_scaling type 'yarn' (Quill supports linear, dynamic and llama3)")) {
            try Self.decode(#", "rope_scaling": {"rope_type": "yarn", "factor": 4.0}"#)
        }
        #expect(throws: ModelError.invalidConfig("num_attention_heads (4) must be a positive multiple of num_key_value_heads (3)")) {
            try Self.decode(#", "num_key_value_heads": 3"#)
        }
        #expect(throws: ModelError.self) { try Self.decode("", type: "gpt2") }
    }
}
