// The conversation types every chat layer shares (templates, `quill chat`, the server): OpenAI's
// message shape (role, content, tool calls, tool results) without any wire format attached.
import QuillFormats

/// One turn of a conversation.
public struct ChatMessage: Sendable, Equatable {
    /// "system", "user", "assistant" or "tool" (templates may accept others, such as "developer").
    public var role: String
    /// The text; nil for an assistant turn that only calls tools.
    public var content: String?
    /// Tool calls an assistant turn made (OpenAI `tool_calls`).
    public var toolCalls: [ChatToolCall]
    /// For a "tool" turn: the id of the call this answers (OpenAI `tool_call_id`).
    public var toolCallID: String?
    /// Optional author name (OpenAI `name`; for a tool result, the function's name).
    public var name: String?

    public init(role: String, content: String?, toolCalls: [ChatToolCall] = [], toolCallID: String? = nil, name: String? = nil) {
        self.role = role; self.content = content; self.toolCalls = toolCalls; self.toolCallID = toolCallID; self.name = name
    }

    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: text) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: "assistant", content: text) }
}

/// A function call made by the model (OpenAI `{id, type: "function", function: {name, arguments}}`).
public struct ChatToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The arguments as a JSON text, exactly as OpenAI carries them (a string, not an object).
    public var arguments: String

    public init(id: String, name: String, arguments: String) { self.id = id; self.name = name; self.arguments = arguments }
}

/// What a template sees besides the messages.
public struct ChatRenderOptions: Sendable {
    /// Append the header that opens the assistant's answer (transformers' `add_generation_prompt`).
    public var addGenerationPrompt: Bool
    /// Tool definitions in OpenAI's shape (`{"type": "function", "function": {...}}`), in order.
    public var tools: [JSONValue]
    /// The model's BOS / EOS token texts (templates refer to `bos_token` / `eos_token`).
    public var bosToken: String
    public var eosToken: String
    /// Extra variables passed to the template (for example `enable_thinking`).
    public var extra: [String: JSONValue]

    public init(addGenerationPrompt: Bool = true, tools: [JSONValue] = [], bosToken: String = "", eosToken: String = "",
                extra: [String: JSONValue] = [:]) {
        self.addGenerationPrompt = addGenerationPrompt; self.tools = tools
        self.bosToken = bosToken; self.eosToken = eosToken; self.extra = extra
    }
}

/// Turns a conversation into the prompt text a model was trained on.
public protocol ChatTemplate: Sendable {
    func render(_ messages: [ChatMessage], options: ChatRenderOptions) throws -> String
}
