// ChatML (`<|im_start|>role\ncontent<|im_end|>\n`), the format SmolLM2, Qwen2 and many others use,
// and the fallback for a model that declares no template (as llama.cpp and transformers fall back).

/// The ChatML layout, written directly (no template engine).
public struct ChatMLTemplate: ChatTemplate {
    public init() {}

    public func render(_ messages: [ChatMessage], options: ChatRenderOptions) throws -> String {
        var out = ""
        for m in messages {
            out += "<|im_start|>\(m.role)\n\(m.content ?? "")<|im_end|>\n"
        }
        if options.addGenerationPrompt { out += "<|im_start|>assistant\n" }
        return out
    }
}
