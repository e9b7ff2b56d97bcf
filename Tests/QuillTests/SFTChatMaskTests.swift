// The assistant-only mask through a real chat template: SmolLM2's own (from its GGUF, when the asset
// is present) rendered by ChatPromptEncoder the way `quill finetune` renders rows (per-turn prefixes,
// generation prompt on). The trained tokens must decode to exactly each reply and its end-of-turn
// marker, "<|im_end|>\n" as the template writes it, and nothing of the system or user turns.
import Foundation
import Testing
import Quill
import TestSupport

@Suite("SFT mask through a chat template")
struct SFTChatMaskTests {
    @Test func smolLM2MasksExactlyTheReplies() throws {
        guard let gguf = Fixtures.asset("SmolLM2-135M-Instruct.Q4_1.gguf") else { return }
        let loaded = try ModelRegistry.loadForGeneration(path: gguf)
        let format = ChatFormat(model: loaded)
        let row = [SFTMessage(role: "system", content: "Answer with a tool call."),
                   SFTMessage(role: "user", content: "Weather in Oslo?"),
                   SFTMessage(role: "assistant", content: "get_weather(city=\"Oslo\")"),
                   SFTMessage(role: "user", content: "And Lima?"),
                   SFTMessage(role: "assistant", content: "get_weather(city=\"Lima\")")]
        let messages = row.map { ChatMessage(role: $0.role, content: $0.content) }
        let example = try SFTConversations.example(row, name: "row 1") { count, prompt in
            var options = format.options
            options.addGenerationPrompt = prompt
            return try ChatPromptEncoder(template: format.template, tokenizer: format.tokenizer, options: options)
                .encode(Array(messages.prefix(count))).tokens.map(Int32.init)
        }
        // Split the trained tokens into runs and decode each.
        var runs: [[Int]] = [], current: [Int] = []
        for (token, trained) in zip(example.tokens, example.lossMask) {
            if trained { current.append(Int(token)) } else if !current.isEmpty { runs.append(current); current = [] }
        }
        if !current.isEmpty { runs.append(current) }
        #expect(runs.map(loaded.tokenizer.decode) == ["get_weather(city=\"Oslo\")<|im_end|>\n", "get_weather(city=\"Lima\")<|im_end|>\n"])
        #expect(loaded.tokenizer.decode(example.tokens.map(Int.init)).hasPrefix("<|im_start|>system\nAnswer with a tool call."))
    }
}
