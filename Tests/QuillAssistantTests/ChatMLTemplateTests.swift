// ChatML rendering, checked against the layout as SmolLM2's and Qwen2's own templates write it.
import Testing
@testable import QuillAssistant

@Suite("ChatML fallback template")
struct ChatMLTemplateTests {
    @Test func systemUserAndGenerationPrompt() throws {
        let text = try ChatMLTemplate().render([.system("Be brief."), .user("Hi")], options: .init())
        #expect(text == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func withoutGenerationPrompt() throws {
        let text = try ChatMLTemplate().render([.user("Hi"), .assistant("Hello!")], options: .init(addGenerationPrompt: false))
        #expect(text == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n")
    }
}
