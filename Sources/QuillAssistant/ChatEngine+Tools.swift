// ChatEngine with tools: the conversation rendered with the tool definitions (ToolUse / ToolPrompter)
// before it is encoded and queued, and its prompt size counted the same way (for trimming to the context).
import QuillGeneration

extension ChatEngine {
    /// The format whose template options show `tools`, and the messages rewritten for it.
    func toolPrompt(_ messages: [ChatMessage], tools: ToolUse) -> (format: ChatFormat, messages: [ChatMessage]) {
        var format = self.format
        let prompt = tools.prompt(messages, options: format.options)
        format.options = prompt.options
        return (format, prompt.messages)
    }

    /// Prompt tokens `messages` take with `tools` shown.
    public func promptTokenCount(_ messages: [ChatMessage], tools: ToolUse) throws -> Int {
        let (format, messages) = toolPrompt(messages, tools: tools)
        return try format.encode(messages).tokens.count
    }

    /// ``reply(to:parameters:)`` with `tools` shown to the model; read the answer with `tools.parse` or
    /// `tools.streamFilter()`.
    public func reply(to messages: [ChatMessage], parameters: GenerationParameters, tools: ToolUse) throws -> Reply {
        guard let messages = try screened(messages) else { return Self.filteredReply() }
        let (format, rewritten) = toolPrompt(messages, tools: tools)
        let prompt = try format.encode(rewritten)
        return try complete(promptTokens: prompt.tokens, parameters: format.parameters(parameters))
    }
}
