// How tools reach a model's prompt. A chat template that renders `tools` gets them as transformers
// passes them (found by rendering a probe tool, since a template may mention `tools` and still drop
// them); for one that does not (ChatML fallback, SmolLM2's), the tools and the call markup go into the
// system prompt, earlier calls become markup in the assistant's text and tool results a user turn of
// `<tool_response>` blocks, as llama.cpp does for templates without tool support.
import Foundation
import QuillFormats

/// Puts tools, earlier calls and tool results into a conversation for one model's template.
///
/// ```swift
/// let prompter = ToolPrompter(chatFormat: format, templateSource: model.chatTemplate)
/// let (messages, options) = prompter.prompt(conversation, tools: tools, options: format.options)
/// ```
public struct ToolPrompter: Sendable, Equatable {
    /// The call markup the model writes (and is taught, when its template does not render tools).
    public var format: ToolCallFormat
    /// True when the template itself writes the tool definitions into the prompt.
    public var templateRendersTools: Bool

    public init(format: ToolCallFormat, templateRendersTools: Bool) {
        self.format = format; self.templateRendersTools = templateRendersTools
    }

    /// The prompter for a model's chat format; `templateSource` is the model's declared template (its
    /// markup tells the call format when that template is the one in use).
    public init(chatFormat: ChatFormat, templateSource: String?) {
        let usesOwnTemplate = chatFormat.template is JinjaChatTemplate
        format = ToolCallFormat.detect(templateSource: usesOwnTemplate ? templateSource : nil)
        templateRendersTools = usesOwnTemplate && Self.rendersTools(chatFormat.template, options: chatFormat.options)
    }

    static let probeName = "quill_probe_function"

    /// Whether rendering a conversation with one probe tool writes that tool's name.
    static func rendersTools(_ template: any ChatTemplate, options: ChatRenderOptions) -> Bool {
        var options = options
        options.tools = [ToolDefinition(name: probeName, description: "Probe.").jsonValue]
        guard let text = try? template.render([.user("Hello")], options: options) else { return false }
        return text.contains(probeName)
    }

    /// `messages` and `options` ready for the template: `tools` shown (none when empty) and the
    /// conversation's earlier calls and results in a form the template can render.
    public func prompt(_ messages: [ChatMessage], tools: [ToolDefinition],
                       options: ChatRenderOptions) -> (messages: [ChatMessage], options: ChatRenderOptions) {
        var options = options
        if templateRendersTools {
            options.tools = tools.map(\.jsonValue)
            return (messages, options)
        }
        options.tools = []
        var out = rewriteHistory(messages)
        if !tools.isEmpty {
            let section = format.systemSection(for: tools)
            if let first = out.first, first.role == "system" || first.role == "developer" {
                let text = first.content ?? ""
                out[0].content = text.isEmpty ? section : text + "\n\n" + section
            } else {
                out.insert(.system(section), at: 0)
            }
        }
        return (out, options)
    }

    /// Assistant calls as markup in the text; each run of tool results as one user turn.
    func rewriteHistory(_ messages: [ChatMessage]) -> [ChatMessage] {
        var out: [ChatMessage] = []
        var results: [ChatMessage] = []
        func flush() {
            guard !results.isEmpty else { return }
            out.append(.user(ToolCallFormat.responseTurn(results)))
            results = []
        }
        for m in messages {
            if m.role == "tool" { results.append(m); continue }
            flush()
            if m.role == "assistant", !m.toolCalls.isEmpty {
                let markup = format.markup(for: m.toolCalls)
                let text = m.content.map { $0.isEmpty ? markup : $0 + "\n" + markup } ?? markup
                out.append(ChatMessage(role: "assistant", content: text, name: m.name))
            } else {
                out.append(m)
            }
        }
        flush()
        return out
    }
}
