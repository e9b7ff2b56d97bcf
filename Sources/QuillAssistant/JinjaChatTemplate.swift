// A model's own Jinja chat template (GGUF `tokenizer.chat_template`, HF `chat_template`) rendered with the
// variables transformers' `apply_chat_template` passes: messages as dicts, tools (None when there are none),
// documents, add_generation_prompt, bos_token / eos_token, extra keyword variables; the clock injectable.
import Foundation
import QuillFormats

/// A chat template written in Jinja, rendered like transformers renders it.
///
/// ```swift
/// let template = try JinjaChatTemplate(source: model.chatTemplate!)
/// let prompt = try template.render([.system("Be brief."), .user("Hi")], options: .init(bosToken: "<s>"))
/// ```
public struct JinjaChatTemplate: ChatTemplate {
    public let template: JinjaTemplate
    /// What `strftime_now` reads (transformers uses the local time).
    public var now: @Sendable () -> Date
    public var timeZone: TimeZone
    public var limits: JinjaLimits

    public init(source: String, now: @escaping @Sendable () -> Date = { Date() }, timeZone: TimeZone = .current,
                limits: JinjaLimits = .init()) throws {
        template = try JinjaTemplate(source)
        self.now = now; self.timeZone = timeZone; self.limits = limits
    }

    public func render(_ messages: [ChatMessage], options: ChatRenderOptions) throws -> String {
        var values: [String: JinjaValue] = options.extra.mapValues(JinjaValue.init)
        values["messages"] = .list(messages.map(Self.dictionary))
        values["tools"] = options.tools.isEmpty ? JinjaValue.none : .list(options.tools.map(JinjaValue.init))
        values["documents"] = JinjaValue.none
        values["add_generation_prompt"] = .bool(options.addGenerationPrompt)
        values["bos_token"] = .string(options.bosToken)
        values["eos_token"] = .string(options.eosToken)
        return try template.render(values: values, limits: limits, now: now, timeZone: timeZone)
    }

    /// A message as the dict templates index: role, content, then tool_calls, tool_call_id, name when present.
    static func dictionary(_ m: ChatMessage) -> JinjaValue {
        var d = JinjaDict()
        d["role"] = .string(m.role)
        d["content"] = m.content.map { .string($0) } ?? JinjaValue.none
        if !m.toolCalls.isEmpty { d["tool_calls"] = .list(m.toolCalls.map(toolCall)) }
        if let id = m.toolCallID { d["tool_call_id"] = .string(id) }
        if let name = m.name { d["name"] = .string(name) }
        return .dict(d)
    }

    /// OpenAI's call shape; `arguments` becomes an object when it is a JSON object, as templates expect to
    /// iterate it or pass it to `tojson` (llama.cpp does the same), and stays text otherwise.
    static func toolCall(_ call: ChatToolCall) -> JinjaValue {
        var arguments = JinjaValue.string(call.arguments)
        if let parsed = try? JSONValue(parsing: Data(call.arguments.utf8)), case .object = parsed { arguments = JinjaValue(parsed) }
        let function = JinjaDict([("name", .string(call.name)), ("arguments", arguments)])
        return .dict(JinjaDict([("id", .string(call.id)), ("type", .string("function")), ("function", .dict(function))]))
    }
}
